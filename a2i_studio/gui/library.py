"""The library: the clips the user opened, on the left of the window.

Files, folders and video files can be dragged in or opened; each is probed
off the UI thread (format, rate, length) before it is listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from a2i_studio import config
from a2i_studio.files import MEDIA_SUFFIXES, expand_paths
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.audio import AudioInfo

__all__ = ["MEDIA_SUFFIXES", "LibraryModel", "LibraryPanel", "expand_paths"]


_FILTER = "Audio and video (" + " ".join(f"*{suffix}" for suffix in sorted(MEDIA_SUFFIXES)) + ");;All files (*)"
_Index = QModelIndex | QPersistentModelIndex


def _probe_all(paths: Sequence[Path]) -> tuple[list[AudioInfo], list[BaseException]]:
    from a2i_studio import audio
    from a2i_studio.errors import A2IError

    infos: list[AudioInfo] = []
    errors: list[BaseException] = []
    for path in expand_paths(paths):
        try:
            infos.append(audio.probe(path))
        except A2IError as error:
            errors.append(error)
    return infos, errors


class LibraryModel(QAbstractListModel):
    """The open clips, as :class:`~a2i_studio.audio.AudioInfo`, in the order they were added."""

    def __init__(self) -> None:
        super().__init__()
        self.clips: list[AudioInfo] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of clips."""
        return 0 if parent.isValid() else len(self.clips)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name and length for display; the full path as tooltip."""
        info = self.clips[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            minutes, seconds = divmod(info.duration, 60)
            return f"{info.path.name}\n{int(minutes)}:{seconds:04.1f} · {info.sample_rate} Hz · {info.format}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(info.path)
        return None

    def add(self, infos: Iterable[AudioInfo]) -> list[AudioInfo]:
        """Append clips not listed yet; returns those added."""
        known = {info.path.resolve() for info in self.clips}
        new = []
        for info in infos:
            if info.path.resolve() not in known:
                known.add(info.path.resolve())
                new.append(info)
        if new:
            self.beginInsertRows(QModelIndex(), len(self.clips), len(self.clips) + len(new) - 1)
            self.clips.extend(new)
            self.endInsertRows()
        return new

    def remove(self, row: int) -> None:
        """Take clip ``row`` out of the library (the file stays)."""
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.clips[row]
        self.endRemoveRows()

    def row_of(self, path: Path) -> int:
        """The row of ``path``, or -1."""
        resolved = path.resolve()
        return next((row for row, info in enumerate(self.clips) if info.path.resolve() == resolved), -1)


class LibraryPanel(QWidget):
    """List of clips with Open, Record and Remove; accepts dropped files and folders.

    Signals:
        clip_selected: The selected :class:`AudioInfo`, or ``None``.
        clips_added: Paths of clips just listed (for the recent-files menu).
        failed: ``(error, context)`` of a file that could not be opened or a recording that failed.
    """

    clip_selected = Signal(object)
    clips_added = Signal(list)
    failed = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LibraryModel()
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(True)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.open_button = QPushButton("Open…", self)
        self.open_button.clicked.connect(self.open_dialog)
        self.record_seconds = QDoubleSpinBox(self)
        self.record_seconds.setRange(1.0, 600.0)
        self.record_seconds.setValue(10.0)
        self.record_seconds.setSuffix(" s")
        self.record_seconds.setToolTip("How long to record")
        self.record_button = QPushButton("● Record", self)
        self.record_button.setToolTip("Record from the default microphone")
        self.record_button.clicked.connect(self.record)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QHBoxLayout()
        for widget in (self.open_button, self.record_button, self.record_seconds, self.remove_button):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        self.setAcceptDrops(True)
        self._select_next: Path | None = None

    def add_paths(self, paths: Iterable[Path], select: Path | None = None) -> None:
        """Probe ``paths`` (files or folders) in a worker and list the readable ones.

        Args:
            paths: Files or folders.
            select: Clip to select once listed (default: the first new one).
        """
        paths = [Path(path) for path in paths]
        self._select_next = select
        start_task(lambda: _probe_all(paths), on_done=self._on_probed, on_failed=self._on_task_failed)

    def current(self) -> AudioInfo | None:
        """The selected clip, if any."""
        index = self.view.currentIndex()
        return self.model.clips[index.row()] if index.isValid() else None

    def select(self, path: Path) -> None:
        """Select the clip at ``path`` if it is listed."""
        row = self.model.row_of(path)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept drags that carry local files."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Add the dropped files and folders."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def _on_probed(self, result: tuple[list[AudioInfo], list[BaseException]]) -> None:
        infos, errors = result
        for error in errors:
            self.failed.emit(error, "opening a file")
        added = self.model.add(infos)
        if added:
            self.clips_added.emit([info.path for info in added])
        target = self._select_next or (added[0].path if added else None)
        if target is not None:
            self.select(target)

    def _on_task_failed(self, error: BaseException) -> None:
        self.failed.emit(error, "opening files")

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.clip_selected.emit(self.model.clips[current.row()] if current.isValid() else None)

    def open_dialog(self) -> None:
        """Ask for files to open and add them."""
        names, _ = QFileDialog.getOpenFileNames(self, "Open audio or video", "", _FILTER)
        self.add_paths(Path(name) for name in names)

    def _on_remove_clicked(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.model.remove(index.row())

    def record(self) -> None:
        """Record from the default microphone for the chosen seconds, off the UI thread, then add the file."""
        seconds = self.record_seconds.value()
        self.record_button.setEnabled(False)
        self.record_button.setText("● Recording…")
        start_task(lambda: _record_to_file(seconds), on_done=self._on_recorded, on_failed=self._on_record_failed)

    def _on_recorded(self, path: Path) -> None:
        self._reset_record_button()
        self.add_paths([path], select=path)

    def _on_record_failed(self, error: BaseException) -> None:
        self._reset_record_button()
        self.failed.emit(error, "recording")

    def _reset_record_button(self) -> None:
        self.record_button.setEnabled(True)
        self.record_button.setText("● Record")


def _record_to_file(seconds: float) -> Path:
    """Record from the default microphone into ``data_dir()/recordings`` as a WAV file."""
    import soundfile

    from a2i_studio.audio import live

    clip = live.record(seconds)
    folder = config.data_dir() / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"recording-{datetime.now():%Y%m%d-%H%M%S}.wav"
    soundfile.write(path, clip.samples, clip.sample_rate)
    return path

"""The notice bar: non-modal messages at the top of the window, and the log file.

Errors the user can act on (:class:`~a2i_studio.errors.A2IError`) are shown
as their one sentence; anything else is a bug, shown briefly and written to
the log file with its traceback (the same file the CLI writes to).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from a2i_studio import config
from a2i_studio.errors import A2IError, OutOfMemory, PluginBug

__all__ = ["NoticeBar", "write_to_log"]

log = logging.getLogger(__name__)

_MAX_VISIBLE = 4
_INFO_SECONDS = 8
_COLOURS = {"info": "#2f6fb0", "warning": "#b07d1a", "error": "#b0352f"}


def write_to_log(error: BaseException, context: str) -> Path:
    """Append ``error`` with its traceback to the log file; returns the file."""
    path = config.log_file()
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{datetime.now().isoformat(timespec='seconds')} ERROR {context}\n{''.join(lines)}\n")
    log.error("%s: %s (traceback in %s)", context, error, path)
    return path


class NoticeBar(QWidget):
    """A stack of dismissable notices over the top of its parent; never blocks, never steals focus.

    The bar floats over its parent (it is in no layout), so a notice coming or going never moves
    or resizes what is under it: the timeline keeps its place while notices come and go.

    Args:
        parent: The widget the notices float over, along its top edge.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 0)
        self._layout.setSpacing(2)
        self.setVisible(False)
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Follow the parent's width."""
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self._layout.activate()
        self.setGeometry(0, 0, parent.width(), self._layout.totalHeightForWidth(parent.width()))
        self.raise_()

    def show_notice(self, text: str, level: str = "info", action: tuple[str, Callable[[], None]] | None = None) -> None:
        """Show ``text``; ``level`` is info (fades after a few seconds), warning or error.

        Args:
            text: The sentence to show.
            level: ``info``, ``warning`` or ``error``.
            action: Optional button: its label and what it does (the notice closes after).
        """
        frame = QFrame(self)
        frame.setObjectName(f"notice-{level}")
        frame.setStyleSheet(f"#notice-{level} {{ background: {_COLOURS[level]}; border-radius: 3px; }}")
        row = QHBoxLayout(frame)
        row.setContentsMargins(8, 4, 4, 4)
        label = QLabel(text, frame)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setStyleSheet("color: white;")
        row.addWidget(label, 1)
        if action is not None:
            button = QPushButton(action[0], frame)
            button.clicked.connect(action[1])
            button.clicked.connect(lambda: self._dismiss(frame))
            row.addWidget(button)
        close = QPushButton("✕", frame)
        close.setFlat(True)
        close.setStyleSheet("color: white;")
        close.setToolTip("Dismiss")
        close.clicked.connect(lambda: self._dismiss(frame))
        row.addWidget(close)
        self._layout.addWidget(frame)
        while self._layout.count() > _MAX_VISIBLE:
            item = self._layout.itemAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                self._dismiss(old)
        if level == "info":
            QTimer.singleShot(_INFO_SECONDS * 1000, frame, lambda: self._dismiss(frame))
        self.setVisible(True)
        self._place()

    def show_error(self, error: BaseException, context: str) -> None:
        """Show what went wrong while ``context`` (e.g. "generating"); log it if it is a bug."""
        if isinstance(error, OutOfMemory):
            self.show_notice(f"Out of memory while {context}: {error}", "error")
        elif isinstance(error, PluginBug):
            path = write_to_log(error, context)
            self.show_notice(f"{error} The traceback is in {path} (Help > Open log file).", "error")
        elif isinstance(error, A2IError):
            self.show_notice(str(error), "warning")
        else:
            path = write_to_log(error, context)
            self.show_notice(
                f"Unexpected {type(error).__name__} while {context}: {error}. This is a bug; the traceback "
                f"is in {path} (Help > Open log file).",
                "error",
            )

    def texts(self) -> list[str]:
        """The notices currently shown, oldest first."""
        texts = []
        for index in range(self._layout.count()):
            item = self._layout.itemAt(index)
            frame = item.widget() if item is not None else None
            label = frame.findChild(QLabel) if frame is not None else None
            if label is not None:
                texts.append(label.text())
        return texts

    def _dismiss(self, frame: QWidget) -> None:
        if frame.parent() is None:
            return
        self._layout.removeWidget(frame)
        frame.setParent(None)
        frame.deleteLater()
        self.setVisible(self._layout.count() > 0)
        self._place()

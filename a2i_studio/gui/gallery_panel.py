"""The Gallery panel: thumbnails, filters, the selected image's recipe and what can be done with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDeadlineTimer,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QImage, QPixmap, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.gui.gallery_compare import CompareDialog
from a2i_studio.gui.gallery_model import GalleryModel
from a2i_studio.gui.widgets import ImageView, TextLine

if TYPE_CHECKING:
    from a2i_studio.gallery import Gallery, GalleryItem

__all__ = ["GalleryPanel"]

_ANY = "(any)"


class _DeleteCommand(QUndoCommand):
    """Delete moves the PNG to the gallery's trash; undo moves it back and indexes it again."""

    def __init__(self, gallery: Gallery, item: GalleryItem, model: GalleryModel) -> None:
        super().__init__(f"Delete image seed {item.seed}")
        self.gallery, self.item_id, self.model = gallery, item.id, model
        self.starred = item.starred
        self.trashed: Path | None = None

    def redo(self) -> None:
        self.trashed = self.gallery.delete(self.item_id)
        self.model.reload()

    def undo(self) -> None:
        assert self.trashed is not None
        restored = self.gallery.restore(self.trashed)
        if self.starred:  # stars live in the index only, which forgot the row: give it back
            self.gallery.set_starred(restored.id, True)
        self.model.reload()


class GalleryPanel(QWidget):
    """Thumbnails grid with filters, a detail pane with the full recipe, and the image actions.

    Signals:
        rerun_requested: ``(recipe, new_seed)``: queue the recipe again, with its seed or a new one.
        use_settings_requested: ``recipe``: show its clip, segment, chain, parameters and seed for editing.
        play_requested: ``recipe``: play the segment the image was made from.
        video_requested: ``Path``: play the video a video's poster stands for.
        failed: ``(error, context)``.
        deleted: An image was deleted (the window offers Undo).
    """

    rerun_requested = Signal(object, bool)
    use_settings_requested = Signal(object)
    play_requested = Signal(object)
    video_requested = Signal(object)
    failed = Signal(object, str)
    deleted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = GalleryModel(parent=self)
        self.undo_stack = QUndoStack(self)
        self.clip_filter = QComboBox(self)
        self.chain_filter = QComboBox(self)
        self.starred_filter = QCheckBox("★ starred only", self)
        for combo in (self.clip_filter, self.chain_filter):
            combo.addItem(_ANY)
            combo.currentIndexChanged.connect(self._on_filter_changed)
            combo.setMinimumContentsLength(14)
        self.starred_filter.toggled.connect(self._on_filter_changed)
        self.count_label = TextLine(parent=self, right=True, room="100000+ images")
        filters = QHBoxLayout()
        for label, widget in (("clip", self.clip_filter), ("chain", self.chain_filter)):
            filters.addWidget(QLabel(label, self))
            filters.addWidget(widget)
        filters.addWidget(self.starred_filter)
        filters.addWidget(self.count_label, 1)

        self.view = QListView(self)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setIconSize(QSize(self.model.thumbnail_size, self.model.thumbnail_size))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_reset)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.rowsInserted.connect(self._on_rows_inserted)

        self.image = ImageView(self)
        self.recipe = QPlainTextEdit(self)
        self.recipe.setReadOnly(True)
        self.recipe.setMinimumHeight(48)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for position, (key, text, tip, slot) in enumerate(
            [
                ("play", "▶ Play segment", "Play the part of the clip the image was made from", self._on_play_clicked),
                ("rerun", "Re-run", "Queue the same recipe again (same seed: the same image)", self._on_rerun_clicked),
                ("reseed", "Re-run, new seed", "Queue the recipe with a random seed", self._on_reseed_clicked),
                (
                    "use",
                    "Use settings",
                    "Send clip, segment, chain, parameters and seed to the editor",
                    self._on_use_clicked,
                ),
                ("copy", "Copy", "Copy the image to the clipboard", self._on_copy_clicked),
                ("save", "Save as…", "Save a copy of the PNG (recipe included)", self._on_save_clicked),
                ("folder", "Open folder", "Show the PNG in the file manager", self._on_folder_clicked),
                ("star", "★ Star", "Star or unstar", self._on_star_clicked),
                (
                    "delete",
                    "Delete",
                    "Move to the gallery's trash (Edit > Undo brings it back)",
                    self._on_delete_clicked,
                ),
                ("compare", "Compare", "Show two selected images side by side", self._on_compare_clicked),
            ]
        ):
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            self.buttons[key] = button
            grid.addWidget(button, position // 3, position % 3)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.image, 3)
        detail_layout.addWidget(self.recipe, 2)
        detail_layout.addLayout(grid)
        scroll = QScrollArea(self)  # so that the details never set the dock's height
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(detail)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.view)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setCollapsible(1, False)
        scroll.setMinimumWidth(grid.minimumSize().width())  # the buttons are never cut off at the side
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        self._compare: CompareDialog | None = None
        self._kept_ids: list[str] = []
        self._on_selection_changed(QItemSelection(), QItemSelection())

    def set_gallery(self, gallery: Gallery | None) -> None:
        """Show ``gallery``."""
        self.model.set_gallery(gallery)

    def set_filter_choices(self, clips: list[str], chains: list[str]) -> None:
        """The clip names and chain ids the filters offer (keeps the current choice when still offered)."""
        for combo, choices in ((self.clip_filter, clips), (self.chain_filter, chains)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([_ANY, *choices])
            combo.setCurrentText(current if current in choices else _ANY)
            combo.blockSignals(False)

    def selected_items(self) -> list[GalleryItem]:
        """The selected images, in row order."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return [self.model.item(row) for row in rows]

    def shutdown(self, deadline: QDeadlineTimer | None = None) -> bool:
        """Stop loading thumbnails (before the window closes); returns whether they stopped before ``deadline``."""
        if self._compare is not None:
            self._compare.close()
        return self.model.shutdown(deadline)

    def _current(self) -> GalleryItem | None:
        items = self.selected_items()
        return items[0] if items else None

    def _on_filter_changed(self, *_args: object) -> None:
        clip, chain = self.clip_filter.currentText(), self.chain_filter.currentText()
        self.model.set_filters(
            audio_name=None if clip == _ANY else clip,
            chain=None if chain == _ANY else chain,
            starred=True if self.starred_filter.isChecked() else None,
        )

    def _on_model_about_to_reset(self) -> None:
        self._kept_ids = [item.id for item in self.selected_items()]

    def _on_model_reset(self) -> None:
        """Select again what was selected before the reload (a re-run or a star keeps the selection)."""
        selection = QItemSelection()
        for item_id in self._kept_ids:
            row = self.model.row_of(item_id)
            if row >= 0:
                selection.select(self.model.index(row), self.model.index(row))
        self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._on_rows_inserted()

    def _on_rows_inserted(self, *_args: object) -> None:
        more = "+" if self.model.canFetchMore(QModelIndex()) else ""
        self.count_label.setText(f"{self.model.rowCount()}{more} images")
        self._on_selection_changed(QItemSelection(), QItemSelection())

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        items = self.selected_items()
        item = items[0] if items else None
        for key, button in self.buttons.items():
            button.setEnabled(len(items) == 2 if key == "compare" else item is not None)
        if item is None:
            self.image.clear()
            self.recipe.setPlainText("")
            return
        self.buttons["star"].setText("☆ Unstar" if item.starred else "★ Star")
        # A video's poster plays the video; re-running it as a still would make something else.
        self.buttons["play"].setText("▶ Play video" if item.video else "▶ Play segment")
        for key in ("rerun", "reseed"):
            self.buttons[key].setEnabled(item.video is None)
        self.image.setPixmap(QPixmap(str(item.path)))
        self.recipe.setPlainText(json.dumps(item.recipe, indent=2, sort_keys=True))

    def _on_play_clicked(self) -> None:
        if (item := self._current()) is not None:
            if item.video is not None:
                self.video_requested.emit(item.video)
            else:
                self.play_requested.emit(item.recipe)

    def _on_rerun_clicked(self) -> None:
        for item in self.selected_items():
            self.rerun_requested.emit(item.recipe, False)

    def _on_reseed_clicked(self) -> None:
        for item in self.selected_items():
            self.rerun_requested.emit(item.recipe, True)

    def _on_use_clicked(self) -> None:
        if (item := self._current()) is not None:
            self.use_settings_requested.emit(item.recipe)

    def _on_copy_clicked(self) -> None:
        if (item := self._current()) is not None:
            QApplication.clipboard().setImage(QImage(str(item.path)))

    def _on_save_clicked(self) -> None:
        if (item := self._current()) is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save image", item.path.name, "PNG image (*.png)")
        if name:
            try:
                shutil.copyfile(item.path, name)
            except OSError as error:
                self.failed.emit(error, f"saving {name}")

    def _on_folder_clicked(self) -> None:
        if (item := self._current()) is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(item.path.parent)))

    def _on_star_clicked(self) -> None:
        item = self._current()
        if item is None or self.model.gallery is None:
            return
        self.model.gallery.set_starred(item.id, not item.starred)
        self.model.reload()

    def _on_delete_clicked(self) -> None:
        gallery = self.model.gallery
        if gallery is None:
            return
        for item in self.selected_items():
            self.undo_stack.push(_DeleteCommand(gallery, item, self.model))
        self.deleted.emit()

    def _on_compare_clicked(self) -> None:
        items = self.selected_items()
        if len(items) == 2:
            if self._compare is not None:
                self._compare.close()
                self._compare.deleteLater()
            self._compare = CompareDialog(items[0], items[1], self)
            self._compare.show()

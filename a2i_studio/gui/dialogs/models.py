"""The Models dialog: each component's weights, whether they were found, where, and how to get them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2i_studio import config
from a2i_studio.gui.backend import locate_weights
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.core import Registry

__all__ = ["ModelsDialog", "format_size"]

COLUMNS = ("component", "weights", "status", "size", "location / how to get them")


def format_size(size: int | None) -> str:
    """``1.2 GB``, ``340 MB``, ``12 kB``, or ``?`` when unknown."""
    if size is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


class ModelsDialog(QDialog):
    """One row per weights file a registered component needs.

    Args:
        registry: The loaded components.
        found: Where each weights name was found (``None``: missing), from :func:`locate_weights`.
    """

    def __init__(self, registry: Registry, found: Mapping[str, Path | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 420)
        self.registry = registry
        intro = QLabel(
            f"Weights are looked for in your models folder {config.models_dir()}, then in copies "
            "bundled with the app, then in the Hugging Face cache.",
            self,
        )
        intro.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.refresh_button = QPushButton("Look again", self)
        self.refresh_button.clicked.connect(self._on_refresh_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.show_found(found)

    def show_found(self, found: Mapping[str, Path | None]) -> None:
        """Fill the table from ``found``."""
        from a2i_studio import weights

        self.tree.clear()
        for kind in ("encoder", "adapter", "generator"):
            for entry in self.registry.all(kind):
                component = entry.component
                for spec in component.weights:
                    path = found.get(spec.name)
                    size = spec.size_bytes
                    if path is not None and path.is_file():
                        size = path.stat().st_size
                    if path is not None:
                        where = str(path)
                    else:
                        where = f"{weights.missing_message(spec)} get it with: a2i models download {spec.name}"
                    row = QTreeWidgetItem(
                        [f"{kind} {component.id}", spec.name, "found" if path else "missing", format_size(size), where]
                    )
                    row.setToolTip(1, spec.description)
                    row.setToolTip(4, where)
                    if path is None:
                        row.setForeground(2, Qt.GlobalColor.red)
                    self.tree.addTopLevelItem(row)
        if self.tree.topLevelItemCount() == 0:
            self.tree.addTopLevelItem(QTreeWidgetItem(["—", "no component needs weights", "", "", ""]))
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)

    def _on_refresh_clicked(self) -> None:
        self.refresh_button.setEnabled(False)
        start_task(lambda: locate_weights(self.registry), on_done=self._on_located, on_failed=self._on_locate_failed)

    def _on_located(self, found: Mapping[str, Path | None]) -> None:
        self.refresh_button.setEnabled(True)
        self.show_found(found)

    def _on_locate_failed(self, error: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.tree.addTopLevelItem(QTreeWidgetItem(["—", "", "error", "", str(error)]))

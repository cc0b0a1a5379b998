"""The Plugins dialog: every plugin, where it came from, what it added, and why it is off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2i_studio import config
from a2i_studio.plugins import SLOW_IMPORT_SECONDS

if TYPE_CHECKING:
    from a2i_studio.plugins import PluginRecord

__all__ = ["PLUGINS_WARNING", "PluginsDialog"]

PLUGINS_WARNING = (
    "Plugins are Python code that you chose to install; they run with your user's rights and can read and "
    "change your files. Install plugins only from people you trust. Enabling or disabling a plugin takes "
    "effect the next time a2i-studio starts."
)
COLUMNS = ("enabled", "plugin", "version", "source", "status", "import", "components")


class PluginsDialog(QDialog):
    """Lists plugin records; the check box saves ``disabled_plugins`` for the next start.

    Args:
        records: The plugin manager's records from this start.
    """

    def __init__(self, records: Sequence[PluginRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(820, 520)
        self.records = list(records)
        warning = QLabel(PLUGINS_WARNING, self)
        warning.setWordWrap(True)
        warning.setStyleSheet("padding: 6px; border: 1px solid #b07d1a; border-radius: 3px;")
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        disabled = set(config.load_settings().get("disabled_plugins", []))
        for record in self.records:
            row = QTreeWidgetItem(
                [
                    "", record.name, record.version, record.source, _status(record), _import_time(record),
                    ", ".join(record.components) or "—",
                ]
            )
            row.setCheckState(0, Qt.CheckState.Unchecked if record.name in disabled else Qt.CheckState.Checked)
            row.setToolTip(1, record.location)
            if record.error or record.warnings:
                row.setToolTip(4, record.error or "\n".join(record.warnings))
            if record.import_seconds is not None and record.import_seconds > SLOW_IMPORT_SECONDS:
                row.setToolTip(5, f"Slower than {SLOW_IMPORT_SECONDS:g} s: every start waits for this plugin.")
            self.tree.addTopLevelItem(row)
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a plugin to see where it lives and any error with its traceback.")
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)

    def row(self, name: str) -> QTreeWidgetItem | None:
        """The row of plugin ``name``."""
        matches = self.tree.findItems(name, Qt.MatchFlag.MatchExactly, 1)
        return matches[0] if matches else None

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            return
        record = self.records[self.tree.indexOfTopLevelItem(current)]
        lines = [f"{record.name} {record.version}".strip(), f"source: {record.source}", f"location: {record.location}"]
        if record.import_seconds is not None:
            lines.append(f"import time: {record.import_seconds:.2f} s")
        if record.spaces:
            lines.append(f"spaces: {', '.join(record.spaces)}")
        if record.warnings:
            lines += ["", *(f"Problem: {warning}" for warning in record.warnings)]
        if record.error:
            lines += ["", record.error]
        if record.traceback:
            lines += ["", record.traceback]
        self.details.setPlainText("\n".join(lines))

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        name = item.text(1)
        settings = config.load_settings()
        disabled = set(settings.get("disabled_plugins", []))
        if item.checkState(0) == Qt.CheckState.Checked:
            disabled.discard(name)
        else:
            disabled.add(name)
        settings["disabled_plugins"] = sorted(disabled)
        config.save_settings(settings)


def _status(record: PluginRecord) -> str:
    if record.status == "failed":
        return "failed (disabled)"
    if record.warnings:
        return f"{record.status}, {len(record.warnings)} problem{'s' if len(record.warnings) > 1 else ''}"
    return record.status


def _import_time(record: PluginRecord) -> str:
    if record.import_seconds is None:
        return "—"
    slow = " (slow)" if record.import_seconds > SLOW_IMPORT_SECONDS else ""
    return f"{record.import_seconds:.2f} s{slow}"

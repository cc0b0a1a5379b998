"""The Settings dialog: device, precision, folders and theme, saved in the app's settings file."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from a2i_studio import config
from a2i_studio.gui.theme import THEMES

__all__ = ["DEVICES", "PRECISIONS", "SettingsDialog"]

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "float32", "float16", "bfloat16")


class SettingsDialog(QDialog):
    """Edits ``device``, ``precision``, ``models_dir``, ``gallery_dir`` and ``theme``.

    Signals:
        saved: The whole settings dict, after Save wrote it.
    """

    saved = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        settings = config.load_settings()
        self.device = QComboBox(self)
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(settings.get("device", "auto"))
        self.precision = QComboBox(self)
        self.precision.addItems(list(PRECISIONS))
        self.precision.setCurrentText(settings.get("precision", "auto"))
        self.theme = QComboBox(self)
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(settings.get("theme", "light"))
        self.models_dir = QLineEdit(settings.get("models_dir", ""), self)
        self.models_dir.setPlaceholderText(str(config.models_dir()))
        self.gallery_dir = QLineEdit(settings.get("gallery_dir", ""), self)
        self.gallery_dir.setPlaceholderText(str(config.gallery_dir()))
        form = QFormLayout()
        form.addRow("device", self.device)
        form.addRow("precision", self.precision)
        form.addRow("models folder", self._with_browse(self.models_dir))
        form.addRow("gallery folder", self._with_browse(self.gallery_dir))
        form.addRow("theme", self.theme)
        note = QLabel(
            "Device and precision apply to the next job; folders apply the next time a2i-studio starts. "
            "'auto' picks cuda, then mps, then cpu, with half precision on GPUs.",
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._on_save_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        """The settings as edited (empty folders mean the default)."""
        return {
            "device": self.device.currentText(),
            "precision": self.precision.currentText(),
            "theme": self.theme.currentText(),
            "models_dir": self.models_dir.text().strip(),
            "gallery_dir": self.gallery_dir.text().strip(),
        }

    def _with_browse(self, line: QLineEdit) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        button = QPushButton("Browse…", box)
        button.clicked.connect(lambda: self._on_browse_clicked(line))
        row.addWidget(line, 1)
        row.addWidget(button)
        return box

    def _on_browse_clicked(self, line: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", line.text() or line.placeholderText())
        if folder:
            line.setText(folder)

    def _on_save_clicked(self) -> None:
        settings = {**config.load_settings(), **self.values()}
        for key in ("models_dir", "gallery_dir"):
            if not settings[key]:
                del settings[key]
        config.save_settings(settings)
        self.saved.emit(settings)
        self.accept()

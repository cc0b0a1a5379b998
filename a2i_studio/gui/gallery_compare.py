"""Two gallery images side by side, with what differs between their recipes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QWidget

if TYPE_CHECKING:
    from a2i_studio.gallery import GalleryItem

__all__ = ["CompareDialog", "recipe_differences"]

_SIZE = 384
_IGNORED = {"created"}  # differs between any two images; not a setting


def recipe_differences(left: dict[str, Any], right: dict[str, Any], prefix: str = "") -> list[str]:
    """``key: left -> right`` for every recipe value that differs (nested keys joined with dots)."""
    lines = []
    for key in sorted(set(left) | set(right)):
        if key in _IGNORED:
            continue
        a, b = left.get(key), right.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines.extend(recipe_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            lines.append(f"{prefix}{key}: {a} → {b}")
    return lines


class CompareDialog(QDialog):
    """A non-modal window showing ``left`` and ``right`` at the same size."""

    def __init__(self, left: GalleryItem, right: GalleryItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare images")
        layout = QGridLayout(self)
        for column, item in enumerate((left, right)):
            image = QLabel(self)
            image.setPixmap(
                QPixmap(str(item.path)).scaled(
                    _SIZE, _SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
                )
            )
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(image, 0, column)
            layout.addWidget(QLabel(f"{item.audio_name} · {item.chain} · seed {item.seed}", self), 1, column)
        differences = recipe_differences(left.recipe, right.recipe) or ["same recipe"]
        self.differences = QLabel("\n".join(differences), self)
        self.differences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.differences, 2, 0, 1, 2)

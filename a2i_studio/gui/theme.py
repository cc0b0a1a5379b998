"""Light and dark themes: Qt's Fusion style with a palette, applied to the whole app."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["THEMES", "apply_theme"]

THEMES = ("light", "dark")

_ROLES = QPalette.ColorRole
_DARK = {
    _ROLES.Window: "#2b2d30",
    _ROLES.WindowText: "#dfe1e5",
    _ROLES.Base: "#1e1f22",
    _ROLES.AlternateBase: "#26282b",
    _ROLES.ToolTipBase: "#3c3f41",
    _ROLES.ToolTipText: "#dfe1e5",
    _ROLES.Text: "#dfe1e5",
    _ROLES.Button: "#393b40",
    _ROLES.ButtonText: "#dfe1e5",
    _ROLES.BrightText: "#ff6b68",
    _ROLES.Highlight: "#3574f0",
    _ROLES.HighlightedText: "#ffffff",
    _ROLES.Link: "#6ea6ff",
    _ROLES.PlaceholderText: "#8c8f94",
}
_LIGHT = {
    _ROLES.Window: "#f2f2f4",
    _ROLES.WindowText: "#1f1f22",
    _ROLES.Base: "#ffffff",
    _ROLES.AlternateBase: "#f5f6f8",
    _ROLES.ToolTipBase: "#ffffe1",
    _ROLES.ToolTipText: "#1f1f22",
    _ROLES.Text: "#1f1f22",
    _ROLES.Button: "#e6e7ea",
    _ROLES.ButtonText: "#1f1f22",
    _ROLES.BrightText: "#c4302b",
    _ROLES.Highlight: "#3574f0",
    _ROLES.HighlightedText: "#ffffff",
    _ROLES.Link: "#2160c4",
    _ROLES.PlaceholderText: "#8c8f94",
}


def apply_theme(app: QApplication, name: str) -> None:
    """Apply the ``light`` or ``dark`` theme to ``app`` (unknown names fall back to light)."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (_DARK if name == "dark" else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#6b6e73" if name == "dark" else "#a0a3a8")
    for role in (_ROLES.Text, _ROLES.ButtonText, _ROLES.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(palette)

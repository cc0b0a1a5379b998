"""The app's dialogs: plugins, models and settings. Each is non-modal and edits saved settings only."""

from __future__ import annotations

from a2i_studio.gui.dialogs.models import ModelsDialog
from a2i_studio.gui.dialogs.plugins import PluginsDialog
from a2i_studio.gui.dialogs.settings import SettingsDialog

__all__ = ["ModelsDialog", "PluginsDialog", "SettingsDialog"]

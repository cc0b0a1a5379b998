"""The app's dialogs: plugins, models, settings and the welcome. Each is non-modal."""

from __future__ import annotations

from a2i_studio.gui.dialogs.models import ModelsDialog
from a2i_studio.gui.dialogs.plugins import PluginsDialog
from a2i_studio.gui.dialogs.settings import SettingsDialog
from a2i_studio.gui.dialogs.welcome import WelcomeDialog, welcome_wanted

__all__ = ["ModelsDialog", "PluginsDialog", "SettingsDialog", "WelcomeDialog", "welcome_wanted"]

"""The window's tool dialogs: plugins, models, training wizards, audition grid, render, live, settings and help.

:class:`ToolDialogs` opens each dialog from the parts it is given (the loaded
backend, the job queue, the chain panel), keeps one of each open, and closes
them with the window. It knows no window class, so the window can import it
without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from a2i_studio import __version__
from a2i_studio.config import log_file

if TYPE_CHECKING:
    from a2i_studio.bundles import Action
    from a2i_studio.core import Chain
    from a2i_studio.gui.backend import Backend
    from a2i_studio.gui.chain_panel import ChainPanel
    from a2i_studio.gui.jobs import JobQueue
    from a2i_studio.gui.library import LibraryPanel
    from a2i_studio.gui.notices import NoticeBar
    from a2i_studio.gui.timeline import Timeline

__all__ = ["ToolDialogs"]


class ToolDialogs(QObject):
    """Opens the tool dialogs over ``parent``, one of each kind at a time.

    Args:
        parent: The window the dialogs belong to.
        notices: Where problems are shown.
        library: The open clips (the audition grid offers them).

    Signals:
        settings_saved: ``dict``: the Settings dialog saved new settings.
        models_changed: ``dict``: weights were downloaded or removed (where each weights name is now).
        use_chain_requested: ``str``: a wizard made a component; load the plugins again and select this chain.
        gallery_changed: Something was added to the gallery outside the job queue (a rendered video).

    Attributes:
        dialogs: The open dialog of each kind, by key (``plugins``, ``models``, ``lora``, ...).
    """

    settings_saved = Signal(dict)
    models_changed = Signal(dict)
    use_chain_requested = Signal(str)
    gallery_changed = Signal()

    def __init__(self, parent: QWidget, notices: NoticeBar, library: LibraryPanel) -> None:
        super().__init__(parent)
        self._window, self._notices, self._library = parent, notices, library
        self._backend: Backend | None = None
        self._jobs: JobQueue | None = None
        self._chain_panel: ChainPanel | None = None
        self.dialogs: dict[str, QWidget] = {}

    def attach(self, backend: Backend, jobs: JobQueue, chain_panel: ChainPanel) -> None:
        """Use the loaded ``backend``, the job queue and the chain panel from now on."""
        self._backend, self._jobs, self._chain_panel = backend, jobs, chain_panel

    def show(self, key: str, dialog: QWidget) -> None:
        """Show ``dialog`` as the one open dialog of kind ``key`` (an older one is closed)."""
        old = self.dialogs.pop(key, None)
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs[key] = dialog
        dialog.show()

    def close_all(self) -> None:
        """Close every open dialog (the window is closing)."""
        for dialog in self.dialogs.values():
            dialog.close()

    def open_plugins(self) -> None:
        """Tools > Plugins: every plugin, its status and traceback."""
        from a2i_studio.gui.dialogs import PluginsDialog

        if self._backend is not None:
            self.show("plugins", PluginsDialog(self._backend.plugins.records, self._window))

    def open_models(self, bundle_id: str = "") -> None:
        """Tools > Models: bundles to download, the Hugging Face token, every weights file; ``bundle_id`` selected."""
        from a2i_studio.gui.dialogs import ModelsDialog

        if self._backend is None:
            return
        dialog = self.dialogs.get("models")
        if not isinstance(dialog, ModelsDialog) or not dialog.isVisible():
            dialog = ModelsDialog(self._backend.plugins.registry, self._backend.models.weights, self._window)
            dialog.weights_changed.connect(self.models_changed)
            dialog.failed.connect(self._notices.show_error)
            self.show("models", dialog)
        if bundle_id:
            dialog.tabs.setCurrentIndex(0)
            dialog.bundles.select(bundle_id)
        dialog.raise_()
        dialog.activateWindow()

    def open_welcome(self) -> None:
        """Help > Welcome, and the first start: what runs now, what a download adds, where pictures go."""
        from a2i_studio import bundles
        from a2i_studio.gui.dialogs import WelcomeDialog

        if self._backend is None:
            return
        registry, models = self._backend.plugins.registry, self._backend.models
        dialog = WelcomeDialog(registry, models.chains, bundles.bundle_statuses(registry, models.weights), self._window)
        dialog.models_requested.connect(lambda: self.open_models())
        self.show("welcome", dialog)

    def open_adapter_wizard(self, action: Action | None = None) -> None:
        """Tools > Train adapter, or a chain's "train an adapter" step (its ends and adapter id chosen)."""
        from a2i_studio.gui.adapter_wizard import AdapterWizard

        if self._backend is None:
            return
        registry = self._backend.plugins.registry
        trainer = next((trainer for trainer in registry.trainers if trainer.makes == "adapter"), None)
        if trainer is None:
            box = QMessageBox(QMessageBox.Icon.Warning, "Train an adapter", "No installed trainer makes adapters "
                              "(the mlp_adapter plugin is disabled or missing); see Tools > Plugins.",
                              parent=self._window)
            self.show("adapter", box)
            return
        wizard = AdapterWizard(registry, trainer, self._backend.models.weights, action, self._window)
        wizard.bundle_requested.connect(self.open_models)
        wizard.use_requested.connect(self.use_chain_requested)
        self.models_changed.connect(wizard.set_found)
        self.show("adapter", wizard)

    def open_training_wizard(self) -> None:
        """Tools > Train a model: any registered trainer, its form built from its settings."""
        from a2i_studio.gui.training_wizard import TrainingWizard

        if self._backend is not None:
            self.show("train", TrainingWizard(self._backend.plugins.registry, parent=self._window))

    def open_lora_wizard(self) -> None:
        """Tools > Train LoRA, with the ``lora`` trainer from the registry."""
        from a2i_studio.core import Trainer
        from a2i_studio.gui.lora_wizard import LoraWizard

        backend = self._backend
        trainer = backend.plugins.registry.get("trainer", "lora") if backend is not None else None
        if isinstance(trainer, Trainer) and backend is not None:
            wizard = LoraWizard(trainer, self._chain_panel, self._window, registry=backend.plugins.registry,
                                found=backend.models.weights)
            wizard.bundle_requested.connect(self.open_models)
            self.models_changed.connect(wizard.settings_page.set_found)
            self.show("lora", wizard)
        else:
            box = QMessageBox(QMessageBox.Icon.Warning, "Train LoRA", "The lora trainer is not installed or its "
                              "plugin is disabled; see Tools > Plugins.", parent=self._window)
            self.show("lora", box)

    def open_audition(self) -> None:
        """Generate > Audition grid: clips down, chains across, on the job queue."""
        from a2i_studio.gui.audition import AuditionDialog

        panel, jobs, backend = self._chain_panel, self._jobs, self._backend
        if backend is None or jobs is None or panel is None:
            self._notices.show_notice("The models are still loading; try again in a moment.", "warning")
            return
        current = panel.current_chain()

        def params_for(chain: Chain) -> dict[str, Any]:
            return panel.params() if current is not None and chain.id == current.id else {}

        clips = [info.path for info in self._library.model.clips]
        dialog = AuditionDialog(jobs, panel.chains, clips, params_for, backend.gallery, self._window)
        dialog.failed.connect(self._notices.show_error)
        self.show("audition", dialog)

    def open_render_video(self, timeline: Timeline | None, settings: Mapping[str, Any]) -> None:
        """Generate > Render selection as video: the chain panel's chain over the timeline's selection."""
        from a2i_studio.gui.render_dialog import RenderDialog

        panel, backend = self._chain_panel, self._backend
        info = self._library.current()
        selection = timeline.selection() if timeline is not None else None
        chain = panel.current_chain() if panel is not None else None
        if backend is None or panel is None or chain is None:
            self._notices.show_notice("No chain is ready yet; wait for the plugins to load.", "warning")
            return
        if info is None or selection is None:
            self._notices.show_notice("Open or drop a clip first, then select the part to render.", "warning")
            return
        dialog = RenderDialog(
            backend.plugins.registry, chain, info.path, *selection, params=panel.params(), seed=panel.take_seed(),
            gallery_root=backend.gallery.root, device=settings.get("device", "auto"),
            precision=settings.get("precision", "auto"), timeline=timeline, parent=self._window,
        )
        dialog.rendered.connect(lambda _result: self.gallery_changed.emit())
        dialog.failed.connect(self._notices.show_error)
        self.show("render", dialog)

    def open_live(self, settings: Mapping[str, Any]) -> None:
        """Generate > Live: the chain panel's chain painting an input device, or a file played live."""
        from a2i_studio.gui.live_window import LiveWindow

        panel, backend = self._chain_panel, self._backend
        chain = panel.current_chain() if panel is not None else None
        if backend is None or panel is None or chain is None:
            self._notices.show_notice("No chain is ready yet; wait for the plugins to load.", "warning")
            return
        window = LiveWindow(
            backend.plugins.registry, chain, panel.params(), panel.take_seed(),
            record_folder=backend.gallery.root / "videos", device=settings.get("device", "auto"),
            precision=settings.get("precision", "auto"), parent=self._window,
        )
        window.failed.connect(self._notices.show_error)
        self.show("live", window)

    def open_video(self, path: Path) -> None:
        """Play a rendered video from the gallery."""
        from a2i_studio.gui.video_player import VideoDialog

        dialog = VideoDialog(path, self._window)
        dialog.player.failed.connect(self._notices.show_error)
        dialog.player.notice.connect(self._notices.show_notice)
        self.show("video", dialog)
        dialog.player.play()

    def open_settings(self) -> None:
        """Tools > Settings; saving emits :attr:`settings_saved`."""
        from a2i_studio.gui.dialogs import SettingsDialog

        dialog = SettingsDialog(self._window)
        dialog.saved.connect(self.settings_saved)
        self.show("settings", dialog)

    def open_log(self) -> None:
        """Help > Open log file, in the desktop's text viewer."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file())))

    def open_about(self) -> None:
        """Help > About."""
        box = QMessageBox(QMessageBox.Icon.Information, "About a2i-studio", f"a2i-studio {__version__}",
                          parent=self._window)
        box.setInformativeText(f"Turns sound into pictures.\nLog file: {log_file()}")
        self.show("about", box)

"""The window's menus, and the handlers that open dialogs and files from them."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from a2i_studio import __version__
from a2i_studio.config import log_file
from a2i_studio.gui import session

if TYPE_CHECKING:
    from a2i_studio.gui.main_window import MainWindow

__all__ = ["build", "connect_views", "update_recent"]

_NEED_VIEWS = ("undo", "redo", "zoom_in", "zoom_out", "fit", "play", "generate", "batch", "audition", "cancel",
              "plugins", "models", "train", "train_lora", "render_video", "live")


def build(window: MainWindow) -> dict[str, QAction]:
    """Create the menu bar; actions that need the views start disabled (see :func:`connect_views`)."""
    bar = window.menuBar()
    menus: dict[str, QMenu] = {}
    actions: dict[str, QAction] = {}
    entries: list[tuple[str, str, str, QKeySequence.StandardKey | str | None]] = [
        ("&File", "open", "&Open…", QKeySequence.StandardKey.Open),
        ("&File", "record", "&Record from microphone", None),
        ("&File", "quit", "&Quit", QKeySequence.StandardKey.Quit),
        ("&Edit", "undo", "&Undo", QKeySequence.StandardKey.Undo),
        ("&Edit", "redo", "&Redo", QKeySequence.StandardKey.Redo),
        ("&View", "zoom_in", "Zoom &in", "Ctrl+="),
        ("&View", "zoom_out", "Zoom &out", "Ctrl+-"),
        ("&View", "fit", "&Fit clip", "Ctrl+0"),
        ("&View", "play", "&Play / stop", "Ctrl+Space"),
        ("&Generate", "generate", "&Generate", "Ctrl+Return"),
        ("&Generate", "batch", "Run over &library", None),
        ("&Generate", "render_video", "Render selection as &video…", "Ctrl+Shift+R"),
        ("&Generate", "live", "&Live…", "Ctrl+L"),
        ("&Generate", "audition", "&Audition grid…", "Ctrl+Shift+A"),
        ("&Generate", "cancel", "&Cancel running job", "Ctrl+."),
        ("&Tools", "plugins", "&Plugins…", None),
        ("&Tools", "models", "&Models…", None),
        ("&Tools", "train", "&Train a model…", None),
        ("&Tools", "train_lora", "Train &LoRA…", None),
        ("&Tools", "settings", "&Settings…", None),
        ("&Help", "log", "Open &log file", None),
        ("&Help", "about", "&About a2i-studio", None),
    ]
    for menu_name, key, text, shortcut in entries:
        if menu_name not in menus:
            menus[menu_name] = bar.addMenu(menu_name)
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setEnabled(key not in _NEED_VIEWS)
        menus[menu_name].addAction(action)
        actions[key] = action
    window.recent_menu.setTitle("Open &Recent")
    menus["&File"].insertMenu(actions["record"], window.recent_menu)
    menus["&File"].insertSeparator(actions["quit"])
    menus["&View"].addSeparator()
    for dock in window.docks.values():
        menus["&View"].addAction(dock.toggleViewAction())
    actions["open"].triggered.connect(window.library.open_dialog)
    actions["record"].triggered.connect(window.library.record)
    actions["quit"].triggered.connect(window.close)
    actions["settings"].triggered.connect(partial(_on_settings_triggered, window))
    actions["log"].triggered.connect(_on_log_triggered)
    actions["about"].triggered.connect(partial(_on_about_triggered, window))
    window.library.clips_added.connect(partial(_on_clips_added, window))
    update_recent(window)
    return actions


def connect_views(window: MainWindow) -> None:
    """Connect and enable the actions that need the timeline, chain panel and gallery."""
    assert window.timeline is not None and window.chain_panel is not None and window.gallery_panel is not None
    actions, timeline, stack = window.menu_actions, window.timeline, window.gallery_panel.undo_stack
    actions["undo"].triggered.connect(stack.undo)
    actions["redo"].triggered.connect(stack.redo)
    stack.canUndoChanged.connect(actions["undo"].setEnabled)
    stack.canRedoChanged.connect(actions["redo"].setEnabled)
    actions["zoom_in"].triggered.connect(partial(timeline.zoom, 1.5))
    actions["zoom_out"].triggered.connect(partial(timeline.zoom, 1 / 1.5))
    actions["fit"].triggered.connect(timeline.fit)
    actions["play"].triggered.connect(timeline.toggle_playback)
    actions["generate"].triggered.connect(window.chain_panel.generate_requested)
    actions["batch"].triggered.connect(window.chain_panel.batch_requested)
    actions["cancel"].triggered.connect(partial(_on_cancel_triggered, window))
    actions["audition"].triggered.connect(partial(_on_audition_triggered, window))
    actions["plugins"].triggered.connect(partial(_on_plugins_triggered, window))
    actions["models"].triggered.connect(partial(_on_models_triggered, window))
    actions["train"].triggered.connect(partial(_on_train_triggered, window))
    actions["train_lora"].triggered.connect(partial(_on_train_lora_triggered, window))
    actions["render_video"].triggered.connect(partial(_on_render_video_triggered, window))
    actions["live"].triggered.connect(partial(_on_live_triggered, window))
    timeline.addAction(actions["render_video"])  # also on the timeline's right-click menu
    timeline.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    window.gallery_panel.video_requested.connect(partial(_on_video_requested, window))
    for key in ("zoom_in", "zoom_out", "fit", "play", "generate", "batch", "audition", "cancel", "plugins", "models",
                "train", "train_lora", "render_video", "live"):
        actions[key].setEnabled(True)


def update_recent(window: MainWindow) -> None:
    """Refill File > Open Recent."""
    window.recent_menu.clear()
    for path in session.recent():
        action = window.recent_menu.addAction(path.name)
        action.setToolTip(str(path))
        action.triggered.connect(partial(_on_recent_triggered, window, path))
    window.recent_menu.setEnabled(not window.recent_menu.isEmpty())


def _on_clips_added(window: MainWindow, paths: list[Path]) -> None:
    session.add_recent(paths)
    update_recent(window)


def _on_recent_triggered(window: MainWindow, path: Path) -> None:
    window.library.add_paths([path], select=path)


def _on_cancel_triggered(window: MainWindow) -> None:
    if window.jobs is not None:
        window.jobs.cancel_running()


def _show_dialog(window: MainWindow, key: str, dialog: QWidget) -> None:
    old = window.dialogs.pop(key, None)
    if old is not None:
        old.close()
        old.deleteLater()
    window.dialogs[key] = dialog
    dialog.show()


def _on_audition_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.audition import AuditionDialog

    panel = window.chain_panel
    if window.backend is None or window.jobs is None or panel is None:
        window.notices.show_notice("The models are still loading; try again in a moment.", "warning")
        return
    current = panel.current_chain()

    def params_for(chain: Any) -> dict[str, Any]:
        return panel.params() if current is not None and chain.id == current.id else {}

    clips = [info.path for info in window.library.model.clips]
    dialog = AuditionDialog(window.jobs, panel.chains, clips, params_for, window.backend.gallery, window)
    dialog.failed.connect(window.notices.show_error)
    _show_dialog(window, "audition", dialog)


def _on_plugins_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.dialogs import PluginsDialog

    if window.backend is not None:
        _show_dialog(window, "plugins", PluginsDialog(window.backend.plugins.records, window))


def _on_models_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.dialogs import ModelsDialog

    if window.backend is not None:
        _show_dialog(window, "models", ModelsDialog(window.backend.plugins.registry, window.backend.weights, window))


def _on_train_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.training_wizard import TrainingWizard

    if window.backend is not None:
        _show_dialog(window, "train", TrainingWizard(window.backend.plugins.registry, parent=window))


def _on_train_lora_triggered(window: MainWindow) -> None:
    from a2i_studio.core import Trainer
    from a2i_studio.gui.lora_wizard import LoraWizard

    trainer = window.backend.plugins.registry.get("trainer", "lora") if window.backend is not None else None
    if isinstance(trainer, Trainer):
        _show_dialog(window, "lora", LoraWizard(trainer, window.chain_panel, window))
    else:
        box = QMessageBox(QMessageBox.Icon.Warning, "Train LoRA", "The lora trainer is not installed or its plugin "
                          "is disabled; see Tools > Plugins.", parent=window)
        _show_dialog(window, "lora", box)


def _on_render_video_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.render_dialog import RenderDialog

    info = window.library.current()
    selection = window.timeline.selection() if window.timeline is not None else None
    chain = window.chain_panel.current_chain() if window.chain_panel is not None else None
    if window.backend is None or window.chain_panel is None or chain is None:
        window.notices.show_notice("No chain is ready yet; wait for the plugins to load.", "warning")
        return
    if info is None or selection is None:
        window.notices.show_notice("Open or drop a clip first, then select the part to render.", "warning")
        return
    dialog = RenderDialog(
        window.backend.plugins.registry, chain, info.path, *selection, params=window.chain_panel.params(),
        seed=window.chain_panel.take_seed(), gallery_root=window.backend.gallery.root,
        device=window.settings.get("device", "auto"), precision=window.settings.get("precision", "auto"),
        timeline=window.timeline, parent=window,
    )
    dialog.rendered.connect(partial(_on_video_rendered, window))
    dialog.failed.connect(window.notices.show_error)
    _show_dialog(window, "render", dialog)


def _on_live_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.live_window import LiveWindow

    panel = window.chain_panel
    chain = panel.current_chain() if panel is not None else None
    if window.backend is None or panel is None or chain is None:
        window.notices.show_notice("No chain is ready yet; wait for the plugins to load.", "warning")
        return
    live = LiveWindow(
        window.backend.plugins.registry, chain, panel.params(), panel.take_seed(),
        record_folder=window.backend.gallery.root / "videos", device=window.settings.get("device", "auto"),
        precision=window.settings.get("precision", "auto"), parent=window,
    )
    live.failed.connect(window.notices.show_error)
    _show_dialog(window, "live", live)


def _on_video_rendered(window: MainWindow, _result: object) -> None:
    if window.gallery_panel is not None:
        window.gallery_panel.model.reload()


def _on_video_requested(window: MainWindow, path: Path) -> None:
    from a2i_studio.gui.video_player import VideoDialog

    dialog = VideoDialog(path, window)
    dialog.player.failed.connect(window.notices.show_error)
    dialog.player.notice.connect(window.notices.show_notice)
    _show_dialog(window, "video", dialog)
    dialog.player.play()


def _on_settings_triggered(window: MainWindow) -> None:
    from a2i_studio.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(window)
    dialog.saved.connect(window.apply_settings)
    _show_dialog(window, "settings", dialog)


def _on_log_triggered() -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file())))


def _on_about_triggered(window: MainWindow) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, "About a2i-studio", f"a2i-studio {__version__}", parent=window)
    box.setInformativeText(f"Turns sound into pictures.\nLog file: {log_file()}")
    _show_dialog(window, "about", box)

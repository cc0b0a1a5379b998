"""The main window: library left, timeline centre, chain and queue right, gallery bottom.

The window and the library are built before the first paint from Qt alone;
everything that needs numpy, pyqtgraph, the engine or plugins is imported and
loaded in a worker after it, so the first window appears before torch (or
even numpy) is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from a2i_studio.gui import session
from a2i_studio.gui.generation import GenerationActions
from a2i_studio.gui.theme import apply_theme
from a2i_studio.gui.workers import drop_callbacks, quit_deadline, start_task, wait_for_workers

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QDockWidget, QMenu, QVBoxLayout

    from a2i_studio.audio import AudioInfo
    from a2i_studio.gui.backend import Backend, ModelState
    from a2i_studio.gui.chain_panel import ChainPanel
    from a2i_studio.gui.gallery_panel import GalleryPanel
    from a2i_studio.gui.jobs import JobQueue
    from a2i_studio.gui.jobs_panel import JobStatus
    from a2i_studio.gui.library import LibraryPanel
    from a2i_studio.gui.notices import NoticeBar
    from a2i_studio.gui.timeline import Timeline
    from a2i_studio.gui.tools import ToolDialogs

__all__ = ["LARGEST_START", "MainWindow"]

LARGEST_START = (2560, 1600)
"""The largest size a first start opens at; larger screens leave room around the window."""
_SCREEN_SHARE = 0.92

_VIEW_MODULES = (  # imported off the UI thread after first paint; each pulls in its heavy dependencies
    "a2i_studio.gui.timeline",
    "a2i_studio.gui.chain_panel",
    "a2i_studio.gui.jobs_panel",
    "a2i_studio.gui.gallery_panel",
    "a2i_studio.gui.dialogs",
    "a2i_studio.gui.backend",
    "a2i_studio.engine",
    "a2i_studio.audio.peaks",
    "a2i_studio.audio.live",
)


def _import_views() -> None:
    for name in _VIEW_MODULES:
        importlib.import_module(name)


def _warm_up() -> bool:
    """Import torch and the spectrogram code; returns whether a GPU (CUDA or Apple MPS) can run the chains."""
    importlib.import_module("a2i_studio.audio.tiles")  # imports torch
    import torch

    return bool(torch.cuda.is_available() or torch.backends.mps.is_available())


class MainWindow(QMainWindow):
    """The a2i-studio window.

    Before the first paint it holds only its title and saved size, so it shows as soon as Qt is up;
    the shell (docks, library, menus), then the panels and the backend follow (see :mod:`shell`).

    Args:
        files: Clips to open (after those of the last session), the last one selected.
        safe_mode: Load built-in plugins only.

    Attributes:
        workers_left_running: Set by closing: some work did not stop within
            :data:`~a2i_studio.gui.workers.QUIT_WAIT_SECONDS` of being cancelled.

    Signals:
        first_painted: The window was painted for the first time.
        ready: Views and backend are loaded; jobs can run.
    """

    first_painted = Signal()
    ready = Signal()
    notices: NoticeBar
    centre: QVBoxLayout
    library: LibraryPanel
    docks: dict[str, QDockWidget]
    recent_menu: QMenu
    menu_actions: dict[str, QAction]
    tools: ToolDialogs

    def __init__(self, files: Sequence[Path] = (), safe_mode: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("a2i-studio")
        self.setObjectName("a2i-main-window")
        self.safe_mode = safe_mode
        self.backend: Backend | None = None
        self.timeline: Timeline | None = None
        self.chain_panel: ChainPanel | None = None
        self.gallery_panel: GalleryPanel | None = None
        self.jobs: JobQueue | None = None
        self.job_status: JobStatus | None = None
        self.settings: dict[str, Any] = {}
        self._painted = False
        self._shell_built = False
        self._closing = False
        self.workers_left_running = False
        self.warmed_up = False
        self.pending_selection: tuple[Path, float | None, float | None] | None = None
        """A clip and part to select once the library has opened it (a gallery picture's "Use settings")."""
        self.generation = GenerationActions(self)
        self._saved = session.load()
        self._files = [Path(path) for path in files]
        if self._saved.geometry is None or not self.restoreGeometry(self._saved.geometry):
            self.fit_to_screen()
        self.setCentralWidget(QLabel("  Starting a2i-studio…", self))
        self.installEventFilter(self)

    def fit_to_screen(self) -> None:
        """Take most of the screen's free area (at most :data:`LARGEST_START`), centred on it.

        Qt's ``restoreGeometry`` already moves a saved window back onto a smaller screen; a first
        start has no saved size, and any fixed size is too big for a laptop or lost on a 4K screen.
        """
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        width = min(round(available.width() * _SCREEN_SHARE), LARGEST_START[0])
        height = min(round(available.height() * _SCREEN_SHARE), LARGEST_START[1])
        self.resize(width, height)
        frame = self.frameGeometry()
        frame.moveCenter(available.center())
        self.move(frame.topLeft())

    # -- start-up ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Build the rest once the window has been painted."""
        if watched is self and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self.removeEventFilter(self)
            QTimer.singleShot(0, self._on_first_paint)
        return False

    @property
    def dialogs(self) -> dict[str, QWidget]:
        """The open tool dialog of each kind, by key (see :class:`~a2i_studio.gui.tools.ToolDialogs`)."""
        return self.tools.dialogs

    def _on_first_paint(self) -> None:
        from PySide6.QtWidgets import QMenu

        from a2i_studio.gui import menus, shell
        from a2i_studio.gui.tools import ToolDialogs

        self.first_painted.emit()
        if self._closing:
            return
        parts = shell.build(self, self._saved.state)
        self.notices, self.centre, self.library, self.docks = parts.notices, parts.centre, parts.library, parts.docks
        self.recent_menu = QMenu(self)
        self.menu_actions = menus.build(self, self.docks, self.recent_menu)
        self.tools = ToolDialogs(self, self.notices, self.library)
        self.tools.settings_saved.connect(self.apply_settings)
        self._connect_shell_actions()
        self._shell_built = True
        self.library.clip_selected.connect(self.on_clip_selected)
        self.library.clips_added.connect(self._on_clips_added)
        self.library.failed.connect(self.notices.show_error)
        select = self._files[-1] if self._files else self._saved.current
        self.library.add_paths([*self._saved.clips, *self._files], select=select)
        start_task(_import_views, on_done=self._on_views_imported, on_failed=self._on_start_failed)

    def _on_views_imported(self, _result: None) -> None:
        from a2i_studio.gui.backend import load_backend
        from a2i_studio.gui.chain_panel import ChainPanel
        from a2i_studio.gui.gallery_panel import GalleryPanel
        from a2i_studio.gui.timeline import Timeline

        if self._closing:
            return
        self.timeline = Timeline(self)
        self.timeline.failed.connect(self.notices.show_error)
        placeholder = self.centre.takeAt(0)
        widget = placeholder.widget() if placeholder is not None else None
        if widget is not None:
            widget.deleteLater()
        self.centre.addWidget(self.timeline, 1)
        self.notices.raise_()  # the timeline came later: keep the notices over it
        self.chain_panel = ChainPanel(self)
        self.chain_panel.generate_requested.connect(self.generation.on_generate_requested)
        self.chain_panel.batch_requested.connect(self.generation.on_batch_requested)
        self.docks["chain"].setWidget(self.chain_panel)
        self.gallery_panel = GalleryPanel(self)
        for signal, slot in (
            (self.gallery_panel.rerun_requested, self.generation.on_rerun_requested),
            (self.gallery_panel.use_settings_requested, self.generation.on_use_settings_requested),
            (self.gallery_panel.play_requested, self.generation.on_play_requested),
            (self.gallery_panel.failed, self.notices.show_error),
            (self.gallery_panel.deleted, self.generation.on_gallery_deleted),
        ):
            signal.connect(slot)
        self.docks["gallery"].setWidget(self.gallery_panel)
        if self._saved.state is not None:
            # Once more with the real panels in the docks: restored with the placeholders alone,
            # the docks take the room the panels' minimum sizes leave and the centre shrinks.
            self.restoreState(self._saved.state)
        self._connect_view_actions()
        current = self.library.current()
        if current is not None:
            self.on_clip_selected(current)
        safe_mode = self.safe_mode
        start_task(
            lambda report: load_backend(safe_mode, report),
            on_done=self._on_backend_loaded,
            on_failed=self._on_backend_failed,
            on_progress=self.chain_panel.show_loading,
        )

    def _on_backend_loaded(self, backend: Backend) -> None:
        from a2i_studio.engine import DEFAULT_CHAIN
        from a2i_studio.gui.dialogs import welcome_wanted
        from a2i_studio.gui.jobs import JobQueue
        from a2i_studio.gui.jobs_panel import JobsPanel, JobStatus

        if self._closing:
            backend.close()
            return
        assert self.chain_panel is not None and self.gallery_panel is not None
        self.backend, self.settings = backend, dict(backend.settings)
        for record in backend.plugins.records:
            if record.status == "failed":
                self.notices.show_notice(f"{record.error} See Tools > Plugins.", "warning")
            elif record.warnings:
                self.notices.show_notice(f"Plugin {record.name}: {record.warnings[0]} See Tools > Plugins.", "warning")
        if backend.engine.gallery is not None and backend.engine.gallery.repaired is not None:
            self.notices.show_notice(
                f"The gallery index was damaged; it was moved to {backend.engine.gallery.repaired} and rebuilt "
                "from the images (stars could not be kept).",
                "warning",
            )
        models = backend.models
        self.chain_panel.set_chains(
            backend.engine.chains(), self._saved.chain or DEFAULT_CHAIN, models.chains, models.few_step
        )
        self.jobs = JobQueue(backend.engine, self)
        self.jobs.job_finished.connect(self.generation.on_job_finished)
        self.jobs.job_failed.connect(self.generation.on_job_failed)
        self.docks["queue"].setWidget(JobsPanel(self.jobs, self))
        self.job_status = JobStatus(self.jobs, self)  # always in sight, whether the queue dock is or not
        self.job_status.setMinimumWidth(self.width() // 3)
        self.statusBar().addPermanentWidget(self.job_status, 1)
        self.tools.attach(backend, self.jobs, self.chain_panel)
        self.tools.models_changed.connect(self._on_models_changed)
        self.tools.use_chain_requested.connect(self.reload_plugins)
        self.chain_panel.bundle_requested.connect(self.tools.open_models)
        self.chain_panel.train_requested.connect(self.tools.open_adapter_wizard)
        self.gallery_panel.set_gallery(backend.gallery)
        self.update_gallery_filters()
        if welcome_wanted():
            self.tools.open_welcome()
        self.ready.emit()
        # torch and the spectrogram code load now, off the UI thread, rather than mid-way through the first job
        start_task(_warm_up, on_done=self._on_warmed_up, on_failed=self._on_start_failed)

    def _on_warmed_up(self, has_gpu: bool) -> None:
        self.warmed_up = True
        if self.chain_panel is not None:
            self.chain_panel.set_has_gpu(has_gpu)

    def reload_plugins(self, select: str | None = None) -> None:
        """Load the plugins again, off the UI thread (a trained adapter appears), then select chain ``select``."""
        from a2i_studio.gui.backend import load_backend

        if self.jobs is not None and self.jobs.rowCount():
            self.notices.show_notice("The plugins load again once the queue is empty; try again then.", "warning")
            return
        safe_mode = self.safe_mode
        self.statusBar().showMessage("Loading the plugins again…")
        start_task(lambda: load_backend(safe_mode), on_done=lambda backend: self._on_reloaded(backend, select),
                   on_failed=self._on_start_failed)

    def _on_reloaded(self, backend: Backend, select: str | None) -> None:
        if self._closing or self.jobs is None or self.chain_panel is None or self.gallery_panel is None:
            backend.close()
            return
        old, self.backend = self.backend, backend
        self.jobs.set_engine(backend.engine)
        self.tools.attach(backend, self.jobs, self.chain_panel)
        self.gallery_panel.set_gallery(backend.gallery)
        models = backend.models
        preferred = select or self.chain_panel.current_chain_id()
        self.chain_panel.set_chains(backend.engine.chains(), preferred, models.chains, models.few_step)
        if old is not None:
            old.close()
        self.statusBar().showMessage(f"Plugins loaded again; {self.chain_panel.current_chain_id()} selected.", 5000)

    def _on_models_changed(self, _found: dict[str, Path | None]) -> None:
        """Weights were downloaded or removed: work out every chain's status again, off the UI thread."""
        from a2i_studio.gui.backend import model_state

        if self.backend is None:
            return
        registry = self.backend.plugins.registry
        start_task(lambda: model_state(registry), on_done=self._on_model_state, on_failed=self._on_start_failed)

    def _on_model_state(self, state: ModelState) -> None:
        if self.backend is None or self.chain_panel is None:
            return
        self.backend.models = state
        preferred = self.chain_panel.current_chain_id()
        self.chain_panel.set_chains(self.backend.engine.chains(), preferred, state.chains, state.few_step)

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Use saved settings: theme now, device and precision for the next job."""
        self.settings = dict(settings)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.get("theme", "light"))

    def _on_start_failed(self, error: BaseException) -> None:
        self.notices.show_error(error, "starting")

    def _on_backend_failed(self, error: BaseException) -> None:
        self._on_start_failed(error)
        if self.chain_panel is not None:
            self.chain_panel.show_unavailable(f"{type(error).__name__}: {error}")

    def _connect_shell_actions(self) -> None:
        actions, tools = self.menu_actions, self.tools
        for key, slot in (
            ("open", self.library.open_dialog),
            ("record", self.library.record),
            ("quit", self.close),
            ("settings", tools.open_settings),
            ("log", tools.open_log),
            ("about", tools.open_about),
        ):
            actions[key].triggered.connect(slot)
        self.library.clips_added.connect(self._on_recent_added)
        self._fill_recent()

    def _connect_view_actions(self) -> None:
        """Connect the actions that need the timeline, chain panel and gallery, and enable them."""
        from functools import partial

        from a2i_studio.gui import menus

        assert self.timeline is not None and self.chain_panel is not None and self.gallery_panel is not None
        actions, timeline, stack, tools = self.menu_actions, self.timeline, self.gallery_panel.undo_stack, self.tools
        stack.canUndoChanged.connect(actions["undo"].setEnabled)
        stack.canRedoChanged.connect(actions["redo"].setEnabled)
        for key, slot in (
            ("undo", stack.undo),
            ("redo", stack.redo),
            ("zoom_in", partial(timeline.zoom, 1.5)),
            ("zoom_out", partial(timeline.zoom, 1 / 1.5)),
            ("fit", timeline.fit),
            ("play", timeline.toggle_playback),
            ("generate", self.chain_panel.generate_requested),
            ("batch", self.chain_panel.batch_requested),
            ("cancel", self._on_cancel_triggered),
            ("audition", tools.open_audition),
            ("plugins", tools.open_plugins),
            ("models", lambda: tools.open_models()),
            ("train", tools.open_training_wizard),
            ("train_adapter", lambda: tools.open_adapter_wizard()),
            ("train_lora", tools.open_lora_wizard),
            ("welcome", tools.open_welcome),
            ("render_video", lambda: tools.open_render_video(self.timeline, self.settings)),
            ("live", lambda: tools.open_live(self.settings)),
        ):
            actions[key].triggered.connect(slot)
        timeline.addAction(actions["render_video"])  # also on the timeline's right-click menu
        timeline.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.gallery_panel.video_requested.connect(tools.open_video)
        tools.gallery_changed.connect(self.gallery_panel.model.reload)
        menus.enable_view_actions(actions)

    def _on_recent_added(self, paths: list[Path]) -> None:
        session.add_recent(paths)
        self._fill_recent()

    def _fill_recent(self) -> None:
        from a2i_studio.gui import menus

        menus.fill_recent(self.recent_menu, session.recent(), self._on_recent_triggered)

    def _on_recent_triggered(self, path: Path) -> None:
        self.library.add_paths([path], select=path)

    def _on_cancel_triggered(self) -> None:
        if self.jobs is not None:
            self.jobs.cancel_running()

    # -- clips and selection -----------------------------------------------------------------------

    def on_clip_selected(self, info: AudioInfo | None) -> None:
        """Show the selected clip on the timeline, with the part a pending "Use settings" asks for, else the
        chain's window."""
        if self.timeline is None:
            return  # shown once the timeline exists
        self.timeline.set_clip(info)
        if info is None:
            return
        pending = self.pending_selection
        if pending is not None and pending[0].resolve() == info.path.resolve():
            self.pending_selection = None
            self.timeline.set_selection(pending[1] or 0.0, pending[2] if pending[2] is not None else info.duration)
        else:
            chain = self.chain_panel.current_chain() if self.chain_panel else None
            self.timeline.select_default(chain.encoder.window_seconds if chain else None)

    def _on_clips_added(self, _paths: list[Path]) -> None:
        self.update_gallery_filters()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept dragged files anywhere in the window."""
        self.library.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Files dropped anywhere go to the library."""
        self.library.dropEvent(event)

    @property
    def closing(self) -> bool:
        """The window is closing: work that comes back now is dropped."""
        return self._closing

    def update_gallery_filters(self) -> None:
        """Offer the open clips and the chains as the gallery's filters."""
        if self.gallery_panel is not None:
            chains = [chain.id for chain in self.chain_panel.chains] if self.chain_panel else []
            self.gallery_panel.set_filter_choices([info.path.name for info in self.library.model.clips], chains)

    # -- shutdown ----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save the session, cancel the workers, wait for them (with a bound) and free the models.

        Work that is still running when the bound passes (a plugin stuck in a call that ignores
        cancel) is logged and left behind: :attr:`workers_left_running` tells the app to end the
        process rather than wait for it.
        """
        if self.workers_left_running:  # closed once more (the app does after its loop): waited enough
            super().closeEvent(event)
            return
        self._closing = True
        if not self._shell_built:
            super().closeEvent(event)
            return
        current = self.library.current()
        chain = self.chain_panel.current_chain() if self.chain_panel else None
        session.save(
            self.saveGeometry(),
            self.saveState(),
            [info.path for info in self.library.model.clips],
            current.path if current else None,
            chain.id if chain else None,
        )
        for dock in self.docks.values():
            if dock.isFloating():  # floating docks are windows of their own; they close with this one
                dock.hide()
        self.tools.close_all()
        deadline = quit_deadline()
        stopped = [  # the timeline first: its queued tiles are dropped before any of them starts
            self.timeline.shutdown(deadline) if self.timeline is not None else True,
            self.gallery_panel.shutdown(deadline) if self.gallery_panel is not None else True,
            self.jobs.shutdown(deadline) if self.jobs is not None else True,
            wait_for_workers(QThreadPool.globalInstance(), "background work (opening files, plugins)", deadline),
        ]
        self.workers_left_running = not all(stopped)
        if self.workers_left_running:
            drop_callbacks()  # what they return later must not reach widgets that are gone
        elif self.backend is not None:  # (a stuck job may still use the backend)
            self.backend.close()
            self.backend = None
        super().closeEvent(event)


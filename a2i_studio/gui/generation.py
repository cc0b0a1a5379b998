"""What the window does to make pictures: queue the chain panel's job for the selected part of a clip, or for
every clip; re-run or reuse a gallery picture's recipe; play its sound; report each job's end.

The window builds the panels and holds the job queue; this keeps the work they ask for apart from building them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from a2i_studio.audio import AudioInfo
    from a2i_studio.engine import GenerationRequest
    from a2i_studio.gui.chain_panel import ChainPanel
    from a2i_studio.gui.gallery_panel import GalleryPanel
    from a2i_studio.gui.jobs import Job, JobQueue
    from a2i_studio.gui.library import LibraryPanel
    from a2i_studio.gui.notices import NoticeBar
    from a2i_studio.gui.timeline import Timeline

__all__ = ["GenerationActions", "Window"]


class Window(Protocol):
    """What the actions use of the main window (a protocol, so this module does not import the window's)."""

    chain_panel: ChainPanel | None
    jobs: JobQueue | None
    notices: NoticeBar
    settings: dict[str, Any]
    library: LibraryPanel
    timeline: Timeline | None
    gallery_panel: GalleryPanel | None
    pending_selection: tuple[Path, float | None, float | None] | None

    @property
    def closing(self) -> bool: ...

    def on_clip_selected(self, info: AudioInfo | None) -> None: ...

    def update_gallery_filters(self) -> None: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name


class GenerationActions:
    """The window's generation slots (connected to the chain panel, the gallery and the job queue).

    Args:
        window: The main window whose panels, queue and notices it uses.
    """

    def __init__(self, window: Window) -> None:
        self.window = window

    def queue_job(self, audio: Path, start: float | None, end: float | None) -> Job | None:
        """Queue the chain panel's chain, parameters, seed and batch for ``audio`` from ``start`` to ``end``."""
        from a2i_studio.engine import GenerationRequest
        from a2i_studio.gui.jobs import describe

        window = self.window
        chain = window.chain_panel.current_chain() if window.chain_panel else None
        if window.jobs is None or window.chain_panel is None or chain is None:
            window.notices.show_notice("No chain is ready yet; wait for the plugins to load.", "warning")
            return None
        request = GenerationRequest(
            audio=audio,
            chain=chain.id,
            seed=window.chain_panel.take_seed(),
            n=window.chain_panel.batch.value(),
            start=start,
            end=end,
            params=window.chain_panel.params(),
            device=_auto_to_none(window.settings.get("device")),
            dtype=_auto_to_none(window.settings.get("precision")),
        )
        return window.jobs.add(request, describe(request))

    def on_generate_requested(self) -> None:
        """Queue the chain for the timeline's selection of the current clip."""
        window = self.window
        info = window.library.current()
        if info is None or window.timeline is None:
            window.notices.show_notice("Open or drop a clip first, then select the part to listen to.", "warning")
            return
        selection = window.timeline.selection()
        self.queue_job(info.path, *(selection or (None, None)))

    def on_batch_requested(self) -> None:
        """Queue the chain for the start of every open clip (its encoder's window, or the whole clip)."""
        window = self.window
        chain = window.chain_panel.current_chain() if window.chain_panel else None
        if chain is None:
            return
        seconds = chain.encoder.window_seconds
        for info in window.library.model.clips:
            self.queue_job(info.path, 0.0, min(seconds, info.duration) if seconds else None)

    def on_rerun_requested(self, recipe: dict[str, Any], new_seed: bool) -> None:
        """Queue a gallery picture's recipe again (with a new random seed if ``new_seed``), once checked."""
        from a2i_studio.engine import request_from_recipe

        window = self.window
        if window.jobs is None:
            return
        # The engine checks the recipe and hashes the audio, as 'a2i rerun' does: off the UI thread.
        source = f"the image made from {Path(str(recipe.get('audio', {}).get('name', 'audio'))).name}"
        start_task(
            lambda: request_from_recipe(recipe, source=source),
            on_done=lambda request: self.on_rerun_checked(request, new_seed),
            on_failed=lambda error: window.notices.show_error(error, "re-running an image"),
        )

    def on_rerun_checked(self, request: GenerationRequest, new_seed: bool) -> None:
        """Queue the checked recipe's request."""
        import random
        from dataclasses import replace

        from a2i_studio.gui.jobs import describe

        window = self.window
        if window.jobs is None or window.closing:
            return
        if new_seed:
            request = replace(request, seed=random.randint(0, 2**31 - 1))
        window.jobs.add(request, describe(request))

    def on_use_settings_requested(self, recipe: dict[str, Any]) -> None:
        """Put a gallery picture's chain, parameters and seed in the chain panel and select its clip and part."""
        window = self.window
        assert window.chain_panel is not None
        if not window.chain_panel.apply_recipe(recipe):
            window.notices.show_notice(f"Chain {recipe.get('chain')} is not installed here.", "warning")
        path = Path(recipe["audio"]["path"])
        segment = recipe.get("segment", {})
        window.pending_selection = (path, segment.get("start"), segment.get("end"))
        current = window.library.current()
        if current is not None and current.path.resolve() == path.resolve():
            window.on_clip_selected(current)
        else:
            window.library.add_paths([path], select=path)

    def on_play_requested(self, recipe: dict[str, Any]) -> None:
        """Play the part of the clip a gallery picture was made from."""
        window = self.window
        assert window.timeline is not None
        segment = recipe.get("segment", {})
        window.timeline.player.play(Path(recipe["audio"]["path"]), segment.get("start") or 0.0, segment.get("end"))

    def on_job_finished(self, job: Job, results: list[Any]) -> None:
        """Show the new pictures in the gallery and the warnings the run gave."""
        window = self.window
        assert window.gallery_panel is not None
        window.gallery_panel.model.reload()
        window.update_gallery_filters()
        window.statusBar().showMessage(f"Saved {len(results)} image(s): {job.label}", 5000)
        for warning in sorted({warning for result in results for warning in result.warnings}):
            window.notices.show_notice(warning, "info")

    def on_job_failed(self, job: Job, error: BaseException) -> None:
        """Say that a job was cancelled, or show its error as a notice."""
        from a2i_studio.errors import Cancelled

        window = self.window
        if isinstance(error, Cancelled):
            window.notices.show_notice(f"Cancelled {job.label}; nothing was saved.", "info")
        else:
            window.notices.show_error(error, f"generating {job.label}")

    def on_gallery_deleted(self) -> None:
        """Offer to undo a deletion from the gallery."""
        window = self.window
        assert window.gallery_panel is not None
        undo = ("Undo", window.gallery_panel.undo_stack.undo)
        window.notices.show_notice("Image moved to the gallery's trash.", "info", undo)


def _auto_to_none(value: str | None) -> str | None:
    return None if value in (None, "", "auto") else value

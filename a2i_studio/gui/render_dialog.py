"""The Render video dialog: the timeline's selection through the chain panel's chain, as a video.

Its form is built from the same settings the render command takes
(:data:`a2i_studio.frames.VIDEO_PARAMS`, plus the modulations). Rendering runs
off the UI thread with its own engine (the job queue's may be busy on its
thread), shows each frame as it is made with the progress and the time
left, and can be cancelled; the frames made are kept for the next try. The
keyframes and envelopes the settings imply are drawn over the timeline's
waveform. When the video is done it plays here, with its sound, and its
poster goes into the gallery beside the images.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.core import CancelToken, Chain, Progress
from a2i_studio.errors import A2IError, Cancelled
from a2i_studio.frames import VIDEO_PARAMS, RenderRequest, RenderResult, VideoSettings, output_format, render
from a2i_studio.gui.jobs import to_qimage
from a2i_studio.gui.modulation_editor import ModulationEditor
from a2i_studio.gui.param_form import ParamForm
from a2i_studio.gui.timeline_marks import Marks, RenderMarks, compute_marks
from a2i_studio.gui.video_player import VideoPlayer
from a2i_studio.gui.widgets import ImageView, ProgressStrip, TextLine
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.core import Registry
    from a2i_studio.gui.timeline import Timeline

__all__ = ["RenderDialog"]

_PREVIEWS_PER_SECOND = 20


class RenderDialog(QDialog):
    """Settings, live preview, progress, ETA and cancel for one render; then the video plays here.

    Args:
        registry: The loaded components.
        chain: The chain to render with.
        audio: The clip, and ``start``/``end`` its selection in seconds.
        params: The chain's parameters, by component id.
        seed: The seed of every frame.
        gallery_root: The gallery folder: the poster goes there, the video by default into its ``videos/``.
        device: ``auto``, ``cpu``, ``cuda``, ... (the app's setting).
        precision: ``auto``, ``float32``, ... (the app's setting).
        timeline: Where to draw keyframes and envelopes, if any.

    Signals:
        rendered: ``RenderResult`` of a finished video.
        failed: ``(error, context)`` for errors other than a cancel.
    """

    rendered = Signal(object)
    failed = Signal(object, str)

    def __init__(
        self,
        registry: Registry,
        chain: Chain,
        audio: Path,
        start: float,
        end: float,
        params: dict[str, dict[str, Any]],
        seed: int,
        gallery_root: Path,
        device: str = "auto",
        precision: str = "auto",
        timeline: Timeline | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render video")
        self.resize(900, 620)
        self.registry, self.chain, self.audio, self.start, self.end = registry, chain, audio, start, end
        self.chain_params, self.seed, self.gallery_root = params, seed, gallery_root
        self.device = None if device in ("", "auto") else device
        self.dtype = None if precision in ("", "auto") else precision
        self.cancel_token: CancelToken | None = None
        self.rendered_video: RenderResult | None = None
        self._started = 0.0
        self._marks = RenderMarks(timeline.wave_plot) if timeline is not None else None
        self._marks_request = 0

        # Left: the settings. Right: the preview (then the player), progress and status.
        self.form = ParamForm(VIDEO_PARAMS, self)
        self.modulations = ModulationEditor(chain, self)
        default = gallery_root / "videos" / f"{audio.stem}-{start:.1f}-{end:.1f}s-seed{seed}.mp4"
        self.out = QLineEdit(str(default), self)
        browse = QPushButton("…", self)
        browse.setToolTip("Choose where to write the video (.mp4, .webm, .gif, or a folder for PNGs)")
        browse.clicked.connect(self._on_browse_clicked)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        settings = QWidget(self)
        settings_layout = QFormLayout(settings)
        header = TextLine(parent=settings)
        header.setText(f" · {start:.2f}–{end:.2f} s · {chain.id} · seed {seed}", bold=audio.name)
        settings_layout.addRow(header)
        settings_layout.addRow(self.form)
        settings_layout.addRow("modulate", self.modulations)
        settings_layout.addRow("output", out_row)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings)
        self.preview = ImageView(self)
        self.player = VideoPlayer(self)
        self.player.failed.connect(self.failed)
        self.player.notice.connect(self._on_player_notice)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.preview)
        self.stack.addWidget(self.player)
        self.progress = ProgressStrip(self)
        self.status = TextLine("Choose the settings, then Render.", self)
        self.render_button = QPushButton("Render", self)
        self.render_button.setDefault(True)
        self.render_button.clicked.connect(self._on_render_clicked)
        self.cancel_button = QPushButton("Cancel render", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.render_button, self.cancel_button, close):
            buttons.addWidget(button)
        right = QVBoxLayout()
        right.addWidget(self.stack, 1)
        right.addWidget(self.progress)
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self._marks_timer = QTimer(self)
        self._marks_timer.setSingleShot(True)
        self._marks_timer.setInterval(300)
        self._marks_timer.timeout.connect(self._update_marks)
        self.form.changed.connect(self._marks_timer.start)
        self.modulations.changed.connect(self._marks_timer.start)
        self._marks_timer.start()

    @property
    def running(self) -> bool:
        """Whether a render is under way."""
        return self.cancel_token is not None

    def settings(self) -> VideoSettings:
        """The settings as shown.

        Raises:
            ParamError: For a value a render refuses.
        """
        return VideoSettings.from_values({**self.form.values(), "modulations": self.modulations.modulations()})

    def request(self) -> RenderRequest:
        """The render the dialog would start.

        Raises:
            ParamError: For a setting a render refuses.
        """
        return RenderRequest(
            audio=self.audio, out=Path(self.out.text()).expanduser(), chain=self.chain.id, settings=self.settings(),
            seed=self.seed, start=self.start, end=self.end, params=self.chain_params, device=self.device,
            dtype=self.dtype,
        )

    # -- rendering ---------------------------------------------------------------------------------

    def _on_render_clicked(self) -> None:
        try:
            request = self.request()
            output_format(request.out, request.codec)  # a wrong suffix is said now, not from the worker
        except A2IError as error:
            self.status.setText(str(error))
            return
        cancel = CancelToken()
        self.cancel_token = cancel
        self.player.stop()
        self.stack.setCurrentWidget(self.preview)
        self._set_running(True)
        self._started = time.monotonic()
        self.status.setText("Starting…")
        registry, gallery_root = self.registry, self.gallery_root

        def work(report: Any) -> RenderResult:
            from a2i_studio.engine import Engine
            from a2i_studio.gallery import Gallery

            engine = Engine(registry)  # its own: the job queue's engine may be running on another thread
            shown = [0.0]

            def progress(update: Progress) -> None:
                now = time.monotonic()
                if now - shown[0] >= 1 / _PREVIEWS_PER_SECOND or update.step == update.total:
                    shown[0] = now
                    preview = to_qimage(update.preview) if update.preview is not None else None
                    report((update.step, update.total, update.stage, preview))

            try:
                result = render(engine, request, progress, cancel)
            finally:
                engine.unload_all()
            if result.path is not None and result.poster is not None:
                gallery = Gallery(gallery_root)
                try:
                    gallery.add_video(result.poster, result.recipe, result.path)
                finally:
                    gallery.close()
            return result

        start_task(work, on_done=self._on_done, on_failed=self._on_failed, on_progress=self._on_progress)

    def _on_progress(self, update: tuple[int, int, str, Any]) -> None:
        step, total, stage, preview = update
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        elapsed = time.monotonic() - self._started
        left = elapsed / step * (total - step) if step else 0.0
        self.status.setText(f"{stage} · {_clock(left)} left")
        if preview is not None:
            self.preview.setPixmap(QPixmap.fromImage(preview))

    def _on_done(self, result: RenderResult) -> None:
        self._set_running(False)
        self.rendered_video = result
        kept = f", {result.reused} kept from before" if result.reused else ""
        self.status.setText(f"Saved {result.frames} frames{kept} in {result.path}", bold="Done. ")
        self.rendered.emit(result)
        if result.path is not None and result.path.is_file():
            self.stack.setCurrentWidget(self.player)
            self.player.set_video(result.path)
            self.player.play()

    def _on_failed(self, error: BaseException) -> None:
        self._set_running(False)
        self.status.setText(str(error))
        if not isinstance(error, Cancelled):
            self.failed.emit(error, f"rendering {self.audio.name}")

    def _on_cancel_clicked(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()
            self.status.setText("Cancelling after this frame…")

    def _set_running(self, running: bool) -> None:
        if not running:
            self.cancel_token = None
        self.render_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.form.setEnabled(not running)
        self.modulations.setEnabled(not running)

    def _on_player_notice(self, text: str) -> None:
        self.status.setText(text)

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Render to", self.out.text(), "Video (*.mp4 *.webm *.gif);;All files (*)"
        )
        if name:
            self.out.setText(name)

    # -- timeline marks ----------------------------------------------------------------------------

    def _update_marks(self) -> None:
        if self._marks is None:
            return
        try:
            settings = self.settings()
        except A2IError:
            return
        self._marks_request += 1
        request = self._marks_request
        audio, start, end = self.audio, self.start, self.end
        start_task(
            lambda: compute_marks(audio, start, end, settings),
            on_done=lambda marks: self._on_marks(request, marks),
            on_failed=lambda error: self.failed.emit(error, "drawing the render's keyframes"),
        )

    def _on_marks(self, request: int, marks: Marks) -> None:
        if self._marks is not None and request == self._marks_request:
            self._marks.show(marks)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Cancel a running render (its frames are kept), stop playing, take the marks off the timeline."""
        if self.cancel_token is not None:
            self.cancel_token.cancel()
        self.player.shutdown()
        self._marks_timer.stop()
        self._marks_request += 1
        if self._marks is not None:
            self._marks.remove()
            self._marks = None
        super().closeEvent(event)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"

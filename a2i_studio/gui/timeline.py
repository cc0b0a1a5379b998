"""The timeline: waveform and spectrogram of the selected clip, time-aligned, with a selection.

The waveform is redrawn from the clip's peak pyramid for the visible range
only, at the view's pixel width, so a one-hour file pans and zooms as fast as
a short one. Spectrogram tiles are computed by a one-thread pool off the UI
thread: one for the whole clip when it loads, and one for the visible range
when zoomed in; only the latest request is computed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QDeadlineTimer, QEvent, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from a2i_studio import config
from a2i_studio.gui.playback import Player
from a2i_studio.gui.widgets import ProgressStrip, TextLine
from a2i_studio.gui.workers import start_task, wait_for_workers

if TYPE_CHECKING:
    from a2i_studio.audio import AudioInfo
    from a2i_studio.audio.peaks import PeaksPyramid

__all__ = ["Timeline"]

_ZOOM_STEP = 1.5
_DETAIL_BELOW = 0.5  # visible fraction of the clip under which a detail spectrogram is drawn
_MAX_COLUMNS = 1024


class Timeline(QWidget):
    """Waveform over spectrogram of one clip, with zoom, pan, selection, seek and playback.

    Signals:
        selection_changed: ``(start, end)`` in seconds, after the user moved the selection.
        failed: ``(error, context)`` from decoding, drawing or playing.
    """

    selection_changed = Signal(float, float)
    failed = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.info: AudioInfo | None = None
        self.pyramid: PeaksPyramid | None = None
        self.player = Player(self)
        self.player.position.connect(self._on_play_position)
        self.player.stopped.connect(self._on_play_stopped)
        self.player.failed.connect(self.failed)
        self._tile_pool = QThreadPool(self)
        self._tile_pool.setMaxThreadCount(1)
        self._tile_request = 0
        self._shut_down = False  # tiles that finish after shutdown are dropped: their images are gone
        self._cancel_build: threading.Event | None = None

        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.wave_plot = self.plots.addPlot(row=0, col=0)
        self.spec_plot = self.plots.addPlot(row=1, col=0)
        self.spec_plot.setXLink(self.wave_plot)
        for plot in (self.wave_plot, self.spec_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getAxis("left").setWidth(36)
        self.wave_plot.hideAxis("bottom")
        self.wave_plot.setYRange(-1.0, 1.0, padding=0.02)
        self.spec_plot.setYRange(0, 128, padding=0)
        self.spec_plot.getAxis("left").setTicks([[(0, "low"), (128, "high")]])
        self.spec_plot.setLabel("bottom", "time", units="s")
        self.envelope_curve = pg.PlotDataItem(connect="pairs")
        self.waveform_curve = pg.PlotDataItem(connect="pairs")
        self.wave_plot.addItem(self.envelope_curve)
        self.wave_plot.addItem(self.waveform_curve)
        colormap = pg.colormap.get("inferno")
        self.overview_image = pg.ImageItem(colorMap=colormap)
        self.detail_image = pg.ImageItem(colorMap=colormap)
        self.spec_plot.addItem(self.overview_image)
        self.spec_plot.addItem(self.detail_image)
        self.region = pg.LinearRegionItem(values=(0, 1))
        self.region.setZValue(10)
        self.region.sigRegionChangeFinished.connect(self._on_region_changed)
        self.wave_plot.addItem(self.region)
        self.playheads = [pg.InfiniteLine(angle=90, movable=False) for _ in range(2)]
        for plot, line in zip((self.wave_plot, self.spec_plot), self.playheads, strict=True):
            line.setZValue(20)
            plot.addItem(line)
        self.wave_plot.sigXRangeChanged.connect(self._on_range_changed)
        self.wave_plot.vb.sigResized.connect(self._on_range_changed)
        self.plots.scene().sigMouseClicked.connect(self._on_scene_clicked)

        self.title = TextLine("Open or drop a clip to see it here.", self)
        self.progress = ProgressStrip(self)
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setToolTip("Play the selection, or from the playhead (Space)")
        self.play_button.clicked.connect(self.toggle_playback)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.progress)
        for text, tip, slot in (
            ("−", "Zoom out (-)", lambda: self.zoom(1 / _ZOOM_STEP)),
            ("+", "Zoom in (+)", lambda: self.zoom(_ZOOM_STEP)),
            ("Fit", "Show the whole clip (F)", self.fit),
        ):
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            header.addWidget(button)
        header.addWidget(self.play_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.plots, 1)
        self._redraw_timer = _single_shot(self, 0, self._redraw_waveform)
        self._detail_timer = _single_shot(self, 150, self._request_detail_tile)
        self._apply_palette()
        self.set_clip(None)

    # -- clip and selection -------------------------------------------------------------------------

    def set_clip(self, info: AudioInfo | None) -> None:
        """Show ``info`` (building or loading its peak pyramid in a worker), or nothing."""
        self.player.stop()
        if self._cancel_build is not None:
            self._cancel_build.set()
        self.info, self.pyramid = info, None
        for item in (self.waveform_curve, self.envelope_curve):
            item.setData([], [])
        for image in (self.overview_image, self.detail_image):
            image.clear()
        for element in (self.region, *self.playheads):
            element.setVisible(info is not None)
        self.play_button.setEnabled(info is not None)
        if info is None:
            self.title.setText("Open or drop a clip to see it here.")
            return
        self.wave_plot.setLimits(xMin=0, xMax=info.duration, minXRange=min(info.duration, 64 / info.sample_rate))
        self.region.setBounds((0, info.duration))
        self.set_playhead(0.0)
        self.fit()
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._build_pyramid(info)

    def selection(self) -> tuple[float, float] | None:
        """The selected segment in seconds, or ``None`` without a clip."""
        if self.info is None:
            return None
        start, end = self.region.getRegion()
        return round(float(start), 3), round(float(end), 3)

    def set_selection(self, start: float, end: float) -> None:
        """Select ``start`` to ``end`` seconds (clamped to the clip)."""
        if self.info is not None:
            self.region.setRegion((max(0.0, start), min(end, self.info.duration)))
            self._update_title()

    def select_default(self, window_seconds: float | None) -> None:
        """Select the encoder's window from the start of the clip, or the whole clip."""
        if self.info is not None:
            duration = self.info.duration
            self.set_selection(0.0, min(window_seconds, duration) if window_seconds else duration)

    # -- view --------------------------------------------------------------------------------------

    def zoom(self, factor: float) -> None:
        """Zoom in (``factor`` > 1) or out around the centre of the view."""
        (low, high), _ = self.wave_plot.viewRange()
        centre, half = (low + high) / 2, (high - low) / 2 / factor
        self.wave_plot.setXRange(centre - half, centre + half, padding=0)

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (negative: to the left)."""
        (low, high), _ = self.wave_plot.viewRange()
        shift = (high - low) * fraction
        self.wave_plot.setXRange(low + shift, high + shift, padding=0)

    def fit(self) -> None:
        """Show the whole clip."""
        if self.info is not None:
            self.wave_plot.setXRange(0, self.info.duration, padding=0)

    # -- playback ----------------------------------------------------------------------------------

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead (both lines) to ``seconds``."""
        for line in self.playheads:
            line.setValue(seconds)

    def playhead(self) -> float:
        """The playhead in seconds."""
        return float(self.playheads[0].value())

    def toggle_playback(self) -> None:
        """Play the selection (from the playhead if it lies inside), or stop playing."""
        if self.player.playing:
            self.player.stop()
            return
        selection = self.selection()
        if self.info is None or selection is None:
            return
        start, end = selection
        head = self.playhead()
        self.player.play(self.info.path, head if start <= head < end else start, end)
        self.play_button.setText("■ Stop")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Space plays/stops; + and - zoom; F fits; arrows pan; Home/End move the playhead."""
        key = Qt.Key
        actions = {
            key.Key_Space: self.toggle_playback,
            key.Key_Plus: lambda: self.zoom(_ZOOM_STEP),
            key.Key_Equal: lambda: self.zoom(_ZOOM_STEP),
            key.Key_Minus: lambda: self.zoom(1 / _ZOOM_STEP),
            key.Key_F: self.fit,
            key.Key_Left: lambda: self.pan(-0.25),
            key.Key_Right: lambda: self.pan(0.25),
            key.Key_Home: lambda: self.set_playhead(0.0),
            key.Key_End: lambda: self.set_playhead(self.info.duration if self.info else 0.0),
        }
        action = actions.get(Qt.Key(event.key()))
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """Follow the app's light or dark palette."""
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def shutdown(self, deadline: QDeadlineTimer | None = None) -> bool:
        """Stop playback, peak building and pending tiles (before the window closes).

        Returns:
            Whether the tile worker stopped before ``deadline``.
        """
        self.player.stop()
        if self._cancel_build is not None:
            self._cancel_build.set()
        self._tile_request += 1
        self._shut_down = True
        self._tile_pool.clear()
        return wait_for_workers(self._tile_pool, "spectrogram tiles", deadline)

    # -- handlers ----------------------------------------------------------------------------------

    def _build_pyramid(self, info: AudioInfo) -> None:
        from a2i_studio.audio.peaks import PeaksPyramid

        cancel = threading.Event()
        self._cancel_build = cancel

        def build(report: Callable[[float], None]) -> PeaksPyramid:
            return PeaksPyramid.build(
                info.path, cache_dir=config.cache_dir() / "peaks", progress=lambda d, t: report(d / t), cancel=cancel
            )

        start_task(
            build,
            on_done=lambda pyramid: self._on_pyramid_built(info, pyramid),
            on_failed=lambda error: self._on_build_failed(info, error),
            on_progress=lambda fraction: self.progress.setValue(round(100 * fraction)),
        )

    def _on_pyramid_built(self, info: AudioInfo, pyramid: PeaksPyramid) -> None:
        if info is not self.info:
            return
        self.pyramid = pyramid
        self.progress.setVisible(False)
        self._redraw_waveform()
        self._request_tile(self.overview_image, 0.0, info.duration, _MAX_COLUMNS)

    def _on_build_failed(self, info: AudioInfo, error: BaseException) -> None:
        from a2i_studio.errors import Cancelled

        if info is self.info:
            self.progress.setVisible(False)
            if not isinstance(error, Cancelled):
                self.failed.emit(error, f"drawing {info.path.name}")

    def _on_range_changed(self, *_args: object) -> None:
        self._redraw_timer.start()
        self._detail_timer.start()

    def _visible_frames(self) -> tuple[int, int, int]:
        """First frame, end frame and pixel width of the visible part of the clip."""
        assert self.info is not None
        (low, high), _ = self.wave_plot.viewRange()
        rate, frames = self.info.sample_rate, self.info.frames
        first = min(max(int(low * rate), 0), frames - 1)
        last = max(min(math.ceil(high * rate), frames), first + 1)
        return first, last, max(1, int(self.wave_plot.vb.width()))

    def _redraw_waveform(self) -> None:
        if self.info is None or self.pyramid is None:
            return
        first, last, pixels = self._visible_frames()
        mins, maxs, rms = self.pyramid.query(first, last, pixels)
        centres = (first + (last - first) * (np.arange(pixels) + 0.5) / pixels) / self.info.sample_rate
        xs = np.repeat(centres, 2)
        self.waveform_curve.setData(xs, np.column_stack([mins, maxs]).ravel())
        self.envelope_curve.setData(xs, np.column_stack([-rms, rms]).ravel())
        self._update_title()

    def _request_detail_tile(self) -> None:
        if self.info is None or self.pyramid is None:
            return
        first, last, pixels = self._visible_frames()
        if (last - first) < _DETAIL_BELOW * self.info.frames:
            rate = self.info.sample_rate
            self._request_tile(self.detail_image, first / rate, last / rate, min(pixels, _MAX_COLUMNS))
        else:
            self.detail_image.clear()

    def _request_tile(self, image: pg.ImageItem, start: float, end: float, columns: int) -> None:
        assert self.info is not None
        info, rate = self.info, self.info.sample_rate
        self._tile_request += 1
        request = self._tile_request
        overview = image is self.overview_image

        def wanted() -> bool:
            # The overview is wanted until shutdown; a detail tile only while it is still the latest request.
            return not self._shut_down if overview else request == self._tile_request

        def compute() -> np.ndarray | None:
            if not wanted():
                return None
            from a2i_studio.audio.tiles import spectrogram_tile

            return spectrogram_tile(info.path, round(start * rate), round(end * rate), columns)

        def show(tile: np.ndarray | None) -> None:
            # The tile may arrive after the timeline (and its image item) was destroyed.
            if tile is None or not shiboken6.isValid(image) or info is not self.info or not wanted():
                return
            top = float(tile.max())
            image.setImage(tile.T, levels=(top - 80.0, top))
            image.setRect(start, 0.0, end - start, float(tile.shape[0]))

        start_task(
            compute,
            on_done=show,
            on_failed=lambda error: self.failed.emit(error, "drawing the spectrogram"),
            pool=self._tile_pool,
        )

    def _on_region_changed(self) -> None:
        selection = self.selection()
        if selection is not None:
            self._update_title()
            self.selection_changed.emit(*selection)

    def _on_scene_clicked(self, event: object) -> None:
        if self.info is None or event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        position = event.scenePos()  # type: ignore[attr-defined]
        for plot in (self.wave_plot, self.spec_plot):
            if plot.vb.sceneBoundingRect().contains(position):
                seconds = min(max(plot.vb.mapSceneToView(position).x(), 0.0), self.info.duration)
                self.set_playhead(seconds)
                self.setFocus()

    def _on_play_position(self, seconds: float) -> None:
        self.set_playhead(seconds)

    def _on_play_stopped(self) -> None:
        self.play_button.setText("▶ Play")

    def _update_title(self) -> None:
        selection = self.selection()
        if self.info is None or selection is None:
            return
        start, end = selection
        self.title.setText(
            f" · {self.info.duration:.1f} s · selection {start:.2f}–{end:.2f} s ({end - start:.2f} s)",
            bold=self.info.path.name,
        )

    def _apply_palette(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        accent = palette.color(QPalette.ColorRole.Highlight)
        text = palette.color(QPalette.ColorRole.Text)
        self.plots.setBackground(base)
        for plot in (self.wave_plot, self.spec_plot):
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(text)
                plot.getAxis(axis).setPen(text)
        self.waveform_curve.setPen(pg.mkPen(accent, width=1))
        envelope = pg.mkColor(accent)
        envelope.setAlpha(110)
        self.envelope_curve.setPen(pg.mkPen(envelope, width=1))
        for line in self.playheads:
            line.setPen(pg.mkPen("#e5484d", width=2))
        self.region.setBrush(pg.mkBrush(accent.red(), accent.green(), accent.blue(), 45))


def _single_shot(parent: QWidget, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    """A restartable single-shot timer: coalesces bursts of range changes into one redraw."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer

"""What a video render will listen to, drawn over the timeline's waveform: keyframes and modulation envelopes.

:class:`RenderMarks` owns a few plot items on the timeline's waveform plot:
one vertical tick per keyframe (one item for all, so thousands of onsets draw
as fast as a handful) and one curve per envelope a modulation follows,
scaled from 0-1 to the waveform's -1..1. The render dialog fills them from
the same analysis the render uses (:func:`compute_marks`, off the UI thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg

from a2i_studio.audio.envelopes import HOP_SECONDS, analyse, band_of
from a2i_studio.frames import VideoSettings, frame_count, keyframe_flags

__all__ = ["Marks", "RenderMarks", "compute_marks"]

_COLOURS = ("#f5a524", "#3ecf8e", "#a78bfa", "#60a5fa", "#f472b6")
_POINTS = 2000  # an envelope is drawn with at most this many points


@dataclass(frozen=True)
class Marks:
    """Keyframe times and envelopes of a segment, in seconds of the clip (not of the segment).

    Attributes:
        keyframes: Times of the keyframes (empty without keyframes).
        envelopes: By name, ``(times, values 0-1)``.
    """

    keyframes: np.ndarray
    envelopes: Mapping[str, tuple[np.ndarray, np.ndarray]]


def compute_marks(path: Path, start: float, end: float, settings: VideoSettings) -> Marks:
    """Analyse ``start``-``end`` of ``path`` as a render with ``settings`` would (call it from a worker).

    Raises:
        AudioError: If the file cannot be read.
        ParamError: For an unknown envelope.
    """
    names = settings.envelope_names()
    bands = [band for band in map(band_of, names) if band is not None]
    analysis = analyse(path, start=start, end=end, bands=bands)
    count = frame_count(end - start, settings.fps)
    keyframes: np.ndarray = np.zeros(0)
    if settings.keyframes != "none":
        flags = keyframe_flags(settings, analysis, count)
        keyframes = start + (np.flatnonzero(flags) + 0.5) / settings.fps
    envelopes = {}
    for name in names:
        values = analysis.envelope(name)
        step = max(1, values.size // _POINTS)
        envelopes[name] = (start + np.arange(0, values.size, step) * HOP_SECONDS, values[::step])
    return Marks(keyframes, envelopes)


class RenderMarks:
    """Keyframe ticks and envelope curves on ``plot`` (the timeline's waveform plot)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.ticks = pg.PlotDataItem(connect="pairs", pen=pg.mkPen("#f5a524", width=1))
        self.ticks.setZValue(15)
        plot.addItem(self.ticks)
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show(self, marks: Marks) -> None:
        """Draw ``marks`` in place of what was drawn."""
        xs = np.repeat(marks.keyframes, 2)
        ys = np.tile([-1.0, 1.0], marks.keyframes.size)
        self.ticks.setData(xs, ys)
        self.clear_curves()
        for index, (name, (times, values)) in enumerate(marks.envelopes.items()):
            curve = pg.PlotDataItem(times, 2 * values - 1, pen=pg.mkPen(_COLOURS[index % len(_COLOURS)], width=2),
                                    name=name)
            curve.setZValue(16)
            self.plot.addItem(curve)
            self.curves[name] = curve

    def clear(self) -> None:
        """Draw nothing."""
        self.ticks.setData([], [])
        self.clear_curves()

    def clear_curves(self) -> None:
        """Remove the envelope curves."""
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves.clear()

    def remove(self) -> None:
        """Take every item off the plot (when the dialog closes)."""
        self.clear()
        self.plot.removeItem(self.ticks)

"""Envelopes and events of live sound: the analysis of :mod:`a2i_studio.audio.envelopes` over a sliding history.

A render scales each envelope over the whole clip and finds its onsets and
beats knowing what comes after them; live sound has only what was heard.
:class:`LiveAnalyser` feeds the same :class:`~a2i_studio.audio.envelopes.Analyser`
as the sound arrives and reads the last :data:`HISTORY_SECONDS` of it: levels
are scaled between their 5th and 99th percentile over that history, onsets are
picked by the same rule once the 100 ms it compares them with has been heard
(:data:`ONSET_DELAY`; faint noise, when nothing louder has been heard yet, is
not scaled up into onsets), and beats are tracked over the last 8 s every half
second and carried on at the tracked tempo in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from a2i_studio.audio._rhythm import pick_onsets, track_beats
from a2i_studio.audio.envelopes import ANALYSIS_RATE, HOP_SECONDS, Analyser, Analysis

__all__ = ["EVENTS", "HISTORY_SECONDS", "ONSET_DELAY", "LiveAnalyser"]

HISTORY_SECONDS = 30.0
"""Seconds of sound each envelope is scaled over."""
ONSET_DELAY = 0.1
"""Seconds after an onset before it is known: the onset rule compares a hop with the 100 ms around it."""
EVENTS = ("onsets", "beats")
"""The events live sound can key frames on (section changes need the seconds after them)."""
_BEAT_SECONDS = 8.0  # beats are tracked over this much sound
_RETRACK_SECONDS = 0.5  # and tracked again this often (a tracking costs ~10 ms)
# Onset strength is scaled over at least this range: four times that of faint noise (-46 dBFS), so the
# first seconds of a session, with nothing louder heard yet, do not scale noise up into onsets.
_ONSET_MIN_RANGE = 0.5


class LiveAnalyser:
    """Envelope values and events of sound fed as it arrives, at the newest moment heard.

    Args:
        bands: Extra bands ``(low, high)`` in Hz, for band envelopes.
        history: Seconds of sound the envelopes are scaled over.
    """

    def __init__(self, bands: Sequence[tuple[float, float]] = (), history: float = HISTORY_SECONDS) -> None:
        self._analyser = Analyser(bands)
        self._history = history
        self._fed = 0
        self._current: tuple[int, float, Analysis] | None = None  # (samples fed, offset, analysis)
        self._tracked_at = -np.inf
        self._beats = np.zeros(0)  # beat times in seconds from the first sample, tracked then carried on
        self._period = 0.0
        self._last_beat = -np.inf
        self._since = dict.fromkeys(EVENTS, 0.0)

    @property
    def heard(self) -> float:
        """Seconds of sound fed."""
        return self._fed / ANALYSIS_RATE

    def feed(self, block: np.ndarray) -> None:
        """Add the next mono float32 samples at :data:`~a2i_studio.audio.envelopes.ANALYSIS_RATE`."""
        self._analyser.feed(block)
        self._fed += block.shape[0]

    def envelopes(self, names: Sequence[str], span: float) -> dict[str, float]:
        """Each envelope's value (0-1) over the last ``span`` seconds: the mean, the peak for ``onset``."""
        offset, analysis = self._analysis()
        if analysis.loudness_db.size == 0:
            return dict.fromkeys(names, 0.0)
        at = np.asarray([max(self.heard - offset - span / 2, 0.0)])
        return {
            name: float(analysis.at(analysis.envelope(name), at, span, peak=name == "onset")[0]) for name in names
        }

    def event(self, kind: str) -> bool:
        """Whether an event of ``kind`` (``onsets`` or ``beats``) was heard since the last call for that kind."""
        offset, analysis = self._analysis()
        if kind == "onsets":
            until, times, since = self.heard - ONSET_DELAY, analysis.onsets + offset, self._since[kind]
        else:  # a beat tracked again a little off its carried-on time is the same beat
            until, times = self.heard, self._beats
            since = max(self._since[kind], self._last_beat + self._period / 2)
        new = times[(times > since) & (times <= until)]
        self._since[kind] = max(self._since[kind], until)
        if kind == "beats" and new.size:
            self._last_beat = float(new[-1])
        return bool(new.size)

    def _analysis(self) -> tuple[float, Analysis]:
        """The history as an :class:`Analysis` with its onsets and beats, made once per block fed."""
        if self._current is not None and self._current[0] == self._fed:
            return self._current[1], self._current[2]
        offset, analysis = self._analyser.recent(self._history)
        flux = analysis.onset_strength
        hops_per_second = 1 / HOP_SECONDS
        if self.heard - self._tracked_at >= _RETRACK_SECONDS:
            self._tracked_at = self.heard
            tail = min(flux.size, round(_BEAT_SECONDS * hops_per_second))
            tempo, hops = track_beats(flux[flux.size - tail :], hops_per_second)
            self._period = 60.0 / tempo if tempo else 0.0
            self._beats = offset + (hops + flux.size - tail) * HOP_SECONDS
        if self._period and self._beats.size and self._beats[-1] <= self.heard:  # carry the beat on
            ahead = np.arange(1, int((self.heard - self._beats[-1]) / self._period) + 2)
            self._beats = np.concatenate([self._beats, self._beats[-1] + ahead * self._period])
        analysis = replace(
            analysis,
            onsets=pick_onsets(flux, hops_per_second, min_range=_ONSET_MIN_RANGE) * HOP_SECONDS,
            beats=self._beats - offset,
            tempo=60.0 / self._period if self._period else 0.0,
        )
        self._current = (self._fed, offset, analysis)
        return offset, analysis

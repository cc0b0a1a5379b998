"""Envelopes and events of a clip, for audio-reactive video: loudness, onsets, beats, bands, sections.

An :class:`Analyser` is fed mono blocks at :data:`ANALYSIS_RATE` as they are
decoded and keeps a few numbers per 10 ms hop (level, spectral flux, band
levels), so an hour-long track costs a few megabytes; :meth:`Analyser.finish`
turns them into an :class:`Analysis`: envelopes scaled to 0-1 over the clip,
and the times of its onsets, beats and section changes. :func:`analyse` runs
one pass over a file or a segment of it.

Envelope names, as ``a2i render --modulate`` takes them: ``loudness``,
``onset`` (onset strength), ``beat`` (1 on each beat, falling to 0 before the
next), ``bass`` (20-250 Hz), ``mid`` (250-2000 Hz), ``treble`` (2-8 kHz) and
``LOW-HIGHhz`` for any other band (``60-120hz``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from a2i_studio.audio._filterbanks import slaney_mel_filters
from a2i_studio.audio._load import stream
from a2i_studio.audio._rhythm import pick_onsets, section_changes, track_beats
from a2i_studio.errors import ParamError

__all__ = [
    "ANALYSIS_RATE",
    "BANDS",
    "ENVELOPES",
    "HOP_SECONDS",
    "Analyser",
    "Analysis",
    "analyse",
    "band_of",
]

ANALYSIS_RATE = 16_000
"""Samples per second the analyser takes (the rate the built-in encoders use too)."""
_HOP = 160
_N_FFT = 512
_N_MELS = 40
HOP_SECONDS = _HOP / ANALYSIS_RATE
"""Seconds between two analysis hops (10 ms)."""
_BLOCK_HOPS = 25  # section features are averaged over 0.25 s blocks
_FLOOR = 1e-10
_FLUX_GAIN = 1000.0
_FLUX_LAG = 2
_MIN_RANGE_DB = 6.0  # a level that varies less than this is not stretched to 0-1

BANDS = {"bass": (20.0, 250.0), "mid": (250.0, 2000.0), "treble": (2000.0, 8000.0)}
"""Named frequency bands, in Hz."""
ENVELOPES = ("loudness", "onset", "beat", *BANDS)
"""Envelope names; a band ``LOW-HIGHhz`` is an envelope too."""
_BAND_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)hz$")


def band_of(name: str) -> tuple[float, float] | None:
    """The band ``(low, high)`` in Hz that an envelope name stands for, or ``None`` for another envelope.

    Raises:
        ParamError: For a name that is no envelope, or a band outside 0-8000 Hz.
    """
    if name in BANDS:
        return BANDS[name]
    match = _BAND_PATTERN.match(name)
    if match is None:
        if name in ENVELOPES:
            return None
        raise ParamError(
            f"Envelope {name!r} is unknown; use {', '.join(ENVELOPES)}, or a band such as 60-250hz."
        )
    low, high = float(match[1]), float(match[2])
    if not 0 <= low < high <= ANALYSIS_RATE / 2:
        raise ParamError(f"Band {name} is empty or past 8000 Hz; use LOW-HIGHhz with 0 <= LOW < HIGH <= 8000.")
    return low, high


@dataclass(frozen=True)
class Analysis:
    """What a clip's sound does over time, one value per 10 ms hop.

    Attributes:
        duration: Seconds analysed.
        loudness_db: RMS level per hop, dBFS.
        onset_strength: Spectral flux per hop: how much the spectrum rose since the previous hop.
        band_db: Level per hop of each band asked for, dB, by ``(low, high)`` Hz.
        onsets: Onset times, seconds.
        beats: Beat times, seconds.
        tempo: Beats per minute (0 without beats).
        sections: Times where the sound changes character, seconds.
    """

    duration: float
    loudness_db: np.ndarray
    onset_strength: np.ndarray
    band_db: dict[tuple[float, float], np.ndarray] = field(default_factory=dict)
    onsets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    beats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tempo: float = 0.0
    sections: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def envelope(self, name: str) -> np.ndarray:
        """Envelope ``name`` per hop, scaled to 0-1 over the clip (see the module's list of names).

        Levels (loudness, bands) map their 5th percentile to 0 and their 99th to 1 (at
        least 6 dB apart), onset strength its 99th percentile to 1; values are clipped.

        Raises:
            ParamError: For an unknown name, or a band the analysis was not asked for.
        """
        band = band_of(name)
        if band is not None:
            if band not in self.band_db:
                raise ParamError(f"Band {name} was not analysed; pass it to Analyser(bands=...).")
            return _scale_level(self.band_db[band])
        if name == "loudness":
            return _scale_level(self.loudness_db)
        if name == "onset":
            top = float(np.percentile(self.onset_strength, 99)) if self.onset_strength.size else 0.0
            return np.clip(self.onset_strength / top, 0.0, 1.0) if top > 0 else np.zeros_like(self.onset_strength)
        return self._beat_pulse()

    def at(self, envelope: np.ndarray, times: np.ndarray, span: float, peak: bool = False) -> np.ndarray:
        """``envelope`` (one value per hop) summarised around each time: mean, or max if ``peak``, over ``span`` s."""
        if envelope.size == 0:
            return np.zeros(times.shape)
        half = max(span / 2, HOP_SECONDS / 2)
        first = np.clip(np.floor((times - half) / HOP_SECONDS + 0.5).astype(np.int64), 0, envelope.size - 1)
        last = np.clip(np.floor((times + half) / HOP_SECONDS + 0.5).astype(np.int64), first + 1, envelope.size)
        if peak:
            return np.asarray([envelope[a:b].max() for a, b in zip(first, last, strict=True)])
        cumulative = np.concatenate([[0.0], np.cumsum(envelope)])
        return (cumulative[last] - cumulative[first]) / (last - first)

    def _beat_pulse(self) -> np.ndarray:
        times = np.arange(self.loudness_db.size) * HOP_SECONDS
        pulse = np.zeros(times.shape)
        if self.beats.size < 2:
            return pulse
        after = np.searchsorted(self.beats, times, side="right")
        inside = (after > 0) & (after < self.beats.size)
        previous, following = self.beats[after[inside] - 1], self.beats[after[inside]]
        pulse[inside] = 1.0 - (times[inside] - previous) / (following - previous)
        return pulse


class Analyser:
    """Streaming analysis: :meth:`feed` mono blocks at :data:`ANALYSIS_RATE`, then :meth:`finish`.

    Args:
        bands: Extra bands ``(low, high)`` in Hz whose level to keep, for band envelopes.
    """

    def __init__(self, bands: Sequence[tuple[float, float]] = ()) -> None:
        self._bands = tuple(dict.fromkeys((*BANDS.values(), *bands)))
        frequencies = np.fft.rfftfreq(_N_FFT, 1 / ANALYSIS_RATE)
        self._band_masks = [(frequencies >= low) & (frequencies < high) for low, high in self._bands]
        self._mel = slaney_mel_filters(ANALYSIS_RATE, _N_FFT, _N_MELS, 0.0, ANALYSIS_RATE / 2)
        self._window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)).astype(np.float32)
        self._pending = np.zeros(_N_FFT // 2, dtype=np.float32)  # centred frames: half a frame of silence first
        self._samples = 0
        self._forgotten = 0  # hops dropped by recent()
        self._previous = np.zeros((_FLUX_LAG, _N_MELS))  # the last compressed mel rows, for the flux
        self._levels: list[np.ndarray] = []
        self._flux: list[np.ndarray] = []
        self._band_levels: list[np.ndarray] = []
        self._blocks: list[np.ndarray] = []
        self._unblocked = np.zeros((0, _N_MELS))  # mel rows not yet averaged into a block

    def feed(self, block: np.ndarray) -> None:
        """Add the next mono float32 samples."""
        self._samples += block.shape[0]
        self._pending = np.concatenate([self._pending, block.astype(np.float32, copy=False)])
        count = (self._pending.shape[0] - _N_FFT) // _HOP + 1
        if count > 0:
            self._frames(self._pending[: (count - 1) * _HOP + _N_FFT], count)
            self._pending = self._pending[count * _HOP :]

    def recent(self, seconds: float) -> tuple[float, Analysis]:
        """The envelopes of the last ``seconds`` fed so far, for live input; forgets the hops before them.

        Live sound has no end to wait for: this reads the hops analysed up to now (the
        last 16 ms of sound are analysed with the next block) and drops older ones, so a
        session of hours keeps ``seconds`` of them. An analyser read this way is not
        finished.

        Returns:
            ``(offset, analysis)``: where the analysis's first hop lies, in seconds from the
            first sample fed, and an :class:`Analysis` of the hops since, without events.
        """
        keep = max(1, round(seconds / HOP_SECONDS))
        loudness = np.concatenate(self._levels)[-keep:] if self._levels else np.zeros(0)
        flux = np.concatenate(self._flux)[-keep:] if self._flux else np.zeros(0)
        bands = np.concatenate(self._band_levels)[-keep:] if self._band_levels else np.zeros((0, len(self._bands)))
        self._forgotten += sum(level.size for level in self._levels) - loudness.size
        self._levels, self._flux, self._band_levels = [loudness], [flux], [bands]
        self._blocks.clear()  # section changes need the sound after them: live mode has none
        analysis = Analysis(
            duration=loudness.size * HOP_SECONDS,
            loudness_db=loudness,
            onset_strength=flux,
            band_db={band: bands[:, index] for index, band in enumerate(self._bands)},
        )
        return self._forgotten * HOP_SECONDS, analysis

    def finish(self) -> Analysis:
        """Analyse the rest (padded with silence) and return the :class:`Analysis`."""
        hops = -(-self._samples // _HOP)  # one hop per started 10 ms
        done = sum(level.size for level in self._levels)
        if hops > done:
            tail = np.concatenate([self._pending, np.zeros(_N_FFT, dtype=np.float32)])
            self._frames(tail[: (hops - done - 1) * _HOP + _N_FFT], hops - done)
        if self._unblocked.shape[0]:
            self._blocks.append(self._unblocked.mean(axis=0, keepdims=True))
        blocks = np.concatenate(self._blocks) if self._blocks else np.zeros((0, _N_MELS))
        loudness = np.concatenate(self._levels) if self._levels else np.zeros(0)
        flux = np.concatenate(self._flux) if self._flux else np.zeros(0)
        bands = np.concatenate(self._band_levels) if self._band_levels else np.zeros((0, len(self._bands)))
        hops_per_second = 1 / HOP_SECONDS
        tempo, beats = track_beats(flux, hops_per_second)
        return Analysis(
            duration=self._samples / ANALYSIS_RATE,
            loudness_db=loudness,
            onset_strength=flux,
            band_db={band: bands[:, index] for index, band in enumerate(self._bands)},
            onsets=pick_onsets(flux, hops_per_second) * HOP_SECONDS,
            beats=beats * HOP_SECONDS,
            tempo=tempo,
            sections=section_changes(blocks, hops_per_second / _BLOCK_HOPS) * _BLOCK_HOPS * HOP_SECONDS,
        )

    def _frames(self, samples: np.ndarray, count: int) -> None:
        frames = np.lib.stride_tricks.sliding_window_view(samples, _N_FFT)[::_HOP][:count]
        power = np.abs(np.fft.rfft(frames * self._window)) ** 2
        # The level of the 10 ms each frame is centred on; spectra come from the whole windowed frame.
        centre = frames[:, (_N_FFT - _HOP) // 2 : (_N_FFT + _HOP) // 2].astype(np.float64)
        self._levels.append(10 * np.log10(np.maximum(np.mean(centre**2, axis=1), _FLOOR)))
        self._band_levels.append(
            10 * np.log10(np.maximum(np.stack([power[:, mask].sum(axis=1) for mask in self._band_masks], 1), _FLOOR))
        )
        mel = power @ self._mel
        # Flux over 20 ms on log(1 + 1000 x): bands far below full scale stay near linear, so their
        # noise does not flicker the way it does in decibels, and a click stands out of a hiss.
        compressed = np.log1p(_FLUX_GAIN * mel)
        history = np.vstack([self._previous, compressed])
        rise = history[_FLUX_LAG:] - history[:-_FLUX_LAG]
        self._flux.append(np.maximum(rise, 0.0).mean(axis=1))
        self._previous = history[-_FLUX_LAG:]
        rows = np.vstack([self._unblocked, 10 * np.log10(np.maximum(mel, _FLOOR))])
        full = rows.shape[0] // _BLOCK_HOPS * _BLOCK_HOPS
        if full:
            self._blocks.append(rows[:full].reshape(-1, _BLOCK_HOPS, _N_MELS).mean(axis=1))
        self._unblocked = rows[full:]


def analyse(
    path: str | os.PathLike[str],
    *,
    start: float | None = None,
    end: float | None = None,
    bands: Sequence[tuple[float, float]] = (),
) -> Analysis:
    """Analyse a file, or its ``start``-``end`` segment, in one streaming pass.

    Raises:
        AudioError: If the file cannot be read or the range lies outside it.
    """
    analyser = Analyser(bands)
    for block in stream(path, start=start, end=end, sample_rate=ANALYSIS_RATE):
        analyser.feed(block)
    return analyser.finish()


def _scale_level(decibels: np.ndarray) -> np.ndarray:
    if decibels.size == 0:
        return decibels
    low, high = np.percentile(decibels, [5, 99])
    low = min(low, high - _MIN_RANGE_DB)
    return np.clip((decibels - low) / (high - low), 0.0, 1.0)

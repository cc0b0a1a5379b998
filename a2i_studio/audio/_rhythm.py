"""Events in a clip's envelopes: onsets, tempo and beats, section changes (numpy only).

Onsets are peaks of the spectral-flux onset strength, picked as librosa picks
them (a local maximum that stands above the local mean). Beats follow Ellis's
dynamic programme ("Beat tracking by dynamic programming", JNMR 2007): a tempo
from the onset strength's autocorrelation weighted towards 120 BPM, then the
beat times that best fit both the onsets and that tempo. Section changes are
peaks of a novelty curve: how far the mean spectrum of the few seconds before
a moment lies from that of the few seconds after it, in decibels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SECTION_THRESHOLD_DB", "pick_onsets", "section_changes", "track_beats"]

SECTION_THRESHOLD_DB = 6.0
"""How far (RMS over bands, dB) the sound before and after a moment must differ for a section change."""

_START_BPM = 120.0  # the tempo prior's centre, as in librosa and Ellis 2007
_BPM_SPREAD_OCTAVES = 1.0
_TIGHTNESS = 100.0  # how strongly the dynamic programme holds the tempo


def pick_onsets(
    strength: np.ndarray, hops_per_second: float, delta: float = 0.07, min_range: float = 0.0
) -> np.ndarray:
    """Hops where the onset strength peaks: librosa's ``onset_detect`` rule on our envelope.

    A hop is an onset when it is the largest value in the 30 ms before it, stands
    ``delta`` above the mean of the 100 ms around it (on the strength scaled to
    0-1), and comes at least 30 ms after the previous onset.

    Args:
        strength: Onset strength per hop.
        hops_per_second: Hops per second of ``strength``.
        delta: Height above the local mean, as a share of the strength's range.
        min_range: The smallest range the strength is scaled over: live sound, whose first
            seconds may be all faint noise, keeps that noise from scaling up into onsets.

    Returns:
        Hop indices, ascending.
    """
    if strength.size == 0 or float(strength.max() - strength.min()) <= 0:
        return np.zeros(0, dtype=np.int64)
    scaled = (strength - strength.min()) / max(float(strength.max() - strength.min()), min_range)
    pre_max = max(1, round(0.03 * hops_per_second))
    average = max(1, round(0.10 * hops_per_second))
    wait = max(1, round(0.03 * hops_per_second))
    padded = np.pad(scaled, (pre_max, 0), constant_values=-np.inf)
    local_max = np.lib.stride_tricks.sliding_window_view(padded, pre_max + 1).max(axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(scaled)])
    index = np.arange(scaled.size)
    low, high = np.maximum(index - average, 0), np.minimum(index + average + 1, scaled.size)
    local_mean = (cumulative[high] - cumulative[low]) / (high - low)
    candidates = np.flatnonzero((scaled >= local_max) & (scaled >= local_mean + delta))
    onsets: list[int] = []
    for hop in candidates:
        if not onsets or hop - onsets[-1] > wait:
            onsets.append(int(hop))
    return np.asarray(onsets, dtype=np.int64)


def track_beats(strength: np.ndarray, hops_per_second: float) -> tuple[float, np.ndarray]:
    """The tempo and the beat hops of an onset-strength envelope (Ellis 2007).

    Args:
        strength: Onset strength per hop.
        hops_per_second: Hops per second of ``strength``.

    Returns:
        ``(bpm, beat hops)``; ``(0.0, [])`` for a clip without onsets or shorter than two beats.
    """
    if strength.size == 0 or float(strength.std()) <= 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    envelope = strength / strength.std()
    period = _tempo_period(envelope, hops_per_second)
    if period is None or envelope.size < 2 * period:
        return 0.0, np.zeros(0, dtype=np.int64)
    # 1. A local score that favours onsets, smoothed by a Gaussian a 32nd of a beat wide.
    offsets = np.arange(-period, period + 1)
    local = np.convolve(envelope, np.exp(-0.5 * (offsets * 32.0 / period) ** 2), mode="same")
    # 2. Each hop's best score over chains of beats ending there, with a penalty for straying from the period.
    window = np.arange(-2 * period, -round(period / 2) + 1)
    penalty = -_TIGHTNESS * np.log(-window / period) ** 2
    score = local.copy()
    backlink = np.full(local.size, -1, dtype=np.int64)
    for hop in range(-window[-1], local.size):
        reach = hop + window >= 0  # early hops look back only as far as the clip goes
        candidates = score[hop + window[reach]] + penalty[reach]
        best = int(np.argmax(candidates))
        score[hop] = local[hop] + candidates[best]
        backlink[hop] = hop + int(window[reach][best])
    # 3. Back from the last strong peak of the score, then drop weak beats at both ends.
    beats = [_last_beat(score)]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    hops = np.asarray(beats[::-1], dtype=np.int64)
    strong = local[hops] >= 0.5 * np.sqrt(np.mean(local[hops] ** 2))
    kept = hops[np.argmax(strong) : len(strong) - int(np.argmax(strong[::-1]))]
    return 60.0 * hops_per_second / period, kept


def section_changes(levels_db: np.ndarray, blocks_per_second: float, context_seconds: float = 3.0) -> np.ndarray:
    """Blocks where the sound changes character: peaks of a before/after novelty curve.

    The novelty at a block boundary is the RMS, over bands, of the difference in
    decibels between the mean band levels of the ``context_seconds`` before and
    after it (at least one second on each side). Within one scene such means
    wander by a decibel or two; a change of scene moves them by ten or more. A
    change is a novelty peak above :data:`SECTION_THRESHOLD_DB` that is the
    largest within ``context_seconds`` either side.

    Args:
        levels_db: ``[blocks, bands]`` band levels in dB of equal-length blocks.
        blocks_per_second: Blocks per second.
        context_seconds: How much sound on each side a change compares.

    Returns:
        Indices of the first block after each change, ascending.
    """
    count = levels_db.shape[0]
    context = max(1, round(context_seconds * blocks_per_second))
    side = max(1, round(blocks_per_second))
    cumulative = np.concatenate([np.zeros((1, levels_db.shape[1])), np.cumsum(levels_db, axis=0)])
    novelty = np.zeros(count)
    for boundary in range(side, count - side + 1):
        before, after = max(0, boundary - context), min(count, boundary + context)
        left = (cumulative[boundary] - cumulative[before]) / (boundary - before)
        right = (cumulative[after] - cumulative[boundary]) / (after - boundary)
        novelty[boundary] = np.sqrt(np.mean((left - right) ** 2))
    changes = [
        boundary
        for boundary in range(count)
        if novelty[boundary] > SECTION_THRESHOLD_DB
        and novelty[boundary] == novelty[max(0, boundary - context) : boundary + context + 1].max()
    ]
    return np.asarray(changes, dtype=np.int64)


def _tempo_period(envelope: np.ndarray, hops_per_second: float) -> int | None:
    """The beat period in hops: the autocorrelation peak between 40 and 240 BPM, weighted towards 120 BPM."""
    shortest, longest = round(hops_per_second * 60 / 240), round(hops_per_second * 60 / 40)
    centred = envelope - envelope.mean()
    size = 1 << int(np.ceil(np.log2(2 * centred.size)))
    spectrum = np.fft.rfft(centred, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[: min(longest + 1, centred.size)]
    lags = np.arange(shortest, autocorrelation.size)
    if lags.size == 0:
        return None
    bpm = 60.0 * hops_per_second / lags
    prior = np.exp(-0.5 * (np.log2(bpm / _START_BPM) / _BPM_SPREAD_OCTAVES) ** 2)
    weighted = autocorrelation[lags] * prior
    if float(weighted.max()) <= 0:
        return None
    return int(lags[int(np.argmax(weighted))])


def _last_beat(score: np.ndarray) -> int:
    """The last local maximum of the cumulative score that reaches half the median of such maxima."""
    inner = score[1:-1]
    peaks = np.flatnonzero((inner > score[:-2]) & (inner >= score[2:])) + 1
    if peaks.size == 0:
        return int(np.argmax(score))
    threshold = 0.5 * float(np.median(score[peaks]))
    return int(peaks[score[peaks] >= threshold][-1])

"""The ``mfcc-stereo`` summary in numpy: the seed's 104 MFCC statistics plus stereo balance and loudness/events.

The 136 values, in order:

- ``[0:104]`` the MFCC summary of the mono mix, exactly what the ``mfcc``
  encoder gives (:func:`~a2i_studio.audio.features_numpy.mfcc_summary_numpy`);
- ``[104:112]`` stereo balance per band, the energy-weighted mean over frames
  of ``dB(right) - dB(left)`` in 8 mel-spaced bands (positive: the sound leans
  right), and ``[112:120]`` its weighted standard deviation over frames (a
  moving or spread source); all zero for mono audio;
- ``[120:128]`` the mean level of each band in dB (how loud, and where);
- ``[128:131]`` the 10th, 50th and 90th percentile of the frame level in dB
  (quiet floor, body, peaks);
- ``[131:133]`` mean and standard deviation of the spectral flux (positive
  change of the band levels from frame to frame, dB);
- ``[133:135]`` onsets per second: peaks of the flux above the median plus 1
  (sensitive) and plus 4 (strict) median absolute deviations;
- ``[135]`` slow events per second: peaks of the frame level smoothed over
  0.25 s, the highest within 0.5 s either side, 6 dB above its median (car
  passes, thunder claps, waves).

Frames are those of the MFCCs: 2048 samples, hop 512, Hann window, centred;
flux and events use only the frames that lie wholly inside the clip.
"""

from __future__ import annotations

import numpy as np

from a2i_studio.audio.features_numpy import MFCC_MIN_SAMPLES, mfcc_summary_numpy

__all__ = ["BANDS", "STEREO_SUMMARY_SIZE", "mfcc_stereo_summary"]

BANDS = 8
"""Mel-spaced frequency bands of the balance and level features."""

STEREO_SUMMARY_SIZE = 104 + 4 * BANDS
"""Length of the summary: 104 MFCC statistics, 2 x 8 balance, 8 band levels and 8 loudness/event values."""

_N_FFT = 2048
_HOP = 512
_FLOOR_DB = -100.0  # the level of digital silence; the mfcc summary floors its power at the same 1e-10
_FRAMES_PER_CHUNK = 256
_SLOW_SECONDS = 0.25


def mfcc_stereo_summary(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The 136 values listed in the module docstring for mono ``[frames]`` or multichannel ``[channels, frames]`` audio.

    The mono mix is the mean of the channels (what the ``mfcc`` encoder reads);
    the balance compares the first two channels.

    Args:
        samples: At least :data:`~a2i_studio.audio.features_numpy.MFCC_MIN_SAMPLES` frames.
        sample_rate: Their rate.

    Returns:
        float32 array ``[136]``.

    Raises:
        ValueError: For audio with more than two dimensions or fewer frames than the MFCCs need.
    """
    if samples.ndim not in (1, 2) or samples.shape[-1] < MFCC_MIN_SAMPLES:
        raise ValueError(
            f"mfcc_stereo_summary needs [frames] or [channels, frames] audio of at least {MFCC_MIN_SAMPLES} frames, "
            f"got shape {samples.shape}; pad the clip with pad_to() first"
        )
    channels = samples[None] if samples.ndim == 1 else samples
    # The mix as audio.load makes it (a float32 dot product with 1/channels), so the MFCCs are the mfcc encoder's.
    mono = channels.T @ np.full(channels.shape[0], 1.0 / channels.shape[0], dtype=channels.dtype)
    mfcc = mfcc_summary_numpy(mono, sample_rate)
    # 1. Band powers [frames, bands] of the mix and, for stereo, of the left and right channels.
    bands = _band_matrix(sample_rate)
    mix = _band_powers(mono, bands)
    mix_db = _decibels(mix)
    if channels.shape[0] >= 2:
        left, right = _band_powers(channels[0], bands), _band_powers(channels[1], bands)
        balance = _balance(left, right)
    else:
        balance = np.zeros(2 * BANDS)
    # 2. Levels, flux and event rates of the mix; flux and events only over frames the zero padding does not reach.
    frame_db = _decibels(mix @ (bands.sum(axis=0) / bands.shape[0]))  # mean power over all bins
    whole = slice(_N_FFT // 2 // _HOP, (mono.shape[0] - _N_FFT // 2) // _HOP + 1)
    flux = np.maximum(np.diff(mix_db[whole], axis=0), 0.0).mean(axis=1)
    seconds = mono.shape[0] / sample_rate
    deviation = np.median(np.abs(flux - np.median(flux)))
    onsets = [_peaks(flux, np.median(flux) + k * deviation) / seconds for k in (1.0, 4.0)]
    width = max(1, round(_SLOW_SECONDS * sample_rate / _HOP))
    level = np.pad(frame_db[whole], width // 2, mode="edge")
    smooth = np.lib.stride_tricks.sliding_window_view(level, width).mean(axis=1)
    slow = _peaks(smooth, np.median(smooth) + 6.0, distance=2 * width) / seconds
    loudness = [
        *mix_db.mean(axis=0), *np.percentile(frame_db, [10, 50, 90]), flux.mean(), flux.std(), *onsets, slow,
    ]
    return np.concatenate([mfcc, balance, np.asarray(loudness)]).astype(np.float32)


def _band_matrix(sample_rate: int) -> np.ndarray:
    """``[n_fft // 2 + 1, BANDS]`` 0/1 matrix: each rfft bin in one of 8 bands equally wide in HTK mel, 0 to Nyquist."""
    hertz = np.linspace(0.0, sample_rate / 2, _N_FFT // 2 + 1)
    mel = 1127.0 * np.log1p(hertz / 700.0)
    index = np.minimum((mel / mel[-1] * BANDS).astype(int), BANDS - 1)
    return np.eye(BANDS)[index]


def _band_powers(waveform: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Mean power per band of each centred Hann frame, ``[frames, bands]``, a chunk of frames at a time."""
    padded = np.pad(waveform.astype(np.float64), _N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)
    scale = 1.0 / (bands.sum(axis=0) * np.sum(window**2))  # the mean over the band's bins, in signal power units
    return np.concatenate([
        np.abs(np.fft.rfft(frames[start : start + _FRAMES_PER_CHUNK] * window)) ** 2 @ bands * scale
        for start in range(0, frames.shape[0], _FRAMES_PER_CHUNK)
    ])


def _decibels(power: np.ndarray) -> np.ndarray:
    return np.maximum(10.0 * np.log10(np.maximum(power, 1e-30)), _FLOOR_DB)


def _balance(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Energy-weighted mean and standard deviation over frames of ``dB(right) - dB(left)``, per band ``[2 * BANDS]``.

    Frames where a band is silent in both channels carry no weight (and give 0 when all are).
    """
    difference = _decibels(right) - _decibels(left)
    energy = left + right
    weight = energy / np.maximum(energy.sum(axis=0), 1e-30)
    mean = (weight * difference).sum(axis=0)
    std = np.sqrt((weight * (difference - mean) ** 2).sum(axis=0))
    return np.concatenate([mean, std])


def _peaks(values: np.ndarray, threshold: float, distance: int = 2) -> int:
    """How many samples are above ``threshold`` and the largest within ``distance`` on either side (first of ties)."""
    if values.size == 0:
        return 0
    padded = np.pad(values, distance, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * distance + 1)
    is_peak = (values > threshold) & (windows.argmax(axis=1) == distance)
    return int(is_peak.sum())

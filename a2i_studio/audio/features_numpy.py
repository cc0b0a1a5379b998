"""The MFCC summary in numpy alone, for chains that start without importing torch.

:func:`mfcc_summary_numpy` computes the same 104 numbers as
:func:`a2i_studio.audio.features.mfcc_summary` (which the AE-GAN was trained
on) from the same cached filterbank, DCT and Savitzky-Golay matrices of
:mod:`a2i_studio.audio._filterbanks`, so the bundled ``mfcc>aegan`` chain runs
in a fraction of the time ``import torch`` takes. It works in float64 and
returns float32; tests/audio/test_audio_mfcc_numpy.py holds it to the torch
version.
"""

from __future__ import annotations

import numpy as np

from a2i_studio.audio._filterbanks import dct_ortho, savgol_weights, slaney_mel_filters

__all__ = ["MFCC_MIN_SAMPLES", "mfcc_summary_numpy"]

MFCC_MIN_SAMPLES = 4096
"""Shortest input: 9 frames of hop 512, the window a delta needs."""

_N_FFT = 2048
_HOP = 512
_N_MELS = 128
_N_MFCC = 13
_TOP_DB = 80.0
_FRAMES_PER_CHUNK = 256  # 256 frames of 2048 float64 samples: 4 MB, so long files never hold all frames at once


def mfcc_summary_numpy(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """104 MFCC statistics of a clip, as :func:`~a2i_studio.audio.features.mfcc_summary` computes them.

    librosa's default MFCCs with 13 coefficients: centred 2048-sample frames
    (zero-padded ends) every 512 samples, periodic Hann window, power
    spectrum, 128 Slaney mel bands, ``10 log10(max(S, 1e-10))`` floored 80 dB
    below the clip's peak, orthonormal DCT-II. Then Savitzky-Golay deltas of
    order 1 and 2 over 9 frames (edges repeat the first and last full window),
    and the statistics over time: MFCC mean, std, min, max (52), delta mean,
    std (26), delta2 mean, std (26); population standard deviations.

    Args:
        waveform: Mono audio, ``[samples]``, at least :data:`MFCC_MIN_SAMPLES` long.
        sample_rate: Its sample rate.

    Returns:
        float32 array ``[104]``.

    Raises:
        ValueError: For a waveform that is not 1-D or is shorter than :data:`MFCC_MIN_SAMPLES`.
    """
    if waveform.ndim != 1 or waveform.shape[0] < MFCC_MIN_SAMPLES:
        raise ValueError(
            f"mfcc_summary_numpy needs a 1-D waveform of at least {MFCC_MIN_SAMPLES} samples, "
            f"got shape {waveform.shape}; pad the clip with pad_to() first"
        )
    # 1. Mel power spectrogram, a chunk of frames at a time, in dB with the 80 dB floor below the peak.
    padded = np.pad(waveform.astype(np.float64), _N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)  # periodic Hann
    filters = slaney_mel_filters(sample_rate, _N_FFT, _N_MELS, 0.0, sample_rate / 2)
    mel = np.concatenate([
        np.abs(np.fft.rfft(frames[start : start + _FRAMES_PER_CHUNK] * window)) ** 2 @ filters
        for start in range(0, frames.shape[0], _FRAMES_PER_CHUNK)
    ])
    decibels = 10.0 * np.log10(np.maximum(mel, 1e-10))
    decibels = np.maximum(decibels, decibels.max() - _TOP_DB)
    # 2. MFCCs [13, frames] and their deltas.
    mfcc = (decibels @ dct_ortho(_N_MELS, _N_MFCC)).T
    delta, delta2 = _savgol_along_time(mfcc, 1), _savgol_along_time(mfcc, 2)
    stats = [
        mfcc.mean(-1), mfcc.std(-1), mfcc.min(-1), mfcc.max(-1),
        delta.mean(-1), delta.std(-1), delta2.mean(-1), delta2.std(-1),
    ]
    return np.concatenate(stats).astype(np.float32)


def _savgol_along_time(features: np.ndarray, order: int) -> np.ndarray:
    """``librosa.feature.delta(features, order=order)`` (width 9, mode "interp") on the last axis.

    The 4 frames at each edge take the value of the first (last) full window:
    the ``order``-th derivative of a degree-``order`` polynomial is a constant.
    """
    windows = np.lib.stride_tricks.sliding_window_view(features, 9, axis=-1)
    inner = windows @ savgol_weights(9, order)
    return np.concatenate([np.repeat(inner[:, :1], 4, -1), inner, np.repeat(inner[:, -1:], 4, -1)], axis=-1)

"""Filterbank and transform matrices for the features, built once in numpy.

Three mel conventions are in use by the models a2i-studio feeds, and each
model only works with its own:

- :func:`htk_mel_triangles`: triangles spaced and shaped on the HTK mel scale
  ``1127 ln(1 + f/700)``, unnormalised. VGGish's ``mel_features.py`` and
  Kaldi's ``MelBanks`` (hence ImageBind) both build exactly this, differing
  only in band count and edges.
- :func:`slaney_mel_filters`: librosa's default (Slaney's Auditory Toolbox
  scale, triangles in Hz, area-normalised), used for MFCCs and display.
- :func:`dct_ortho`: the orthonormal DCT-II that turns log-mel into MFCCs.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["dct_ortho", "htk_mel_triangles", "savgol_weights", "slaney_mel_filters"]


@lru_cache(maxsize=16)
def htk_mel_triangles(sample_rate: int, n_fft: int, n_mels: int, low_hz: float, high_hz: float) -> np.ndarray:
    """Triangular filters on the HTK mel scale, as VGGish and Kaldi build them.

    Band edges are ``n_mels + 2`` points evenly spaced in mel between
    ``low_hz`` and ``high_hz``; each rfft bin's weight is the triangle's height
    at the bin's mel value (so triangles are straight in mel, not in Hz).

    Returns:
        float64 array ``[n_fft // 2 + 1, n_mels]``.
    """
    bin_mel = _htk_mel(np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1))
    edges = np.linspace(_htk_mel(low_hz), _htk_mel(high_hz), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lower) / (center - lower)
    falling = (upper - bin_mel[:, None]) / (upper - center)
    return np.maximum(0.0, np.minimum(rising, falling))


@lru_cache(maxsize=16)
def slaney_mel_filters(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """librosa's default mel filterbank (``htk=False, norm="slaney"``).

    Returns:
        float64 array ``[n_fft // 2 + 1, n_mels]``.
    """
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges_hz = _slaney_hz(np.linspace(_slaney_mel(fmin), _slaney_mel(fmax), n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    # Slaney normalisation: every triangle has the same area.
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.T


@lru_cache(maxsize=4)
def dct_ortho(n_inputs: int, n_outputs: int) -> np.ndarray:
    """Orthonormal DCT-II (scipy's ``dct(type=2, norm="ortho")``), first ``n_outputs`` rows.

    Returns:
        float64 array ``[n_inputs, n_outputs]`` to right-multiply with.
    """
    k = np.arange(n_outputs)[None, :]
    n = np.arange(n_inputs)[:, None]
    basis = np.cos(math.pi / n_inputs * (n + 0.5) * k) * math.sqrt(2.0 / n_inputs)
    basis[:, 0] /= math.sqrt(2.0)
    return basis


@lru_cache(maxsize=4)
def savgol_weights(width: int, order: int) -> np.ndarray:
    """Savitzky-Golay weights for the ``order``-th derivative at a window's centre.

    A polynomial of degree ``order`` is least-squares fitted to ``width``
    points; the weights give its ``order``-th derivative at the middle point,
    as ``librosa.feature.delta`` (``scipy.signal.savgol_filter``) computes it.

    Returns:
        float64 array ``[width]`` to correlate with (not convolve).
    """
    offsets = np.arange(width) - width // 2
    vandermonde = np.vander(offsets, order + 1, increasing=True)
    return np.linalg.pinv(vandermonde)[order] * math.factorial(order)


def _htk_mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


_SLANEY_STEP_HZ = 200.0 / 3
_SLANEY_LOG_START_HZ = 1000.0
_SLANEY_LOG_START_MEL = _SLANEY_LOG_START_HZ / _SLANEY_STEP_HZ
_SLANEY_LOG_STEP = math.log(6.4) / 27.0


def _slaney_mel(hz: float) -> float:
    if hz < _SLANEY_LOG_START_HZ:
        return hz / _SLANEY_STEP_HZ
    return _SLANEY_LOG_START_MEL + math.log(hz / _SLANEY_LOG_START_HZ) / _SLANEY_LOG_STEP


def _slaney_hz(mel: np.ndarray) -> np.ndarray:
    linear = mel * _SLANEY_STEP_HZ
    logarithmic = _SLANEY_LOG_START_HZ * np.exp(_SLANEY_LOG_STEP * (mel - _SLANEY_LOG_START_MEL))
    return np.where(mel >= _SLANEY_LOG_START_MEL, logarithmic, linear)

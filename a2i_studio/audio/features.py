"""Features every backend starts from, as batched torch functions.

Every function takes a waveform tensor ``[..., samples]`` (float32 or
float64, on any device) and returns a tensor on the same device, computing all
leading dimensions at once; :func:`imagebind_fbank` alone reads a
``[channels, samples]`` waveform, because ImageBind's channel handling is part
of what it reproduces. Each reproduces one reference implementation
number for number, because a pretrained model only understands the exact
features it was trained on; tests/audio/test_audio_features.py checks each
against that reference.

Inputs shorter than a feature's minimum raise :class:`ValueError`; callers pad
clips first with :func:`a2i_studio.audio.pad_to`, which tells the user.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import torch
from torch.nn import functional

from a2i_studio.audio._filterbanks import dct_ortho, htk_mel_triangles, savgol_weights, slaney_mel_filters

__all__ = [
    "IMAGEBIND_MEAN",
    "IMAGEBIND_STD",
    "VGGISH_MIN_SAMPLES",
    "fft_frames",
    "imagebind_clip_bounds",
    "imagebind_fbank",
    "kaldi_fbank",
    "mel_spectrogram_db",
    "mfcc_summary",
    "vggish_log_mel",
]

VGGISH_MIN_SAMPLES = 15600
"""Shortest 16 kHz input that gives one VGGish example: 96 frames of 400 samples, hop 160 (0.975 s)."""

IMAGEBIND_MEAN = -4.268
IMAGEBIND_STD = 9.138

_FRAME_16K = 400  # 25 ms at 16 kHz
_HOP_16K = 160  # 10 ms at 16 kHz
_FFT_16K = 512  # next power of two above the frame
_SAMPLES_PER_CHUNK = 1 << 19


def vggish_log_mel(waveform_16k: torch.Tensor) -> torch.Tensor:
    """Log-mel examples as VGGish expects them (torchvggish ``waveform_to_examples``).

    25 ms frames (400 samples, no padding at the ends) every 10 ms, periodic
    Hann window, magnitude of a 512-point FFT, 64 mel bands from 125 to 7500 Hz
    (HTK mel, triangles in mel space), ``log(mel + 0.01)``, then
    non-overlapping examples of 96 frames (0.96 s). Trailing frames that do not
    fill an example are dropped, as in the original.

    Args:
        waveform_16k: Mono audio at 16 kHz, ``[..., samples]``, at least
            :data:`VGGISH_MIN_SAMPLES` long.

    Returns:
        ``[..., n_examples, 96, 64]`` with ``n_examples = (frames // 96)``.
    """
    _require(waveform_16k, VGGISH_MIN_SAMPLES, "vggish_log_mel")
    frames = waveform_16k.unfold(-1, _FRAME_16K, _HOP_16K)
    window = torch.hann_window(_FRAME_16K, periodic=True, dtype=frames.dtype, device=frames.device)
    filters = _matrix(htk_mel_triangles(16000, _FFT_16K, 64, 125.0, 7500.0), frames)
    log_mel = _per_frame_chunk(
        frames, lambda chunk: torch.log(_power(torch.fft.rfft(chunk * window, n=_FFT_16K)).sqrt() @ filters + 0.01)
    )
    return log_mel.unfold(-2, 96, 96).transpose(-1, -2)


def imagebind_clip_bounds(samples: int, clips: int = 3, clip_seconds: float = 2.0) -> list[tuple[int, int]]:
    """The ``[start, stop)`` sample ranges of ImageBind's clips in a 16 kHz waveform.

    As ImageBind's ``get_clip_timepoints`` computes them with pytorchvideo's
    ``ConstantClipsPerVideoSampler``: the float duration minus the clip length
    is split into ``clips - 1`` equal steps as an exact fraction, and each time
    becomes a sample index with ``int(t * 16000)``. Because the duration is a
    float, a start can land one sample before the exact integer answer
    (42399 rather than 42400 for 116799 samples); ``stop`` is clamped to the
    waveform as Python slicing does, so a waveform shorter than a clip gives
    ``clips`` copies of the whole of it.

    Args:
        samples: Length of the 16 kHz waveform.
        clips: Number of clips.
        clip_seconds: Length of each clip.

    Returns:
        ``clips`` pairs ``(start, stop)``.
    """
    duration = samples / 16000
    spacing = Fraction(max(duration - clip_seconds, 0)) / max(clips - 1, 1)
    length = Fraction(clip_seconds)
    return [(int(spacing * i * 16000), min(int((spacing * i + length) * 16000), samples)) for i in range(clips)]


def imagebind_fbank(waveform_16k: torch.Tensor, clips: int = 3, clip_seconds: float = 2.0) -> torch.Tensor:
    """Kaldi fbank clips, normalised, exactly as ImageBind's ``load_and_transform_audio_data`` makes them.

    For each clip of :func:`imagebind_clip_bounds`, in order: the mean of
    the clip over all channels is subtracted from the waveform in place, so
    where clips overlap (waveforms under 6 s) a later clip sees samples an
    earlier one already shifted; then :func:`kaldi_fbank` with 128 bins runs
    on channel 0 only (torchaudio's default), the frame axis is zero-padded
    (in the log domain, as ImageBind does) or cut to 204 frames, and the
    result is normalised with ImageBind's mean -4.268 and std 9.138. A mono
    mix is the caller's choice: pass ``waveform.mean(0, keepdim=True)``.

    Args:
        waveform_16k: Audio at 16 kHz, ``[channels, samples]`` (or ``[samples]``),
            at least 400 samples. It is not modified.
        clips: Number of clips.
        clip_seconds: Length of each clip.

    Returns:
        ``[clips, 1, 128, 204]``.
    """
    _require(waveform_16k, _FRAME_16K, "imagebind_fbank")
    waveform = torch.atleast_2d(waveform_16k).clone()
    target = 204
    fbanks = []
    for start, stop in imagebind_clip_bounds(waveform.shape[-1], clips, clip_seconds):
        clip = waveform[:, start:stop]
        clip -= clip.mean()
        fbank = kaldi_fbank(clip[0], num_mel_bins=128).T[:, :target]
        fbanks.append(functional.pad(fbank, (0, target - fbank.shape[-1])))
    return ((torch.stack(fbanks) - IMAGEBIND_MEAN) / IMAGEBIND_STD).unsqueeze(-3)


def kaldi_fbank(waveform_16k: torch.Tensor, num_mel_bins: int = 128) -> torch.Tensor:
    """Kaldi log mel filterbank energies with the options ImageBind and AST use.

    The same numbers as ``torchaudio.compliance.kaldi.fbank(w, htk_compat=True,
    sample_frequency=16000, use_energy=False, window_type="hanning",
    num_mel_bins=num_mel_bins, dither=0.0, frame_length=25, frame_shift=10)``:
    400-sample frames every 160 samples with no padding at the ends, each with
    its mean removed, pre-emphasised by 0.97 (the first sample against
    itself), weighted by a symmetric Hann window, zero-padded to 512 for the
    power spectrum, passed through HTK-mel triangles from 20 to 8000 Hz and
    logged with a floor of float32 epsilon. With 128 bins a few of the lowest
    bands fall between FFT bins and stay at that floor; torchaudio (hence
    ImageBind) keeps them, while Kaldi itself refuses that configuration.

    Args:
        waveform_16k: Mono audio at 16 kHz, ``[..., samples]``, at least 400 samples.
        num_mel_bins: Mel bands.

    Returns:
        ``[..., 1 + (samples - 400) // 160, num_mel_bins]``.
    """
    _require(waveform_16k, _FRAME_16K, "kaldi_fbank")
    frames = waveform_16k.unfold(-1, _FRAME_16K, _HOP_16K)
    frames = frames - frames.mean(dim=-1, keepdim=True)
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = frames - 0.97 * previous
    window = torch.hann_window(_FRAME_16K, periodic=False, dtype=frames.dtype, device=frames.device)
    power = _power(torch.fft.rfft(frames * window, n=_FFT_16K))
    mel = power @ _matrix(htk_mel_triangles(16000, _FFT_16K, num_mel_bins, 20.0, 8000.0), power)
    return torch.log(mel.clamp_min(torch.finfo(torch.float32).eps))


def mel_spectrogram_db(
    waveform: torch.Tensor,
    sample_rate: int,
    *,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    top_db: float | None = 80.0,
    center: bool = True,
) -> torch.Tensor:
    """Mel power spectrogram in dB, the numbers librosa gives for display.

    Equals ``librosa.power_to_db(librosa.feature.melspectrogram(y, sr=...,
    n_fft, hop_length, n_mels, fmin, fmax), ref=1.0, top_db=top_db)``:
    centred frames (zero-padded ends), periodic Hann, power spectrum, Slaney
    mel filters, ``10 log10(max(S, 1e-10))``, and values more than ``top_db``
    below each item's maximum raised to that floor.

    Args:
        waveform: Mono audio ``[..., samples]``.
        sample_rate: Its sample rate.
        n_fft: FFT and window length.
        hop_length: Samples between frames.
        n_mels: Mel bands.
        fmin: Lowest band edge in Hz.
        fmax: Highest band edge in Hz (default: half the sample rate).
        top_db: Dynamic range kept below each item's peak; ``None`` keeps all.
        center: Centre frame ``t`` on sample ``t * hop_length`` (zero-padding
            the ends), as librosa does; ``False`` starts frame ``t`` there.

    Returns:
        ``[..., n_mels, frames]`` with ``frames = 1 + samples // hop_length``
        when centred, ``1 + (samples - n_fft) // hop_length`` otherwise.
    """
    if center:
        waveform = functional.pad(waveform, (n_fft // 2, n_fft // 2))
    frames = waveform.unfold(-1, n_fft, hop_length)
    window = torch.hann_window(n_fft, periodic=True, dtype=frames.dtype, device=frames.device)
    filters = _matrix(slaney_mel_filters(sample_rate, n_fft, n_mels, fmin, fmax or sample_rate / 2), frames)

    def mel_db(chunk: torch.Tensor) -> torch.Tensor:
        return 10.0 * torch.log10((_power(torch.fft.rfft(chunk * window)) @ filters).clamp_min(1e-10))

    decibels = _per_frame_chunk(frames, mel_db).transpose(-1, -2)
    if top_db is not None:
        peak = decibels.amax(dim=(-2, -1), keepdim=True)
        decibels = torch.maximum(decibels, peak - top_db)
    return decibels


def mfcc_summary(waveform: torch.Tensor, sample_rate: int, segment_seconds: float | None = None) -> torch.Tensor:
    """104 statistics of MFCCs that summarise a clip or each segment of it.

    MFCCs are librosa's defaults with 13 coefficients (``librosa.feature.mfcc(
    y, sr, n_mfcc=13)``: 2048-point frames every 512 samples, 128 Slaney mel
    bands, dB with an 80 dB floor, orthonormal DCT-II). Deltas are
    ``librosa.feature.delta`` (Savitzky-Golay over 9 frames, order 1 and 2).
    The 104 values, in order, are:

    ====================  =========  =====
    statistic over time   of         count
    ====================  =========  =====
    mean, std, min, max   MFCC 0-12  52
    mean, std             delta      26
    mean, std             delta2     26
    ====================  =========  =====

    Standard deviations are population ones (``ddof=0``).

    Args:
        waveform: Mono audio ``[..., samples]``, at least 4096 samples (per
            segment), which gives the 9 frames a delta needs.
        sample_rate: Its sample rate.
        segment_seconds: If given, summarise each whole segment of this length
            separately (a trailing partial segment is dropped), as the
            1-second-per-image scene dataset of the AE-GAN paper does.

    Returns:
        ``[..., 104]``, or ``[..., segments, 104]`` with ``segment_seconds``.
    """
    if segment_seconds is not None:
        length = round(segment_seconds * sample_rate)
        _require(waveform, length, "mfcc_summary with segments")
        count = waveform.shape[-1] // length
        waveform = waveform[..., : count * length].unflatten(-1, (count, length))
    _require(waveform, 4096, "mfcc_summary")
    log_mel = mel_spectrogram_db(waveform, sample_rate)
    mfcc = (log_mel.transpose(-1, -2) @ _matrix(dct_ortho(128, 13), log_mel)).transpose(-1, -2)
    delta = _savgol_along_time(mfcc, 1)
    delta2 = _savgol_along_time(mfcc, 2)
    stats = [
        mfcc.mean(-1),
        mfcc.std(-1, correction=0),
        mfcc.amin(-1),
        mfcc.amax(-1),
        delta.mean(-1),
        delta.std(-1, correction=0),
        delta2.mean(-1),
        delta2.std(-1, correction=0),
    ]
    return torch.cat(stats, dim=-1)


def fft_frames(waveform: torch.Tensor, sections: int = 500, bins: int = 220) -> torch.Tensor:
    """Magnitude spectra of ``sections`` equal slices, the pixel transformer's input.

    The waveform is cut into ``sections`` slices of ``L = samples // sections``
    samples (the last ``samples % sections`` samples are dropped) and each
    slice's rfft magnitude, divided by ``L``, kept for bins ``1 .. L // 2``
    (the DC bin is dropped). For the seed paper's 10 s clips at 22.05 kHz,
    ``L = 441`` and that is exactly 220 bins. Other lengths are mapped onto
    ``bins`` equal-width frequency bands by averaging neighbouring bins
    (``adaptive_avg_pool1d``: band ``i`` averages input bins
    ``floor(i * n / bins)`` to ``ceil((i + 1) * n / bins)``), so every clip
    gives the same shape whatever its length and rate.

    Args:
        waveform: Mono audio ``[..., samples]``, at least ``4 * sections`` samples.
        sections: Number of time slices (rows).
        bins: Frequency values per slice (columns).

    Returns:
        ``[..., sections, bins]``.
    """
    _require(waveform, 4 * sections, "fft_frames")
    length = waveform.shape[-1] // sections
    slices = waveform[..., : sections * length].unflatten(-1, (sections, length))
    magnitude = torch.fft.rfft(slices).abs()[..., 1 : length // 2 + 1] / length
    if magnitude.shape[-1] == bins:
        return magnitude
    lead = magnitude.shape[:-1]
    pooled = functional.adaptive_avg_pool1d(magnitude.reshape(-1, 1, magnitude.shape[-1]), bins)
    return pooled.reshape(*lead, bins)


def _savgol_along_time(features: torch.Tensor, order: int) -> torch.Tensor:
    """``librosa.feature.delta(features, order=order)`` (width 9, mode "interp") on the last axis.

    In "interp" mode the 4 frames at each edge take the derivative of the
    polynomial fitted to the first (last) 9 frames; since the derivative's
    order equals the polynomial's degree that is a constant, the value of the
    first (last) full window, so edges repeat it.
    """
    # Nine shifted multiply-adds: on 13 rows this is cheaper than setting up conv1d.
    weights = savgol_weights(9, order)
    frames = features.shape[-1]
    inner = float(weights[0]) * features[..., : frames - 8]
    for k in range(1, 9):
        inner = inner + float(weights[k]) * features[..., k : frames - 8 + k]
    edge = (*inner.shape[:-1], 4)
    return torch.cat([inner[..., :1].expand(edge), inner, inner[..., -1:].expand(edge)], dim=-1)


def _per_frame_chunk(frames: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``transform(frames)`` computed a few thousand frames at a time.

    ``frames`` is usually an ``unfold`` view; materialising the windowed
    frames and their spectra for a whole file at once is memory-bound, while
    chunks of about 2 MB stay in the CPU cache (2-3x faster on long files) and
    bound the memory a long file needs on a GPU.
    """
    frames_per_chunk = max(_SAMPLES_PER_CHUNK // frames.shape[-1], 1)
    if frames.shape[-2] <= frames_per_chunk:
        return transform(frames)
    chunks = torch.split(frames, frames_per_chunk, dim=-2)
    return torch.cat([transform(chunk) for chunk in chunks], dim=-2)


def _power(spectrum: torch.Tensor) -> torch.Tensor:
    """``|spectrum|^2``; several times faster than ``abs().square()``, which goes through ``hypot``."""
    return spectrum.real.square() + spectrum.imag.square()


def _matrix(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """A cached numpy matrix as a tensor of ``like``'s dtype and device."""
    return torch.as_tensor(array, dtype=like.dtype, device=like.device)


def _require(waveform: torch.Tensor, samples: int, feature: str) -> None:
    if waveform.shape[-1] < samples:
        raise ValueError(
            f"{feature} needs at least {samples} samples, got {waveform.shape[-1]}; pad the clip with pad_to() first"
        )

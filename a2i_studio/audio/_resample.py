"""Resampling: soxr for general use, and the two resamplers pretrained audio models were fed through.

A pretrained network only understands the features it was trained on, and
its official pipeline resampled the audio with one particular algorithm:

- ``"torchaudio"``: ``torchaudio.functional.resample`` with its defaults, as
  ImageBind's ``load_and_transform_audio_data`` calls it: a Hann-windowed sinc
  (``sinc_interp_hann``) with 6 zero crossings and a cut-off at 0.99 of the
  lower Nyquist frequency, built in float32. Near 16 kHz's Nyquist frequency
  it lets through far more than soxr (-6 dB at 7.9 kHz, where soxr gives
  -53 dB), which the top mel bands of the model's input show.
- ``"resampy"``: ``resampy.resample`` with its default ``kaiser_best`` filter,
  as torchvggish's ``waveform_to_examples`` calls it: a table of a
  Kaiser-windowed sinc (50 zero crossings, 8192 entries per crossing) read
  with linear interpolation, in float64. It rolls off earlier than soxr
  (-14 dB at 7.5 kHz, the top of VGGish's mel bands, where soxr gives -0.4 dB).
- ``"soxr"``: soxr's HQ preset, the best general-purpose choice for
  everything that was not trained on one of the above.

Both reference algorithms are rational polyphase filters: output ``j * P + p``
(``P`` outputs per ``O`` inputs after dividing the rates by their gcd) is the
dot product of phase ``p``'s filter row with the input around sample
``j * O``. This module builds those rows from the published algorithms,
without either library (torchaudio's wheels do not coexist with the rest of
the stack; resampy needs numba at run time), and applies them block by block
so a long file never has to be in memory at its original rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

import numpy as np
import soxr

__all__ = ["RESAMPLERS", "ResamplerName", "SampleType", "Stream", "open_stream", "resample"]

ResamplerName = Literal["soxr", "torchaudio", "resampy"]
SampleType = Literal["float32", "float64"]
RESAMPLERS: tuple[ResamplerName, ...] = ("soxr", "torchaudio", "resampy")
"""The resamplers :func:`resample` and :func:`~a2i_studio.audio.load` accept."""

# torchaudio.functional.resample's defaults (sinc_interp_hann).
_SINC_ZERO_CROSSINGS = 6
_SINC_ROLLOFF = 0.99
# resampy's kaiser_best table: parameters of resampy/data/kaiser_best.npz. The shipped table was
# made by resampy's sinc_window(); rebuilding it from these numbers gives it to within 1.2e-15.
_KAISER_ZERO_CROSSINGS = 50
_KAISER_PER_CROSSING = 1 << 13
_KAISER_BETA = 12.984585247040016
_KAISER_ROLLOFF = 0.9173473712608761
# Consecutive phases share one matrix product while their rows span at most this many times the longest row.
_GROUP_SPAN = 2
_MAX_PHASES = 4096  # unrolling stops before a filter has more phases than this
_CHUNK_ELEMENTS = 1 << 20  # window matrices of about 8 MB at a time


class Stream(Protocol):
    """Resamples a signal handed over in consecutive blocks (soxr's ``ResampleStream`` interface)."""

    def resample_chunk(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        """Resample the next ``(frames,)`` or ``(frames, channels)`` block; ``last`` flushes the end."""
        ...


def open_stream(
    method: ResamplerName, orig_rate: int, new_rate: int, channels: int | None, dtype: SampleType = "float32"
) -> Stream:
    """A streaming resampler from ``orig_rate`` to ``new_rate``.

    Args:
        method: One of :data:`RESAMPLERS`.
        orig_rate: Rate of the blocks handed in.
        new_rate: Rate of the blocks handed back.
        channels: ``None`` for ``(frames,)`` blocks, else the width of ``(frames, channels)`` blocks.
        dtype: The dtype of the blocks in and out. The reference filters are computed in float64
            either way; float32 output rounds them.

    Returns:
        An object whose ``resample_chunk`` takes and returns ``dtype`` blocks; concatenated, its
        outputs equal :func:`resample` of the concatenated inputs.
    """
    if method == "soxr":
        stream: Stream = soxr.ResampleStream(orig_rate, new_rate, channels or 1, dtype=dtype, quality="HQ")
        return stream
    if method == "torchaudio":
        return _PolyphaseStream(_torchaudio_filter(orig_rate, new_rate), channels)
    if method == "resampy":
        return _PolyphaseStream(_resampy_filter(orig_rate, new_rate), channels)
    raise ValueError(f"unknown resampler {method!r}; use one of {', '.join(RESAMPLERS)}")


def resample(samples: np.ndarray, orig_rate: int, new_rate: int, method: ResamplerName = "soxr") -> np.ndarray:
    """Resample a whole signal along its first axis.

    Args:
        samples: float32 or float64 ``(frames,)`` or ``(frames, channels)``.
        orig_rate: Its sample rate.
        new_rate: The rate wanted.
        method: One of :data:`RESAMPLERS`.

    Returns:
        ``(new_frames,)`` or ``(new_frames, channels)`` of ``samples``' dtype:
        ``ceil(frames * new / orig)`` frames for torchaudio, ``floor(...)`` for resampy, as those
        libraries make them.
    """
    if orig_rate == new_rate:
        return samples.copy()
    dtype: SampleType = "float64" if samples.dtype == np.float64 else "float32"
    stream = open_stream(method, orig_rate, new_rate, samples.shape[1] if samples.ndim == 2 else None, dtype)
    return stream.resample_chunk(samples, last=True)


@dataclass(frozen=True)
class _Filter:
    """A rational polyphase filter.

    Output ``j * phases + p`` is ``rows[p] . x[j * stride + starts[p] :][: len(rows[p])]``, with zeros
    outside the signal. ``flip`` is resampy's one irregular case (see :func:`_resampy_filter`).
    """

    stride: int
    starts: tuple[int, ...]
    rows: tuple[np.ndarray, ...]
    length: tuple[int, int, bool]  # output frames = (input * num / den), rounded up if the flag is set
    flip: tuple[int, np.ndarray, float] | None = None  # (start, row, input samples per output) for phase 0

    @property
    def phases(self) -> int:
        return len(self.rows)

    def output_frames(self, inputs: int) -> int:
        num, den, round_up = self.length
        return -(-inputs * num // den) if round_up else inputs * num // den


@lru_cache(maxsize=8)
def _torchaudio_filter(orig_rate: int, new_rate: int) -> _Filter:
    """``torchaudio.functional.resample(waveform, orig, new)`` for a float32 waveform.

    torchaudio builds a ``[new, 2 * width + orig]`` kernel (rates divided by their gcd) in the
    waveform's dtype, float32 here, and applies it with a strided ``conv1d``. Entry ``(p, k)`` is
    ``sin(pi t) / (pi t) * cos^2(pi t / 12) * base / orig`` at ``t = ((k - width) / orig - p / new) * base``
    with ``base = 0.99 min(orig, new)``, clamped to +-6. Outside ``|t| < 6`` the clamp leaves values
    below 1e-20, so each row keeps only its main lobe (plus a margin); inside, the entries are
    computed with the same float32 operations in the same order.
    """
    gcd = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // gcd, new_rate // gcd
    base = min(orig, new) * _SINC_ROLLOFF
    width = math.ceil(_SINC_ZERO_CROSSINGS * orig / base)
    f32 = np.float32
    starts, rows = [], []
    for phase in range(new):
        centre = phase / new * orig
        reach = _SINC_ZERO_CROSSINGS / base * orig
        first = max(-width, math.floor(centre - reach) - 1)
        stop = min(width + orig, math.ceil(centre + reach) + 2)
        offsets = np.arange(first, stop, dtype=f32)
        t = f32(-phase) / f32(new) + offsets / f32(orig)
        t = np.clip(t * f32(base), -_SINC_ZERO_CROSSINGS, _SINC_ZERO_CROSSINGS).astype(f32)
        window = np.cos(t * f32(math.pi) / f32(_SINC_ZERO_CROSSINGS) / f32(2)) ** 2
        t = t * f32(math.pi)
        with np.errstate(invalid="ignore", divide="ignore"):
            sinc = np.where(t == 0, f32(1), np.sin(t) / t)
        starts.append(first)
        rows.append((sinc * (window * f32(base / orig))).astype(np.float64))
    return _Filter(orig, tuple(starts), tuple(rows), (new, orig, True))


@lru_cache(maxsize=1)
def _kaiser_best_table() -> np.ndarray:
    """resampy's ``kaiser_best`` half window, rebuilt as resampy's ``sinc_window`` made it."""
    taps = _KAISER_PER_CROSSING * _KAISER_ZERO_CROSSINGS
    sinc = _KAISER_ROLLOFF * np.sinc(_KAISER_ROLLOFF * np.linspace(0, _KAISER_ZERO_CROSSINGS, taps + 1))
    table: np.ndarray = np.kaiser(2 * taps + 1, _KAISER_BETA)[taps:] * sinc
    return table


@lru_cache(maxsize=8)
def _resampy_filter(orig_rate: int, new_rate: int) -> _Filter:
    """``resampy.resample(x, orig, new)`` (filter ``kaiser_best``) for a float64 signal.

    resampy computes output ``t`` at input time ``t_out = t * (1 / (new / orig))`` in float64: it
    splits ``t_out`` into sample ``n`` and fraction, and sums the left wing over ``x[n - i]`` and
    the right wing over ``x[n + 1 + k]``, reading the table every ``int(scale * 8192)`` entries from
    the fraction's offset with linear interpolation. Those weights depend only on the fraction, so
    they are the rows of a polyphase filter, built here with resampy's own float operations.

    One case is not periodic: where ``t_out`` should be a whole sample ``j * orig`` (phase 0),
    float rounding sometimes lands just below it, and resampy then takes ``n = j * orig - 1`` and a
    fraction of almost 1, whose taps are not those of fraction 0 (the table stride is rounded down
    to an integer). ``flip`` holds that row; the stream uses it exactly where resampy's ``t_out``
    falls below the whole sample.
    """
    gcd = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // gcd, new_rate // gcd
    ratio = float(new_rate) / orig_rate
    table = _kaiser_best_table() * ratio if ratio < 1 else _kaiser_best_table()
    delta = np.diff(table, append=table[-1])
    scale = min(1.0, ratio)
    step = int(scale * _KAISER_PER_CROSSING)
    increment = 1.0 / ratio

    def wing(fraction: float) -> np.ndarray:
        position = fraction * _KAISER_PER_CROSSING
        offset = int(position)
        index = offset + np.arange((table.shape[0] - offset) // step) * step
        weights: np.ndarray = table[index] + (position - offset) * delta[index]
        return weights

    def row(sample: int, fraction: float) -> tuple[int, np.ndarray]:
        left, right = wing(fraction), wing(scale - fraction)
        return sample - left.shape[0] + 1, np.concatenate([left[::-1], right])

    starts, rows = [], []
    for phase in range(new):
        time = phase * increment
        sample = int(time)
        start, weights = row(sample, scale * (time - sample))
        starts.append(start)
        rows.append(weights)
    flip_start, flip_row = row(-1, scale)
    return _Filter(orig, tuple(starts), tuple(rows), (new, orig, False), (flip_start, flip_row, increment))


class _PolyphaseStream:
    """Applies a :class:`_Filter` to consecutive blocks with matrix products.

    A filter with few phases and a long stride-short kernel (48 kHz -> 16 kHz
    has one phase of 300 taps every 3 samples) is unrolled first: ``unroll``
    consecutive frames become one frame with ``unroll`` times the phases, so a
    frame's window is about as long as its rows. Consecutive phases are then
    grouped so that one ``[frames, span] @ [span, phases]`` product computes
    them all, a bounded number of frames at a time; the input is kept only as
    far back as the next frame needs.
    """

    def __init__(self, spec: _Filter, channels: int | None) -> None:
        self._spec = spec
        longest = max(row.shape[0] for row in spec.rows)
        self._unroll = max(1, min(-(-longest // spec.stride), _MAX_PHASES // spec.phases))
        self._stride = self._unroll * spec.stride
        starts = [start + copy * spec.stride for copy in range(self._unroll) for start in spec.starts]
        rows = [row for _ in range(self._unroll) for row in spec.rows]
        self._flips = []  # (output phase, window start, row) of resampy's irregular phase 0 in each unrolled frame
        self._increment = 0.0  # resampy's input samples per output sample, as it computes it
        if spec.flip is not None:
            self._flips = [(copy * spec.phases, spec.flip[0] + copy * spec.stride, spec.flip[1])
                           for copy in range(self._unroll)]
            self._increment = spec.flip[2]
        self._lead = max(0, -min(starts + [start for _, start, _ in self._flips]))
        ends = [start + row.shape[0] for start, row in zip(starts, rows, strict=True)]
        ends += [start + row.shape[0] for _, start, row in self._flips]
        self._extent = self._lead + max(ends)  # buffer frames one output frame reads
        self._groups = _group_phases(starts, rows)
        self._chunk = max(1, _CHUNK_ELEMENTS // (max(g[3].shape[1] for g in self._groups) * (channels or 1)))
        shape = (self._lead,) if channels is None else (self._lead, channels)
        self._buffer = np.zeros(shape)  # starts at input frame ``self._frame * self._stride - lead``
        self._frame = 0
        self._inputs = 0
        self._outputs = 0

    def resample_chunk(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        phases = self._unroll * self._spec.phases
        self._inputs += x.shape[0]
        parts = [self._buffer, x.astype(np.float64)]
        if last:
            parts.append(np.zeros((self._extent + self._stride, *x.shape[1:])))
        buffer = np.concatenate(parts)
        frames = max(0, (buffer.shape[0] - self._extent) // self._stride + 1)
        if last:
            wanted = self._spec.output_frames(self._inputs) - self._outputs
            frames = min(frames, -(-wanted // phases))
        out = np.concatenate([
            self._apply(buffer[first * self._stride :], self._frame + first, min(self._chunk, frames - first))
            for first in range(0, frames, self._chunk)
        ]) if frames else np.empty((0, *x.shape[1:]))
        self._buffer = buffer[frames * self._stride :]
        self._frame += frames
        if last:
            out = out[:wanted]
        self._outputs += out.shape[0]
        return out.astype(x.dtype)

    def _apply(self, buffer: np.ndarray, first_frame: int, frames: int) -> np.ndarray:
        """Outputs of ``frames`` frames from the start of ``buffer``, which holds frame ``first_frame`` onwards."""
        spec = self._spec
        out = np.empty((frames, self._unroll * spec.phases, *buffer.shape[1:]))
        for first, stop, start, matrix in self._groups:
            windows = _windows(buffer, self._lead + start, matrix.shape[1], self._stride, frames)
            out[:, first:stop] = np.moveaxis(windows @ matrix.T, -1, 1)
        for phase, start, row in self._flips:
            sample = (first_frame + np.arange(frames)) * self._unroll + phase // spec.phases
            # resampy's t_out for this phase-0 output, and whether it fell below the whole sample.
            flipped = np.flatnonzero(sample * spec.phases * self._increment < sample * spec.stride)
            if flipped.size:
                windows = _windows(buffer, self._lead + start, row.shape[0], self._stride, frames)[flipped]
                out[flipped, phase] = windows @ row
        return out.reshape(-1, *buffer.shape[1:])


def _windows(buffer: np.ndarray, offset: int, width: int, stride: int, frames: int) -> np.ndarray:
    """``buffer[j * stride + offset :][:width]`` for each frame ``j``, as a contiguous ``[frames, ..., width]``."""
    span = buffer[offset : offset + (frames - 1) * stride + width]
    views = np.lib.stride_tricks.sliding_window_view(span, width, axis=0)[::stride]
    return np.ascontiguousarray(views)


def _group_phases(starts: list[int], rows: list[np.ndarray]) -> list[tuple[int, int, int, np.ndarray]]:
    """Split the phases into runs whose rows fit one dense matrix: ``(first, stop, start, matrix)``."""
    longest = max(row.shape[0] for row in rows)
    groups = []
    first = 0
    while first < len(rows):
        start, end = starts[first], starts[first] + rows[first].shape[0]
        stop = first + 1
        while stop < len(rows):
            low, high = min(start, starts[stop]), max(end, starts[stop] + rows[stop].shape[0])
            if high - low > _GROUP_SPAN * longest:
                break
            start, end, stop = low, high, stop + 1
        matrix = np.zeros((stop - first, end - start))
        for phase in range(first, stop):
            offset = starts[phase] - start
            matrix[phase - first, offset : offset + rows[phase].shape[0]] = rows[phase]
        groups.append((first, stop, start, matrix))
        first = stop
    return groups

"""Reading a file, or a segment of it, into a :class:`Clip`."""

from __future__ import annotations

import math
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from a2i_studio.audio._clip import MAX_SECONDS, AudioInfo, Clip, format_seconds
from a2i_studio.audio._errors import AudioRangeError, AudioTooLong, EmptyAudio, InvalidSamples
from a2i_studio.audio._readers import Reader, open_reader
from a2i_studio.audio._resample import ResamplerName, SampleType, open_stream

__all__ = ["SILENCE_PEAK", "AudioLevels", "load", "measure_levels", "probe", "stream"]

SILENCE_PEAK = 2.0**-15
"""Peak at or below which a clip counts as silent: one step of 16-bit audio (-90.3 dBFS)."""


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read a file's format, rate, channels and length without decoding it.

    Args:
        path: Any file :func:`load` accepts.

    Returns:
        The file's :class:`AudioInfo`.

    Raises:
        AudioError: A subclass naming the file and what is wrong with it.
    """
    with open_reader(Path(path)) as reader:
        return reader.info


def load(
    path: str | os.PathLike[str],
    *,
    start: float | None = None,
    end: float | None = None,
    sample_rate: int | None = None,
    resampler: ResamplerName = "soxr",
    channel: int | None = None,
    keep_channels: bool = False,
    dtype: SampleType = "float32",
    max_duration: float | None = MAX_SECONDS,
) -> Clip:
    """Decode a file, or the part from ``start`` to ``end``, into a clip.

    Only the requested part is decoded, and channels are mixed and resampled
    block by block, so the memory used is that of the result. Segment
    boundaries are sample-exact, except in Matroska/WebM files, whose
    millisecond timestamps place a segment to within about 1 ms.

    Args:
        path: WAV, FLAC, OGG, Opus, MP3, AIFF, M4A/AAC, WebM, or a video file
            with an audio track (MP4, MOV, MKV).
        start: Seconds into the file where the clip begins (default 0).
        end: Seconds into the file where the clip ends (default: the end).
        sample_rate: Resample to this rate; ``None`` keeps the file's rate.
        resampler: How: ``"soxr"`` (HQ, the best general choice), or the
            algorithm a pretrained model's own pipeline used, ``"torchaudio"``
            (ImageBind) or ``"resampy"`` (VGGish); see :data:`RESAMPLERS`.
            All are deterministic.
        channel: ``None`` mixes all channels down to mono; ``k`` keeps only
            channel ``k`` (0-based).
        keep_channels: Return every channel, shape ``(channels, frames)``.
            Takes precedence over ``channel``.
        dtype: ``"float64"`` mixes and resamples in double precision, as
            torchvggish does; the file's samples are the same either way.
        max_duration: Refuse to load more than this many seconds (``None``:
            no limit). Applies to the requested part, not the whole file.

    Returns:
        The decoded clip. ``warnings`` notes a silent clip.

    Raises:
        AudioRangeError: ``start``, ``end`` or ``channel`` lies outside the file.
        AudioTooLong: The requested part is longer than ``max_duration``.
        InvalidSamples: The audio contains NaN or infinite samples.
        AudioError: Another subclass when the file itself cannot be read.
    """
    with open_reader(Path(path)) as reader:
        info = reader.info
        first, last = _frame_range(info, start, end)
        _check_channel(info, channel)
        _check_length(info, (last - first) / info.sample_rate, max_duration, whole=start is None and end is None)
        rate = info.sample_rate if sample_rate is None else sample_rate
        levels = _Peak()
        parts = list(_decoded_blocks(reader, first, last, rate, resampler, channel, keep_channels, dtype, levels))
    if not parts:
        raise EmptyAudio(f"{info.path.name} contains no samples: record or export the sound again.")
    samples = np.concatenate(parts)
    if keep_channels:
        samples = np.ascontiguousarray(samples.T)
    warnings = []
    if levels.peak <= SILENCE_PEAK:
        warnings.append(f"{info.path.name} is silent (peak below -90 dBFS): the images will not reflect any sound.")
    return Clip(samples=samples, sample_rate=rate, path=info.path, start=first / info.sample_rate, warnings=warnings)


def stream(
    path: str | os.PathLike[str],
    *,
    start: float | None = None,
    end: float | None = None,
    sample_rate: int | None = None,
    resampler: ResamplerName = "soxr",
    keep_channels: bool = False,
    dtype: SampleType = "float32",
) -> Generator[np.ndarray, None, None]:
    """Decode a file, or the part from ``start`` to ``end``, block by block.

    The same samples as :func:`load` (mixing, resampling and checks included),
    handed out as they are decoded, so a render of an hour-long track never
    holds more than a block of it. The file is checked and opened before the
    first block is asked for, so a bad file or range fails at the call.

    Args:
        path: Any file :func:`load` accepts.
        start: Seconds into the file where the stream begins (default 0).
        end: Seconds into the file where it ends (default: the end).
        sample_rate: Resample to this rate (``None`` keeps the file's rate).
        resampler: How, as for :func:`load`.
        keep_channels: Blocks of shape ``(frames, channels)`` instead of mono ``(frames,)``.
        dtype: The blocks' dtype, as for :func:`load`.

    Returns:
        A generator of blocks; close it (or exhaust it) to release the file.

    Raises:
        AudioRangeError: ``start`` or ``end`` lies outside the file.
        InvalidSamples: While iterating, at the first NaN or infinite sample.
        AudioError: Another subclass when the file itself cannot be read.
    """
    reader = open_reader(Path(path))
    try:
        first, last = _frame_range(reader.info, start, end)
    except BaseException:
        reader.close()
        raise
    rate = reader.info.sample_rate if sample_rate is None else sample_rate
    return _closing(reader, _decoded_blocks(reader, first, last, rate, resampler, None, keep_channels, dtype, _Peak()))


class _Peak:
    """The largest absolute sample seen so far (for the silence warning)."""

    peak = 0.0


def _decoded_blocks(
    reader: Reader,
    first: int,
    last: int,
    rate: int,
    resampler: ResamplerName,
    channel: int | None,
    keep_channels: bool,
    dtype: SampleType,
    levels: _Peak,
) -> Iterator[np.ndarray]:
    """Frames ``first`` to ``last`` mixed (or picked) and resampled to ``rate``, checked for NaN, block by block."""
    info = reader.info
    # A streaming resampler gives the same samples as resampling the whole
    # signal at once, and never holds the full-rate signal in memory.
    resampling = None
    if rate != info.sample_rate:
        resampling = open_stream(resampler, info.sample_rate, rate, info.channels if keep_channels else None, dtype)
    position = first
    shape: tuple[int, ...] = (0, info.channels) if keep_channels else (0,)
    for block in reader.blocks(first, last):
        if keep_channels:
            part = block.astype(dtype)
        elif channel is not None:
            part = block[:, channel].astype(dtype)
        else:
            # A matrix-vector product mixes down several times faster than block.mean(axis=1).
            part = block.astype(dtype, copy=False) @ np.full(info.channels, 1.0 / info.channels, dtype=dtype)
        # max and min propagate NaN and reach infinity, so they find bad samples and the peak at once.
        highest, lowest = float(part.max()), float(part.min())
        if not (math.isfinite(highest) and math.isfinite(lowest)):
            bad = np.isfinite(part).all(axis=-1) if part.ndim == 2 else np.isfinite(part)
            raise _invalid(info, position + int(np.argmin(bad)))
        levels.peak = max(levels.peak, highest, -lowest)
        position += block.shape[0]
        if resampling is None:
            yield part
        else:
            resampled = resampling.resample_chunk(part)
            if resampled.shape[0]:
                yield resampled
    if resampling is not None and position > first:
        tail = resampling.resample_chunk(np.zeros(shape, dtype), last=True)
        if tail.shape[0]:
            yield tail


def _closing(reader: Reader, blocks: Iterator[np.ndarray]) -> Generator[np.ndarray, None, None]:
    with reader:
        yield from blocks


@dataclass(frozen=True)
class AudioLevels:
    """Sample peak and RMS level of a whole file, over all channels.

    Attributes:
        peak_dbfs: Largest absolute sample in dB relative to full scale;
            ``-inf`` for digital silence.
        rms_dbfs: Unweighted RMS in dB relative to full scale (a full-scale
            sine reads -3.0); ``-inf`` for digital silence. This is not LUFS:
            no K-weighting or gating.
    """

    peak_dbfs: float
    rms_dbfs: float


def measure_levels(path: str | os.PathLike[str]) -> AudioLevels:
    """Measure a file's peak and RMS level in one streaming pass.

    Args:
        path: Any file :func:`load` accepts.

    Returns:
        The levels.

    Raises:
        AudioError: A subclass when the file cannot be read.
    """
    peak = 0.0
    square_sum = 0.0
    count = 0
    with open_reader(Path(path)) as reader:
        for block in reader.blocks():
            block_peak = float(np.abs(block).max())
            if not math.isfinite(block_peak):
                raise _invalid(
                    reader.info, count // reader.info.channels + int(np.argmin(np.isfinite(block).all(axis=1)))
                )
            peak = max(peak, block_peak)
            square_sum += float(np.einsum("ij,ij->", block, block, dtype=np.float64))
            count += block.size
    rms = math.sqrt(square_sum / count) if count else 0.0
    return AudioLevels(peak_dbfs=_dbfs(peak), rms_dbfs=_dbfs(rms))


def _invalid(info: AudioInfo, frame: int) -> InvalidSamples:
    return InvalidSamples(
        f"{info.path.name} contains invalid samples (NaN or infinity) at"
        f" {format_seconds(frame / info.sample_rate)}: re-export it from your audio editor."
    )


def _check_channel(info: AudioInfo, channel: int | None) -> None:
    if channel is not None and not 0 <= channel < info.channels:
        raise AudioRangeError(
            f"Channel {channel} does not exist in {info.path.name}, which has {info.channels} channel(s):"
            f" choose a channel from 0 to {info.channels - 1}."
        )


def _dbfs(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _frame_range(info: AudioInfo, start: float | None, end: float | None) -> tuple[int, int]:
    """Validate ``start``/``end`` against the file and turn them into frames."""
    name = info.path.name
    if info.frames == 0:
        raise EmptyAudio(f"{name} has no samples (0 frames): record or export the sound again.")
    length = format_seconds(info.duration)
    if start is not None and start < 0:
        raise AudioRangeError(f"--start {format_seconds(start)} is negative: choose a start of 0 s or later.")
    if start is not None and start >= info.duration:
        raise AudioRangeError(
            f"--start {format_seconds(start)} is past the end of {name} ({length}): choose a start before {length}."
        )
    if end is not None and end > info.duration:
        raise AudioRangeError(
            f"--end {format_seconds(end)} is past the end of {name} ({length}): choose an end of at most {length}."
        )
    first = round((start or 0.0) * info.sample_rate)
    last = info.frames if end is None else round(end * info.sample_rate)
    if last <= first:
        raise AudioRangeError(
            f"--end {format_seconds(end or 0.0)} is not after --start {format_seconds(start or 0.0)}"
            f" for {name}: choose an end later than the start."
        )
    return first, last


def _check_length(info: AudioInfo, seconds: float, max_duration: float | None, *, whole: bool) -> None:
    if max_duration is None or seconds <= max_duration:
        return
    what = info.path.name if whole else f"The selected part of {info.path.name}"
    raise AudioTooLong(
        f"{what} is {_clock(seconds)} long, over the {_clock(max_duration)} limit:"
        " choose a segment with --start and --end, or raise the limit."
    )


def _clock(seconds: float) -> str:
    """``3 h 05 min``, ``12 min 30 s`` or ``9.6 s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return format_seconds(seconds)

"""Waveform overview for the timeline: a min/max/RMS pyramid per file.

Level 0 summarises every 64 samples of the mono mix-down; each further level
summarises 4 buckets of the one below, up to a single bucket for the whole
file. A view of any width and zoom then touches at most 4 buckets per pixel,
and views zoomed in past 64 samples per pixel read the few samples they show
straight from the file (at most 64 x width frames, a couple of milliseconds).
The pyramid of a one-hour 44.1 kHz file is about 40 MB; it is built in one
streaming pass and kept in a cache folder so that reopening the file is a
single ``np.load``.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import platformdirs

from a2i_studio.audio._clip import AudioInfo
from a2i_studio.audio._readers import BLOCK_FRAMES, open_reader
from a2i_studio.errors import Cancelled
from a2i_studio.files import atomic_write

__all__ = ["BUCKET_FRAMES", "CancelToken", "PeaksPyramid"]

BUCKET_FRAMES = 64
"""Samples summarised by one level-0 bucket."""

_FANOUT = 4  # buckets of one level per bucket of the next
_CACHE_VERSION = 1  # part of the cache key: bump it when the pyramid's layout changes
_FINGERPRINT_SPAN = 1 << 20  # bytes hashed at each end of the file

Peaks = tuple[np.ndarray, np.ndarray, np.ndarray]


class CancelToken(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event`."""

    def is_set(self) -> bool:
        """Whether the user asked to stop."""
        ...


class PeaksPyramid:
    """Min, max and RMS of a file's mono mix-down at every zoom level.

    Build one with :meth:`build`; ask it for a view with :meth:`query`.

    Attributes:
        info: The file's :class:`~a2i_studio.audio.AudioInfo`.
    """

    def __init__(self, info: AudioInfo, levels: list[Peaks]) -> None:
        self.info = info
        self._levels = levels

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        cache_dir: str | os.PathLike[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> PeaksPyramid:
        """Load the pyramid of ``path`` from the cache, or build and cache it.

        The cache key hashes the file's size, modification time and first and
        last MiB rather than all of it: hashing a one-hour WAV would take
        longer than loading its cached pyramid, and an edit that keeps size,
        head and tail still changes the modification time.

        Args:
            path: Any file :func:`a2i_studio.audio.load` reads.
            cache_dir: Folder for cached pyramids (default: ``peaks`` in
                ``$A2I_CACHE_DIR`` if set, else in platformdirs'
                ``user_cache_dir("a2i-studio")``, the folder
                :func:`a2i_studio.config.cache_dir` names; the audio layer
                may not import config).
            progress: Called as ``progress(frames_done, frames_total)`` after
                each block while building.
            cancel: Checked after each block; when set, building stops.

        Returns:
            The pyramid.

        Raises:
            Cancelled: ``cancel`` was set before the pyramid was complete.
            AudioError: A subclass when the file cannot be read.
        """
        path = Path(path)
        folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        with open_reader(path) as reader:
            info = reader.info
            cache_file = folder / f"{_fingerprint(path)}.npz"
            if cache_file.is_file():
                with np.load(cache_file) as cached:
                    return cls(info, _unpack(cached))
            base = _base_level(reader.blocks(), info, progress, cancel)
        pyramid = cls(info, _stack_levels(base))
        packed = _pack(pyramid._levels)
        buffer = io.BytesIO()
        np.savez(buffer, **packed)
        atomic_write(cache_file, buffer.getvalue())
        return pyramid

    def query(self, start_frame: int, end_frame: int, pixels: int) -> Peaks:
        """Peaks of frames ``start_frame`` to ``end_frame`` drawn ``pixels`` wide.

        Pixel ``i`` covers frames ``start + i * span / pixels`` up to the next
        pixel's start. From 64 frames per pixel up, the covered range is
        widened to whole buckets of the level used (never more than one bucket
        on each side); below that, the frames are read from the file, and when
        there are fewer frames than pixels each pixel shows the frame under it.

        Args:
            start_frame: First frame of the view.
            end_frame: Frame after the last one (clamped to the file's length).
            pixels: Width of the view.

        Returns:
            ``(mins, maxs, rms)``, float32 arrays of length ``pixels``.

        Raises:
            ValueError: The range is empty or ``pixels`` is below 1.
        """
        end_frame = min(end_frame, self.info.frames)
        if not 0 <= start_frame < end_frame or pixels < 1:
            raise ValueError(f"cannot draw frames {start_frame}..{end_frame} on {pixels} pixels")
        edges = start_frame + (end_frame - start_frame) * np.arange(pixels + 1, dtype=np.float64) / pixels
        frames_per_pixel = (end_frame - start_frame) / pixels
        if frames_per_pixel < BUCKET_FRAMES:
            return self._query_samples(start_frame, end_frame, edges)
        level = min(int(np.log(frames_per_pixel / BUCKET_FRAMES) / np.log(_FANOUT)), len(self._levels) - 1)
        return _reduce(self._levels[level], edges / (BUCKET_FRAMES * _FANOUT**level))

    def _query_samples(self, start_frame: int, end_frame: int, edges: np.ndarray) -> Peaks:
        with open_reader(self.info.path) as reader:
            mono = np.concatenate([_mix(block) for block in reader.blocks(start_frame, end_frame)])
        if len(mono) < len(edges) - 1:
            samples = mono[edges[:-1].astype(np.int64) - start_frame]
            return samples, samples.copy(), np.abs(samples)
        return _reduce((mono, mono, mono * mono), edges - start_frame)


def _reduce(level: Peaks, edges: np.ndarray) -> Peaks:
    """Min, max and RMS per pixel; ``edges`` are the pixels' bounds in units of the level's buckets.

    Pixel ``i`` takes every bucket its range touches, ``floor(edges[i])`` to
    ``ceil(edges[i + 1])``, so a bucket split between two pixels counts for
    both in the min and max. Each bucket counts once in the RMS.
    """
    level_mins, level_maxs, level_mean_squares = level
    first = edges[:-1].astype(np.int64)
    stop = int(np.ceil(edges[-1]))
    window = slice(int(first[0]), stop)
    indices = first - first[0]
    mins = np.minimum.reduceat(level_mins[window], indices)
    maxs = np.maximum.reduceat(level_maxs[window], indices)
    counts = np.diff(indices, append=stop - first[0])
    rms = np.sqrt(np.add.reduceat(level_mean_squares[window], indices) / counts).astype(np.float32)
    shared = np.flatnonzero(np.ceil(edges[1:-1]) > first[1:])  # pixel i ends inside the bucket pixel i + 1 starts in
    mins[shared] = np.minimum(mins[shared], level_mins[first[shared + 1]])
    maxs[shared] = np.maximum(maxs[shared], level_maxs[first[shared + 1]])
    return mins, maxs, rms


def _mix(block: np.ndarray) -> np.ndarray:
    return block @ np.full(block.shape[1], 1.0 / block.shape[1], dtype=np.float32)


def _base_level(
    blocks: Iterable[np.ndarray],
    info: AudioInfo,
    progress: Callable[[int, int], None] | None,
    cancel: CancelToken | None,
) -> Peaks:
    """Level 0 from a stream of ``(frames, channels)`` blocks, one block in memory at a time."""
    stage = np.empty(BLOCK_FRAMES, dtype=np.float32)  # BLOCK_FRAMES is a multiple of BUCKET_FRAMES
    filled = done = 0
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    mean_squares: list[np.ndarray] = []

    def summarise(samples: np.ndarray) -> None:
        whole = len(samples) // BUCKET_FRAMES * BUCKET_FRAMES
        parts = [samples[:whole].reshape(-1, BUCKET_FRAMES)] + ([samples[whole:][None]] if whole < len(samples) else [])
        for buckets in parts:
            mins.append(buckets.min(axis=1))
            maxs.append(buckets.max(axis=1))
            mean_squares.append(np.einsum("ij,ij->i", buckets, buckets) / buckets.shape[1])

    weights = np.full(info.channels, 1.0 / info.channels, dtype=np.float32)
    for block in blocks:
        taken = 0
        while taken < len(block):
            count = min(len(block) - taken, BLOCK_FRAMES - filled)
            np.matmul(block[taken : taken + count], weights, out=stage[filled : filled + count])
            taken += count
            filled += count
            if filled == BLOCK_FRAMES:
                summarise(stage)
                filled = 0
        done += len(block)
        if progress is not None:
            progress(done, info.frames)
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"Drawing the waveform of {info.path.name} was cancelled.")
    if filled:
        summarise(stage[:filled])
    return np.concatenate(mins), np.concatenate(maxs), np.concatenate(mean_squares)


def _stack_levels(base: Peaks) -> list[Peaks]:
    """Level 0 plus coarser levels of 4 buckets each, down to a single bucket."""
    levels = [base]
    while len(levels[-1][0]) > 1:
        mins, maxs, mean_squares = levels[-1]
        starts = np.arange(0, len(mins), _FANOUT)
        # The last group may hold fewer than 4 buckets; averaging over its own
        # count keeps its RMS right (a partial last bucket is weighted as a full one).
        counts = np.diff(starts, append=len(mins))
        levels.append(
            (
                np.minimum.reduceat(mins, starts),
                np.maximum.reduceat(maxs, starts),
                (np.add.reduceat(mean_squares, starts) / counts).astype(np.float32),
            )
        )
    return levels


def _pack(levels: list[Peaks]) -> dict[str, Any]:
    arrays: dict[str, Any] = {}
    for index, (mins, maxs, mean_squares) in enumerate(levels):
        arrays[f"min{index}"], arrays[f"max{index}"], arrays[f"ms{index}"] = mins, maxs, mean_squares
    return arrays


def _unpack(cached: np.lib.npyio.NpzFile) -> list[Peaks]:
    count = sum(1 for name in cached.files if name.startswith("min"))
    return [(cached[f"min{index}"], cached[f"max{index}"], cached[f"ms{index}"]) for index in range(count)]


def _default_cache_dir() -> Path:
    variable = os.environ.get("A2I_CACHE_DIR")
    return (Path(variable).expanduser() if variable else Path(platformdirs.user_cache_dir("a2i-studio"))) / "peaks"


def _fingerprint(path: Path) -> str:
    """Cache key from the file's size, modification time and first and last MiB."""
    status = path.stat()
    digest = hashlib.sha256(f"{_CACHE_VERSION}:{status.st_size}:{status.st_mtime_ns}".encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_FINGERPRINT_SPAN))
        handle.seek(max(status.st_size - _FINGERPRINT_SPAN, 0))
        digest.update(handle.read(_FINGERPRINT_SPAN))
    return digest.hexdigest()

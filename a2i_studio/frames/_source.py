"""Where a frame stream's audio windows come from: :class:`AudioWindow` and the file source.

A source hands out one window per frame, in frame order, as the sound
arrives: the samples centred on the frame's time (slid inward at the file's
ends, so no window is half silence), the envelope values the
modulations follow, and whether a keyframe falls on it. :class:`FileSource`
reads a file (or a segment of it) block by block, so an hour-long track takes
the memory of one window; a live input (a microphone, or a file played in
real time) is another source of the same windows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from a2i_studio import audio
from a2i_studio.audio.envelopes import Analysis, analyse, band_of
from a2i_studio.core import Encoder
from a2i_studio.frames._settings import VideoSettings

__all__ = ["AudioWindow", "FileSource", "frame_count", "keyframe_flags"]


@dataclass(frozen=True)
class AudioWindow:
    """The sound one frame listens to.

    Attributes:
        index: The frame's number, from 0.
        time: The frame's time in seconds from the start of the segment (the middle of its
            display interval, ``(index + 0.5) / fps``); the window is centred on it.
        samples: The window's sound as the encoder reads a clip (:meth:`Encoder.read`: its rate,
            resampler, dtype; mono ``(frames,)``, or ``(channels, frames)`` for encoders that keep
            channels). Near the file's ends the window
            slides inward to stay whole (silence only pads a file shorter than the window); it may
            reach past the segment into the file around it, as a window centred there would.
        envelopes: Envelope values (0-1) at this time, by name, for the modulations.
        keyframe: Whether the frame is a keyframe (ignored without keyframes).
    """

    index: int
    time: float
    samples: np.ndarray
    envelopes: Mapping[str, float] = field(default_factory=dict)
    keyframe: bool = False


def frame_count(duration: float, fps: float) -> int:
    """Frames of a video as long as ``duration`` seconds of sound: within half a frame of it, at least one."""
    return max(1, math.floor(duration * fps + 0.5))


def keyframe_flags(settings: VideoSettings, analysis: Analysis | None, count: int) -> np.ndarray:
    """Which of ``count`` frames are keyframes: the first, the last, and those the mode picks.

    ``every`` puts one each ``keyframe_every`` seconds; ``onsets``, ``beats`` and
    ``sections`` on the frame whose display interval holds each event of ``analysis``.
    """
    flags = np.zeros(count, dtype=bool)
    flags[[0, -1]] = True
    fps = settings.fps
    if settings.keyframes == "every":
        starts = np.arange(count) / fps
        flags[1:] |= np.floor(starts[1:] / settings.keyframe_every) > np.floor(starts[:-1] / settings.keyframe_every)
    elif settings.keyframes != "none" and analysis is not None:
        events = {"onsets": analysis.onsets, "beats": analysis.beats, "sections": analysis.sections}[settings.keyframes]
        flags[np.clip(np.floor(events * fps).astype(np.int64), 0, count - 1)] = True
    return flags


class FileSource:
    """Windows of a file, or of its ``start``-``end`` segment, one per frame.

    Building it runs the analysis pass (envelopes and events, one streaming read
    of the segment) when the settings need it; iterating reads the segment once
    more, block by block.

    Args:
        path: Any audio or video file :func:`a2i_studio.audio.load` reads.
        settings: The video settings (rate, keyframes, modulations).
        encoder: The chain's encoder: windows are read as it reads a clip.
        window_seconds: The window each frame listens to.
        start: Segment start, seconds (``None``: the file's start).
        end: Segment end, seconds (``None``: the file's end).

    Raises:
        AudioError: If the file cannot be read or the segment lies outside it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        settings: VideoSettings,
        encoder: Encoder,
        window_seconds: float,
        start: float | None = None,
        end: float | None = None,
    ) -> None:
        self.path = Path(path)
        self.settings = settings
        self.encoder = encoder
        self.window_seconds = window_seconds
        self.start, self.end = start, end
        audio.stream(self.path, start=start, end=end).close()  # the file and the segment fail here, in a sentence
        info = audio.probe(self.path)
        self.file_duration = info.duration
        self.duration = (info.duration if end is None else end) - (start or 0.0)
        self.count = frame_count(self.duration, settings.fps)
        names = settings.envelope_names()
        self.analysis: Analysis | None = None
        if names or settings.keyframes in ("onsets", "beats", "sections"):
            bands = [band for band in map(band_of, names) if band is not None]
            self.analysis = analyse(self.path, start=start, end=end, bands=bands)
        self.times = (np.arange(self.count) + 0.5) / settings.fps
        self.keyframes = keyframe_flags(settings, self.analysis, self.count)
        self.envelopes = {
            name: self.analysis.at(self.analysis.envelope(name), self.times, 1 / settings.fps, peak=name == "onset")
            for name in names
            if self.analysis is not None
        }

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[AudioWindow]:
        """Every frame's window, in order."""
        return self.windows()

    def windows(self, first: int = 0, last: int | None = None) -> Generator[AudioWindow, None, None]:
        """The windows of frames ``first`` to ``last`` (exclusive; ``None``: the end), in order."""
        last = self.count if last is None else last
        encoder = self.encoder
        rate, size = encoder.sample_rate, round(self.window_seconds * encoder.sample_rate)
        offset = self.start or 0.0
        file_size = round(self.file_duration * rate)
        # Read the segment and half a window either side of it, as far as the file goes.
        reach = max(0.0, offset - self.window_seconds)
        until = min(self.file_duration, offset + self.duration + self.window_seconds)
        blocks = audio.stream(
            self.path, start=reach, end=until, sample_rate=rate, resampler=encoder.resampler,
            keep_channels=encoder.keep_channels, dtype=encoder.sample_dtype,
        )
        buffer: np.ndarray | None = None
        buffer_start, exhausted = round(reach * rate), False
        try:
            for index in range(first, last):
                time = float(self.times[index])
                low = min(max(round((offset + time) * rate) - size // 2, 0), max(file_size - size, 0))
                high = low + size
                # 1. Read until the buffer reaches the window's end (or the file ends).
                while not exhausted and (buffer is None or buffer_start + buffer.shape[0] < high):
                    block = next(blocks, None)
                    if block is None:
                        exhausted = True
                    else:
                        buffer = block if buffer is None else np.concatenate([buffer, block])
                assert buffer is not None  # the segment has samples: FileSource checked it
                # 2. Drop what no later window needs, then copy the window (silence past a short file's end).
                drop = min(max(low - buffer_start, 0), buffer.shape[0])
                buffer, buffer_start = buffer[drop:], buffer_start + drop
                window = np.zeros((size, *buffer.shape[1:]), dtype=buffer.dtype)
                begin, stop = max(low, buffer_start), min(high, buffer_start + buffer.shape[0])
                if stop > begin:
                    window[begin - low : stop - low] = buffer[begin - buffer_start : stop - buffer_start]
                yield AudioWindow(
                    index=index,
                    time=time,
                    samples=np.ascontiguousarray(window.T) if window.ndim == 2 else window,
                    envelopes={name: float(values[index]) for name, values in self.envelopes.items()},
                    keyframe=bool(self.keyframes[index]),
                )
        finally:
            blocks.close()

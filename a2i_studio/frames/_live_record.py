"""Recording a live session: its frames and its sound into a video file, while it runs.

:class:`LiveRecorder` runs the render command's writer
(:func:`~a2i_studio.frames._writers.write_video`) on a thread of its own, fed
through queues: the sound as it is heard (a :class:`SoundTrack` that waits for
it), and one frame per tick of the video's frame rate. Live mode paints fewer
frames than ticks when it drops frames to keep up, so each frame is held
until the next one; and each is placed at the moment of the sound it heard,
so the recording shows the pictures in time with the sound, without the
latency the live output had. Like a render, the file is written whole or not
at all, and a sidecar holds its recipe.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from a2i_studio.audio import open_stream
from a2i_studio.errors import Cancelled, VideoError
from a2i_studio.files import atomic_write_json, is_disk_full
from a2i_studio.frames._recipe import sidecar_path
from a2i_studio.frames._source import frame_count
from a2i_studio.frames._writers import OutputFormat, fit_frame, write_video

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.audio.live_input import Block

__all__ = ["LiveRecorder"]

_QUEUED_SECONDS = 4.0  # frames waiting for the writer; past this the live loop waits (and drops frames)
_ABORT = object()  # put in the frame queue: the writer stops and leaves no file


class _LiveSound:
    """The sound of a live session as a :class:`SoundTrack`: blocks wait in a queue until the writer takes them."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.queue: queue.Queue[np.ndarray | None] = queue.Queue()

    def blocks(self, sample_rate: int, keep_channels: bool) -> Iterator[np.ndarray]:
        """The sound as it comes (waiting for it), until the session ends."""
        resampler = None
        if sample_rate != self.sample_rate:
            resampler = open_stream("soxr", self.sample_rate, sample_rate, self.channels if keep_channels else None)
        while (block := self.queue.get()) is not None:
            part = block if keep_channels else block.mean(axis=1, dtype=np.float32)
            part = part if resampler is None else resampler.resample_chunk(part)
            if part.shape[0]:  # the resampler holds back short blocks; an empty frame is an encoder error
                yield part
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros((0, self.channels) if keep_channels else 0, np.float32), last=True)
            if tail.shape[0]:
                yield tail


class LiveRecorder:
    """Writes a live session into ``out`` as it runs (MP4 or WebM with its sound, GIF, or a PNG folder).

    Args:
        out: The file to write; it appears when :meth:`finish` is done, never half-written.
        fmt: From :func:`~a2i_studio.frames.output_format`.
        fps: The video's frame rate (the session's).
        sample_rate: The live sound's rate.
        channels: The live sound's channels.
        recipe: The session's recipe; :meth:`finish` adds the frames, size and what live mode measured.
    """

    def __init__(
        self, out: Path, fmt: OutputFormat, fps: float, sample_rate: int, channels: int, recipe: dict[str, Any]
    ) -> None:
        self.out, self.fmt, self.fps, self.recipe = out, fmt, fps, recipe
        self._sound = _LiveSound(sample_rate, channels)
        self._frames: queue.Queue[Any] = queue.Queue(maxsize=max(2, round(_QUEUED_SECONDS * fps)))
        self._size: tuple[int, int] | None = None
        self._held: Image | None = None
        self._ticks = 0  # frames handed to the writer
        self._samples = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="a2i-live-recorder", daemon=True)
        self._thread.start()

    def add_sound(self, blocks: Sequence[Block]) -> None:
        """Take the sound heard since the last call.

        Raises:
            VideoError: If the writer failed (a full disk); the recording is over, the session need not be.
        """
        self._check()
        for block in blocks:
            self._sound.queue.put(block.samples)
            self._samples += block.samples.shape[0]

    def add_frame(self, image: Image, time: float) -> None:
        """Take a frame made from the sound up to ``time`` seconds; the one before is held until then.

        Raises:
            VideoError: If the writer failed.
        """
        self._check()
        if self._size is None:
            width, height = image.size
            self._size = (width + width % 2, height + height % 2) if self.fmt.even_size else (width, height)
        image = fit_frame(image, *self._size)
        tick = int(time * self.fps)
        held = image if self._held is None else self._held  # the first frame also stands for the ticks before it
        while self._ticks < tick:
            self._frames.put(held)
            self._ticks += 1
        self._held = image

    def finish(self, live: dict[str, Any]) -> Path | None:
        """Write the rest, wait for the file, and write its sidecar with the recipe and ``live``'s numbers.

        Returns:
            The file, or ``None`` if no frame was made (nothing is written then).

        Raises:
            VideoError: If the file could not be written (nothing is left at ``out``).
        """
        if self._held is None:
            self.abort()
            return None
        seconds = self._samples / self._sound.sample_rate
        total = max(frame_count(seconds, self.fps), self._ticks + 1)
        while self._ticks < total:
            self._frames.put(self._held)
            self._ticks += 1
        self._sound.queue.put(None)
        self._frames.put(None)
        self._thread.join()
        self._check()
        assert self._size is not None
        self.recipe["video"].update(frames=self._ticks, duration=seconds, width=self._size[0], height=self._size[1])
        self.recipe["live"] = live
        atomic_write_json(sidecar_path(self.out), self.recipe)
        return self.out

    def abort(self) -> None:
        """Stop writing; no file is left."""
        self._sound.queue.put(None)
        self._frames.put(_ABORT)
        self._thread.join()

    def _frames_in_order(self) -> Iterator[Image]:
        while (item := self._frames.get()) is not None:
            if item is _ABORT:
                raise Cancelled("The recording was abandoned.")
            yield item

    def _write(self) -> None:
        try:
            write_video(self.out, self.fmt, self._frames_in_order(), self.fps, self._sound, lambda: self.recipe)
        except BaseException as error:  # handed to the live loop, which goes on without recording
            self._error = error
            if not isinstance(error, Cancelled):  # the live loop may be waiting to put a frame: let it go on
                while (item := self._frames.get()) is not None:
                    if item is _ABORT:
                        return

    def _check(self) -> None:
        error = self._error
        if error is None or isinstance(error, Cancelled):
            return
        if isinstance(error, OSError):
            reason = "the disk is full" if is_disk_full(error) else (error.strerror or str(error))
            raise VideoError(
                f"Recording to {self.out} stopped: {reason}; the session goes on without it: free some space or "
                "choose another file, then record again."
            ) from None
        raise error

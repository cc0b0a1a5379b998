"""A file played in real time as if it were live: its sound goes out, and comes back as heard blocks.

With an output device, PortAudio's callback takes the file's blocks as the
device asks for them, so the device paces the sound, and each block is
stamped with the moment it leaves the speaker. Muted, or on a machine with no
output device, a thread hands the blocks over on the clock instead. Either
way a decoding thread reads the file a block at a time, so an hour-long track
takes the memory of a second of it.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from a2i_studio.audio._errors import NoAudioDevice
from a2i_studio.audio._live_base import LiveInput
from a2i_studio.audio._load import probe, stream
from a2i_studio.audio._sounddevice import load_sounddevice

__all__ = ["FilePlayer"]

_BLOCK_SECONDS = 0.01  # blocks handed over by the clock: latency is measured to within this
_AHEAD_SECONDS = 0.5  # decoded sound waiting for the output device


class FilePlayer(LiveInput):
    """A file played in real time, its sound going to the output device; a live source like a microphone.

    Args:
        path: Any audio or video file :func:`a2i_studio.audio.load` reads.
        output: The output device's index or name; ``None``: the default output, if there is one
            (without one, the file plays silently, paced by the clock).
        mute: Keep the sound in; the clock paces the file.

    Raises:
        AudioError: If the file cannot be read, in a sentence naming it.
        NoAudioDevice: If ``output`` names a device that does not exist.
    """

    def __init__(self, path: str | os.PathLike[str], *, output: str | int | None = None, mute: bool = False) -> None:
        self.path = Path(path)
        info = probe(self.path)
        self.duration = info.duration
        self.output: dict[str, Any] | None = None if mute else _output_device(output)
        channels = 2 if info.channels == 2 else 1  # stereo stays stereo; more channels are mixed down
        if self.output is not None:
            channels = min(channels, int(self.output["max_output_channels"]))
        rate = round(self.output["default_samplerate"]) if self.output is not None else info.sample_rate
        super().__init__(f"file {self.path.name}", rate, channels, watch=False)
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: Any = None
        self._ahead: queue.Queue[np.ndarray | None] = queue.Queue(
            maxsize=round(_AHEAD_SECONDS / _BLOCK_SECONDS)
        )
        self._playing: np.ndarray | None = None
        self._played = 0
        self._drained = False

    @property
    def audible(self) -> bool:
        """Whether the sound goes to an output device (otherwise the clock paces it, silently)."""
        return self.output is not None

    def _open(self) -> None:
        self._halt.clear()
        self._ahead = queue.Queue(maxsize=self._ahead.maxsize)
        self._playing, self._played, self._drained = None, 0, False
        if self.output is not None:
            sounddevice = load_sounddevice()
            try:
                self._stream = sounddevice.OutputStream(
                    device=self.output["index"], samplerate=self.sample_rate, channels=self.channels,
                    dtype="float32", callback=self._on_play, finished_callback=self._end,
                )
            except sounddevice.PortAudioError as error:
                raise NoAudioDevice(
                    f"The output {self.output['name']!r} could not be opened ({error}); choose another output, "
                    "or mute the file."
                ) from None
        self._thread = threading.Thread(target=self._decode, name="a2i-file-player", daemon=True)
        self._thread.start()
        if self._stream is not None:
            self._stream.start()

    def _close(self) -> None:
        self._halt.set()
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.abort()
            stream.close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _decode(self) -> None:
        """Read the file block by block: onto the clock, or into the queue the output device drains."""
        started = time.monotonic()
        position = 0
        try:
            for chunk in self._chunks(round(self.sample_rate * _BLOCK_SECONDS)):
                if self.output is None:
                    position += chunk.shape[0]
                    due = started + position / self.sample_rate
                    if self._halt.wait(max(0.0, due - time.monotonic())):
                        return
                    self._deliver(chunk, due)
                elif not self._hand_over(chunk):
                    return
        except BaseException as error:  # a damaged file (or a bug) reaches the reader, not stderr
            self._fail(error)
        if self.output is None:
            self._end()
        else:
            self._hand_over(None)

    def _chunks(self, size: int) -> Iterator[np.ndarray]:
        """The file as ``(size, channels)`` blocks (the last one shorter)."""
        blocks = stream(self.path, sample_rate=self.sample_rate, keep_channels=self.channels == 2)
        pending = np.zeros((0, self.channels), dtype=np.float32)
        try:
            for block in blocks:
                pending = np.concatenate([pending, block.reshape(block.shape[0], self.channels)])
                while pending.shape[0] >= size:
                    yield pending[:size]
                    pending = pending[size:]
        finally:
            blocks.close()
        if pending.shape[0]:
            yield pending

    def _hand_over(self, chunk: np.ndarray | None) -> bool:
        """Queue ``chunk`` (``None``: the end) for the output device; ``False`` if stopped meanwhile."""
        while not self._halt.is_set():
            try:
                self._ahead.put(chunk, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _on_play(self, outdata: np.ndarray, frames: int, times: Any, _status: Any) -> None:
        filled = 0
        while filled < frames and not self._drained:
            if self._playing is None or self._played >= self._playing.shape[0]:
                try:
                    self._playing, self._played = self._ahead.get_nowait(), 0
                except queue.Empty:
                    break  # the decoder is late: silence now, the file goes on after it
                if self._playing is None:
                    self._drained = True
                    break
            take = min(frames - filled, self._playing.shape[0] - self._played)
            outdata[filled : filled + take] = self._playing[self._played : self._played + take]
            filled, self._played = filled + take, self._played + take
        outdata[filled:] = 0.0
        if filled:
            # The block leaves the speaker at the DAC time PortAudio gives (0 where the host API has none).
            delay = max(0.0, times.outputBufferDacTime - times.currentTime) if times.outputBufferDacTime > 0 else 0.0
            self._deliver(outdata[:filled].copy(), time.monotonic() + delay + filled / self.sample_rate)
        if self._drained:
            raise load_sounddevice().CallbackStop


def _output_device(name: str | int | None) -> dict[str, Any] | None:
    """sounddevice's description of the output ``name`` (``None``: the default one, or ``None`` if there is none).

    Raises:
        NoAudioDevice: If ``name`` is given and no output device matches it.
    """
    try:
        sounddevice = load_sounddevice()
    except NoAudioDevice:
        if name is None:
            return None  # no PortAudio: the file plays silently, like on a machine without a sound card
        raise
    outputs = [info for info in sounddevice.query_devices() if info["max_output_channels"] > 0]
    if name is None:
        default = sounddevice.default.device[1]
        return next((info for info in outputs if info["index"] == default), None)
    if isinstance(name, int) or name.isdigit():
        matches = [info for info in outputs if info["index"] == int(name)]
    else:
        matches = [info for info in outputs if name.lower() in str(info["name"]).lower()]
    if len(matches) != 1:
        known = "; ".join(f"{info['index']}: {info['name']}" for info in outputs) or "none"
        raise NoAudioDevice(f"Output device {name!r} matches {len(matches)} devices; the outputs are: {known}.")
    return dict(matches[0])

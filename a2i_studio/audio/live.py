"""Recording from the microphone and playing clips, through sounddevice.

sounddevice is imported inside each function (through
:func:`~a2i_studio.audio._sounddevice.load_sounddevice`): a machine without
PortAudio, or without any sound card, must still decode files, make images
and run the tests; what is missing becomes a
:class:`~a2i_studio.audio.NoAudioDevice` with a sentence saying what to
install or connect. Live input (a device as it captures, a file played in
real time) is :mod:`a2i_studio.audio.live_input`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from a2i_studio.audio._clip import Clip
from a2i_studio.audio._errors import NoAudioDevice
from a2i_studio.audio._sounddevice import load_sounddevice

__all__ = ["Playback", "play", "record"]


def record(seconds: float, *, sample_rate: int = 48000, device: int | str | None = None) -> Clip:
    """Record mono audio from an input device, blocking until done.

    Args:
        seconds: How long to record.
        sample_rate: Samples per second to ask the device for.
        device: sounddevice's device index or name; ``None`` for the default input.

    Returns:
        The recording, with ``path=None``.

    Raises:
        NoAudioDevice: PortAudio is missing, or there is no usable input device.
    """
    sounddevice = load_sounddevice()
    try:
        samples = sounddevice.rec(
            round(seconds * sample_rate), samplerate=sample_rate, channels=1, dtype="float32", device=device
        )
        sounddevice.wait()
    except sounddevice.PortAudioError as error:
        raise NoAudioDevice(
            f"No microphone could be opened ({error}): connect one or choose another input device."
        ) from None
    return Clip(samples=samples[:, 0].copy(), sample_rate=sample_rate, path=None)


class Playback:
    """A clip playing in the background; returned by :func:`play`."""

    def __init__(self, stream: Any, finished: threading.Event) -> None:
        self._stream = stream
        self._finished = finished

    @property
    def active(self) -> bool:
        """Whether sound is still playing."""
        return not self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until playback ends; returns whether it did within ``timeout``."""
        return self._finished.wait(timeout)

    def stop(self) -> None:
        """Stop playing now and release the device."""
        self._stream.stop()
        self._stream.close()
        self._finished.set()


def play(
    clip: Clip,
    *,
    start: float = 0.0,
    end: float | None = None,
    on_position: Callable[[float], None] | None = None,
    device: int | str | None = None,
) -> Playback:
    """Play a clip, or the part from ``start`` to ``end`` seconds, without blocking.

    Args:
        clip: Mono or multichannel clip.
        start: Seconds into the clip where playback begins.
        end: Seconds into the clip where it stops (default: the end).
        on_position: Called from the audio thread after each buffer with the
            playhead in seconds of the source file (``clip.start`` included);
            a GUI forwards it to its own thread, e.g. through a Qt signal.
        device: sounddevice's device index or name; ``None`` for the default output.

    Returns:
        A :class:`Playback` to wait for or stop.

    Raises:
        NoAudioDevice: PortAudio is missing, or there is no usable output device.
    """
    sounddevice = load_sounddevice()
    frames = clip.samples.T if clip.samples.ndim == 2 else clip.samples[:, None]
    first = round(start * clip.sample_rate)
    last = frames.shape[0] if end is None else round(end * clip.sample_rate)
    frames = np.ascontiguousarray(frames[first:last], dtype=np.float32)
    finished = threading.Event()
    position = 0

    def fill(outdata: np.ndarray, count: int, _time: object, _status: object) -> None:
        nonlocal position
        chunk = frames[position : position + count]
        outdata[: len(chunk)] = chunk
        outdata[len(chunk) :] = 0.0
        position += len(chunk)
        if on_position is not None:
            on_position(clip.start + (first + position) / clip.sample_rate)
        if position >= len(frames):
            raise sounddevice.CallbackStop

    try:
        stream = sounddevice.OutputStream(
            samplerate=clip.sample_rate,
            channels=frames.shape[1],
            dtype="float32",
            device=device,
            callback=fill,
            finished_callback=finished.set,
        )
        stream.start()
    except sounddevice.PortAudioError as error:
        raise NoAudioDevice(
            f"No speaker could be opened ({error}): connect one or choose another output device."
        ) from None
    return Playback(stream, finished)

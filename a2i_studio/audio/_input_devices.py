"""Input devices: what PortAudio lists (loopback and monitor devices flagged), and capturing from one.

See :mod:`a2i_studio.audio.live_input`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from a2i_studio.audio._errors import NoAudioDevice
from a2i_studio.audio._live_base import LiveInput
from a2i_studio.audio._sounddevice import load_sounddevice

__all__ = ["LOOPBACK_MARKERS", "DeviceInput", "InputDevice", "find_input_device", "input_devices"]

LOOPBACK_MARKERS = ("monitor of", "loopback", "blackhole", "soundflower", "stereo mix", "what u hear", "cable output")
"""Words in a device's name (lower case) that mark what the computer plays, not a microphone: PulseAudio and
PipeWire monitors, WASAPI ``[Loopback]`` devices (PortAudio builds from 2023 on), ALSA's snd-aloop, BlackHole
and Soundflower on macOS, Windows' Stereo Mix, VB-Audio's cable."""


@dataclass(frozen=True)
class InputDevice:
    """An input device PortAudio lists.

    Attributes:
        index: PortAudio's index (stable until devices are plugged in or out).
        name: Its name.
        host_api: ALSA, PulseAudio, Core Audio, WASAPI, ...
        channels: Input channels.
        sample_rate: Its default sample rate.
        loopback: Whether it records what the computer plays (see :data:`LOOPBACK_MARKERS`).
        default: Whether it is the system's default input.
    """

    index: int
    name: str
    host_api: str
    channels: int
    sample_rate: float
    loopback: bool = False
    default: bool = False

    def describe(self) -> str:
        """``3: Monitor of Built-in Audio (PulseAudio, 2 ch, 48000 Hz, loopback)``."""
        flags = "".join(
            f", {flag}" for flag, shown in (("loopback", self.loopback), ("default", self.default)) if shown
        )
        return f"{self.index}: {self.name} ({self.host_api}, {self.channels} ch, {self.sample_rate:g} Hz{flags})"


def input_devices() -> list[InputDevice]:
    """Every device PortAudio can record from, in its order (empty on a machine without any).

    Raises:
        NoAudioDevice: If PortAudio or sounddevice is missing.
    """
    sounddevice = load_sounddevice()
    host_apis = sounddevice.query_hostapis()
    default_input = sounddevice.default.device[0]
    devices = []
    for info in sounddevice.query_devices():
        if info["max_input_channels"] <= 0:
            continue
        name = str(info["name"])
        devices.append(InputDevice(
            index=int(info["index"]),
            name=name,
            host_api=str(host_apis[info["hostapi"]]["name"]),
            channels=int(info["max_input_channels"]),
            sample_rate=float(info["default_samplerate"]),
            loopback=any(marker in name.lower() for marker in LOOPBACK_MARKERS),
            default=int(info["index"]) == default_input,
        ))
    return devices


def find_input_device(name: str | int | None) -> InputDevice:
    """The input device ``name`` stands for: an index, a name, a unique part of one, or ``None`` for the default.

    Raises:
        NoAudioDevice: If none matches (or several do), in a sentence that lists what there is.
    """
    devices = input_devices()
    if name is None or name == "default":
        matches = [device for device in devices if device.default] or devices[:1]
    elif isinstance(name, int) or name.isdigit():
        matches = [device for device in devices if device.index == int(name)]
    else:
        matches = [device for device in devices if device.name.lower() == name.lower()] or [
            device for device in devices if name.lower() in device.name.lower()
        ]
    if len(matches) == 1:
        return matches[0]
    wanted = "the default input" if name in (None, "default") else f"input device {name!r}"
    if not devices:
        raise NoAudioDevice(
            f"There is no {wanted}: this machine has no input device (no sound card, or none connected); "
            "connect one, or play a file live instead."
        )
    if not matches:
        known = "; ".join(device.describe() for device in devices)
        raise NoAudioDevice(f"There is no {wanted}: connect it, or choose one of these: {known}.")
    raise NoAudioDevice(
        f"{wanted[0].upper()}{wanted[1:]} matches {len(matches)} devices ({', '.join(d.name for d in matches)}); "
        "give more of its name or its number."
    )


class DeviceInput(LiveInput):
    """Sound captured from an input device, microphone or loopback, as it arrives.

    Args:
        device: An :class:`InputDevice`, or what :func:`find_input_device` takes (``None``: the default input).
        sample_rate: Samples per second to capture (default: the device's own).
        channels: 1 or 2 (default: 2 where the device has them).

    Raises:
        NoAudioDevice: If PortAudio is missing or no device matches.
    """

    def __init__(
        self, device: InputDevice | str | int | None = None, *, sample_rate: int | None = None,
        channels: int | None = None,
    ) -> None:
        self.device = device if isinstance(device, InputDevice) else find_input_device(device)
        super().__init__(
            f"device {self.device.name!r}",
            sample_rate or round(self.device.sample_rate),
            channels or min(2, self.device.channels),
            watch=not self.device.loopback,  # WASAPI loopback sends nothing while nothing plays
        )
        self._stream: Any = None
        self._stopping = False

    def _open(self) -> None:
        sounddevice = load_sounddevice()
        self._stopping = False
        try:
            self._stream = sounddevice.InputStream(
                device=self.device.index, samplerate=self.sample_rate, channels=self.channels, dtype="float32",
                callback=self._on_audio, finished_callback=self._on_finished,
            )
            self._stream.start()
        except sounddevice.PortAudioError as error:
            self._release()
            raise NoAudioDevice(
                f"The input {self.name} could not be opened ({error}); connect it, close other programs that "
                "hold it, or choose another input."
            ) from None

    def _close(self) -> None:
        self._stopping = True
        self._release()

    def _release(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.abort()
            stream.close()

    def _on_audio(self, indata: np.ndarray, frames: int, times: Any, _status: Any) -> None:
        # PortAudio's clock says how long ago the block's last sample reached the converter;
        # host APIs without timing report 0, and the block is taken as heard on arrival.
        captured = times.inputBufferAdcTime + frames / self.sample_rate
        delay = max(0.0, times.currentTime - captured) if times.inputBufferAdcTime > 0 else 0.0
        self._deliver(indata.copy(), time.monotonic() - delay)

    def _on_finished(self) -> None:
        if not self._stopping:
            self._fail(NoAudioDevice(
                f"The input {self.name} stopped (unplugged, or its driver failed); connect it again or choose "
                "another input."
            ))

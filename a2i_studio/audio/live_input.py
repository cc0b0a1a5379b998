"""Live sound, block by block as it is heard: an input device, or a file played in real time (Qt-free).

A :class:`LiveInput` hands out :class:`Block` s of ``(frames, channels)``
float32 samples, each stamped with the :func:`time.monotonic` moment its last
sample was heard: captured by the microphone, or played out of the speaker.
Live mode paints the newest sound and measures its latency from that stamp.

- :class:`DeviceInput` captures from any input device PortAudio lists
  (:func:`input_devices`); loopback and monitor devices, which record what the
  computer plays, are flagged as such.
- :class:`FilePlayer` plays a file in real time as if it were live: its sound
  goes to the output device, which paces it; with no output device, or muted,
  the clock paces it. It is how live mode runs without a sound card, and how
  the tests drive it.

sounddevice is imported only when a device is listed or opened.
"""

from __future__ import annotations

from a2i_studio.audio._file_player import FilePlayer
from a2i_studio.audio._input_devices import (
    LOOPBACK_MARKERS,
    DeviceInput,
    InputDevice,
    find_input_device,
    input_devices,
)
from a2i_studio.audio._live_base import METER_FLOOR_DB, STALL_SECONDS, Block, LiveInput

__all__ = [
    "LOOPBACK_MARKERS",
    "METER_FLOOR_DB",
    "STALL_SECONDS",
    "Block",
    "DeviceInput",
    "FilePlayer",
    "InputDevice",
    "LiveInput",
    "find_input_device",
    "input_devices",
]

"""What a live session is made of: its request and source, its frames, and the numbers it measures.

:class:`LiveRequest` (chain, settings, recording) and :class:`LiveSource` (a
device, or a file played in real time) describe a session and travel as JSON
(the command line hands them to the app's output window); :class:`LiveFrame`
is what :func:`~a2i_studio.frames.run_live` hands to the screen;
:class:`LiveMeter` measures the frame rate and latency where frames are shown,
and :class:`LiveSummary` is what a session did.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from a2i_studio.audio.live_envelopes import EVENTS
from a2i_studio.audio.live_input import DeviceInput, FilePlayer
from a2i_studio.core import ChoiceParam, Param
from a2i_studio.engine import DEFAULT_CHAIN
from a2i_studio.frames._live_source import check_live_settings
from a2i_studio.frames._settings import VIDEO_PARAMS, VideoSettings

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.audio.live_input import LiveInput
    from a2i_studio.frames._stream import Frame

__all__ = [
    "LIVE_PARAMS",
    "LIVE_WINDOW",
    "LiveFrame",
    "LiveMeter",
    "LiveRequest",
    "LiveSource",
    "LiveSummary",
]

LIVE_WINDOW = 1.0
"""Seconds of sound a live frame listens to by default: the picture turns within about half of it."""


def _live_param(param: Param) -> Param:
    if param.name == "window":
        return replace(param, default=LIVE_WINDOW, help="seconds of sound each frame listens to, up to the newest")
    if isinstance(param, ChoiceParam) and param.name == "keyframes":
        return replace(param, choices=("none", "every", *EVENTS))
    return param


LIVE_PARAMS: tuple[Param, ...] = tuple(_live_param(param) for param in VIDEO_PARAMS if param.name != "interpolation")
"""The video settings live mode takes, as a schema (the live window builds its form from it): no
interpolation (frames between keyframes hold the last one), no keyframes on sections, 1 s windows."""


@dataclass(frozen=True)
class LiveSource:
    """Where a live session's sound comes from: an input device, or a file played in real time.

    Attributes:
        device: The input device: its number, name, a unique part of it, or ``default``.
        file: A file played in real time instead (its sound goes to the default output).
        mute: Keep the file's sound in; the clock paces it.
    """

    device: str | None = None
    file: Path | None = None
    mute: bool = False

    def open(self) -> LiveInput:
        """The live input (not started yet: :func:`run_live` starts it).

        Raises:
            NoAudioDevice: If no device matches, or PortAudio is missing.
            AudioError: If the file cannot be read.
        """
        if self.file is not None:
            return FilePlayer(self.file, mute=self.mute)
        return DeviceInput(self.device)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` reads back."""
        return {"device": self.device, "file": None if self.file is None else str(self.file), "mute": self.mute}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> LiveSource:
        """The source :meth:`to_dict` wrote."""
        file = values.get("file")
        return cls(values.get("device"), None if file is None else Path(file), bool(values.get("mute")))


@dataclass(frozen=True)
class LiveRequest:
    """What a live session paints, and where it records.

    Attributes:
        chain: ``encoder>adapter*>generator``.
        settings: Frame rate, size, window, smoothing, keyframes (every, onsets, beats), continuity, modulations;
            checked when the request is made (:class:`ParamError` for keyframes on sections).
        seed: The seed of every frame's random draw.
        params: Parameter values by component id, then by name.
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``None`` for the best available.
        dtype: ``float32``, ``float16``, ``bfloat16`` or ``None`` for the device's default.
        record: Write the session here (``.mp4``, ``.webm``, ``.gif``, or a folder for PNGs), or ``None``.
        seconds: Stop after this many seconds of sound (``None``: when stopped, or when a file ends).
    """

    chain: str = DEFAULT_CHAIN
    settings: VideoSettings = field(default_factory=lambda: VideoSettings(window=LIVE_WINDOW))
    seed: int = 0
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    device: str | None = None
    dtype: str | None = None
    record: Path | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        check_live_settings(self.settings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` reads back (the CLI hands it to the app's output window)."""
        return {
            "chain": self.chain, "settings": self.settings.to_dict(), "seed": self.seed,
            "params": {component: dict(values) for component, values in self.params.items()},
            "device": self.device, "dtype": self.dtype, "record": None if self.record is None else str(self.record),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> LiveRequest:
        """The request :meth:`to_dict` wrote.

        Raises:
            ParamError: For settings that are not valid.
        """
        record = values.get("record")
        return cls(
            chain=values["chain"], settings=VideoSettings.from_values(values["settings"]), seed=int(values["seed"]),
            params=values.get("params") or {}, device=values.get("device"), dtype=values.get("dtype"),
            record=None if record is None else Path(record), seconds=values.get("seconds"),
        )


@dataclass(frozen=True)
class LiveFrame:
    """A frame of a live session, ready to show.

    Attributes:
        index: The frame's number: it fell due ``index / fps`` seconds after the first sound.
        image: The picture, at the settings' size (the generator's own where they leave it open).
        time: Seconds of sound heard when it was made: its window ended there.
        heard: :func:`time.monotonic` when that sound was heard; showing it then adds the latency.
        dropped: Frames dropped just before it, to keep up.
        frame: The frame stream's frame (keyframe, parameters, envelopes).
    """

    index: int
    image: Image
    time: float
    heard: float
    dropped: int
    frame: Frame


class LiveMeter:
    """Frames per second and latency (sound heard to frame shown) of the frames shown.

    Args:
        span: Seconds the current frame rate and latency are measured over.
    """

    def __init__(self, span: float = 2.0) -> None:
        self.span = span
        self.latencies: list[float] = []
        """Every frame's latency, seconds, in order."""
        self.dropped = 0
        self._recent: deque[tuple[float, float]] = deque()  # (shown, latency) within span

    def shown(self, heard: float, dropped: int = 0, now: float | None = None) -> None:
        """A frame made from sound heard at ``heard`` is on screen ``now`` (default: now)."""
        now = time.monotonic() if now is None else now
        self.latencies.append(now - heard)
        self.dropped += dropped
        self._recent.append((now, now - heard))
        while self._recent and self._recent[0][0] < now - self.span:
            self._recent.popleft()

    @property
    def fps(self) -> float:
        """Frames shown per second over the last ``span`` seconds."""
        if len(self._recent) < 2:
            return 0.0
        return (len(self._recent) - 1) / max(self._recent[-1][0] - self._recent[0][0], 1e-9)

    def latency(self, percentile: float, recent: bool = True) -> float:
        """The latency's ``percentile`` (0-100), seconds, over the last ``span`` seconds or the whole session."""
        values = [latency for _, latency in self._recent] if recent else self.latencies
        return float(np.percentile(values, percentile)) if values else 0.0

    def describe(self) -> str:
        """``24.0 fps · latency 45 ms (p99 80 ms) · 3 dropped``."""
        return (
            f"{self.fps:.1f} fps · latency {self.latency(50) * 1000:.0f} ms (p99 {self.latency(99) * 1000:.0f} ms)"
            f" · {self.dropped} dropped"
        )


@dataclass(frozen=True)
class LiveSummary:
    """How a live session went.

    Attributes:
        painted: Frames painted and shown.
        dropped: Frames that fell due while the sound played and were dropped to keep up.
        seconds: Seconds of sound heard.
        latencies: Each frame's latency, seconds (sound heard to frame handed to ``show``).
        recording: The file written, if the session was recorded.
        warnings: What went wrong without stopping the session (a recording that could not go on).
    """

    painted: int
    dropped: int
    seconds: float
    latencies: tuple[float, ...]
    recording: Path | None = None
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        """``119 frames in 5.0 s (23.8 fps), 1 dropped; latency p50 13 ms, p99 20 ms``."""
        numbers = self.numbers()
        latency = numbers["latency_ms"]
        said = f"; latency p50 {latency['p50']:.0f} ms, p99 {latency['p99']:.0f} ms" if self.latencies else ""
        return (
            f"{numbers['painted']} frames in {numbers['seconds']:.1f} s ({numbers['fps']:.1f} fps), "
            f"{numbers['dropped']} dropped{said}"
        )

    def numbers(self) -> dict[str, Any]:
        """The summary as numbers, for a recording's sidecar and ``a2i live --json``."""
        latencies = np.asarray(self.latencies) * 1000
        return {
            "painted": self.painted, "dropped": self.dropped, "seconds": round(self.seconds, 3),
            "fps": round(self.painted / self.seconds, 2) if self.seconds else 0.0,
            "latency_ms": {
                "p50": round(float(np.percentile(latencies, 50)), 1) if latencies.size else None,
                "p99": round(float(np.percentile(latencies, 99)), 1) if latencies.size else None,
            },
        }

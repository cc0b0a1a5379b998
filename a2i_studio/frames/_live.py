"""Live mode: a chain painting the sound of a live input as it is heard, dropping frames rather than falling behind.

:func:`run_live` drives a :class:`FrameStream` in live mode from a
:class:`~a2i_studio.audio.live_input.LiveInput` on the caller's thread (a
worker's, in the app). Frame ``k`` is due ``k / fps`` seconds after the
session's first sound. Each frame takes the newest window heard when it
starts, and is handed to ``show`` when painted. When painting takes longer
than a frame, the frames that fell due meanwhile are dropped and the next one
starts at once with the newest sound, so the latency (sound heard to frame
shown) stays about one frame's work, whatever the chain; a slow chain (a
diffusion model) paints as fast as the device lets it, and its last frame is
held on screen until the next. Optionally the session is recorded, through
the render command's writer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from a2i_studio import __version__, audio
from a2i_studio.audio.live_envelopes import EVENTS
from a2i_studio.audio.live_input import Block, DeviceInput, FilePlayer
from a2i_studio.core import CancelToken, ChoiceParam, Param
from a2i_studio.engine import DEFAULT_CHAIN
from a2i_studio.errors import Cancelled, ParamError, VideoError
from a2i_studio.frames._live_record import LiveRecorder
from a2i_studio.frames._live_source import LiveWindows, check_live_settings
from a2i_studio.frames._recipe import LIVE_RECIPE_FORMAT
from a2i_studio.frames._settings import VIDEO_PARAMS, VideoSettings
from a2i_studio.frames._stream import Frame, FrameStream
from a2i_studio.frames._writers import fit_frame, output_format

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.audio.live_input import LiveInput
    from a2i_studio.engine import Engine

__all__ = [
    "LIVE_PARAMS",
    "LIVE_WINDOW",
    "LiveFrame",
    "LiveMeter",
    "LiveRequest",
    "LiveSource",
    "LiveSummary",
    "run_live",
]

LIVE_WINDOW = 1.0
"""Seconds of sound a live frame listens to by default: the picture turns within about half of it."""
_POLL_SECONDS = 0.005  # how often to look for the first sound, and for a stop while waiting for a frame


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


def run_live(
    engine: Engine,
    request: LiveRequest,
    source: LiveInput,
    show: Callable[[LiveFrame], None],
    cancel: CancelToken | None = None,
) -> LiveSummary:
    """Paint ``source``'s sound through ``request.chain`` until cancelled, the file ends or ``request.seconds`` pass.

    Args:
        engine: The engine whose registry has the chain.
        request: The chain, settings and recording.
        source: The live input; opened here, and closed before this returns.
        show: Called with each frame, on this thread, as soon as it is painted.
        cancel: Set it to stop: the session ends normally (the recording is kept).

    Returns:
        What the session painted, dropped and measured.

    Raises:
        ParamError: For bad settings, before the input is opened.
        NoAudioDevice: If the input cannot be opened, or stops (unplugged); a recording is kept.
        A2IError: For anything else the user can fix (missing weights, ...).
    """
    # 1. Check everything and load the chain before the input opens: the first sound is painted at once.
    fmt = output_format(request.record, option="--record") if request.record is not None else None
    if fmt is not None and request.record is not None and fmt.kind == "png" and request.record.exists():
        raise ParamError(f"--record {request.record} exists; choose a new folder name for the PNG sequence.")
    cancel = cancel or CancelToken()
    stream = FrameStream(
        engine, request.chain, request.settings, params=request.params, seed=request.seed, device=request.device,
        dtype=request.dtype, cancel=cancel, live=True,
    )
    settings = stream.settings
    windows = LiveWindows(settings, stream.chain.encoder, stream.window_seconds, source.sample_rate, source.channels)
    recorder = None
    if fmt is not None and request.record is not None:
        recipe = _recipe(stream, source, fmt.kind, fmt.codec)
        recorder = LiveRecorder(request.record, fmt, settings.fps, source.sample_rate, source.channels, recipe)
    session = _Session(stream, windows, recorder, show)
    # 2. Paint the newest sound at each frame's time; drop the frames that fall due while painting.
    try:
        with source:
            session.paint(source, cancel, request.seconds)
    finally:
        recording = session.end()
    return LiveSummary(
        painted=session.painted, dropped=session.dropped, seconds=windows.time, latencies=tuple(session.latencies),
        recording=recording, warnings=tuple(session.warnings),
    )


class _Session:
    """One run of the loop: the stream, its windows, the recorder and the counts."""

    def __init__(
        self, stream: FrameStream, windows: LiveWindows, recorder: LiveRecorder | None,
        show: Callable[[LiveFrame], None],
    ) -> None:
        self.stream, self.windows, self.recorder, self.show = stream, windows, recorder, show
        self.size = (stream.settings.width, stream.settings.height)
        self.painted = 0
        self.latencies: list[float] = []
        self.warnings: list[str] = []

    def paint(self, source: LiveInput, cancel: CancelToken, seconds: float | None) -> None:
        fps = self.stream.settings.fps
        first = self._first_sound(source, cancel)
        if not first:
            return
        start = first[0].heard - first[0].samples.shape[0] / source.sample_rate  # when the first sample was heard
        self._feed(first)
        index = skipped = 0
        limit = None if seconds is None else round(seconds * source.sample_rate)  # samples to paint
        while not cancel.cancelled:
            blocks = source.read()
            if limit is not None:
                blocks = _until(blocks, limit - self.windows.samples, source.sample_rate)
            self._feed(blocks)
            if source.finished or (limit is not None and self.windows.samples >= limit):
                return
            try:
                frames = self.stream.push(self.windows.window(index))
            except Cancelled:
                return
            for frame in frames:
                self._show(frame, skipped)
            # The next frame is the next one due; if painting took longer than a frame, the one due now.
            due = int((time.monotonic() - start) * fps)
            following = max(index + 1, due)
            skipped, index = following - index - 1, following
            while not cancel.cancelled and time.monotonic() < start + index / fps:
                time.sleep(min(_POLL_SECONDS * 4, max(0.0, start + index / fps - time.monotonic())))

    @property
    def dropped(self) -> int:
        """Frames that fell due while the sound played and were not painted."""
        return max(0, int(self.windows.time * self.stream.settings.fps) + 1 - self.painted)

    def end(self) -> Path | None:
        """Finish the recording (kept whatever ended the session); ``None`` without one."""
        if self.recorder is None:
            return None
        numbers = LiveSummary(self.painted, self.dropped, self.windows.time, tuple(self.latencies)).numbers()
        return self.recorder.finish(numbers)

    def _first_sound(self, source: LiveInput, cancel: CancelToken) -> list[Block]:
        while not cancel.cancelled and not source.finished:
            blocks = source.read()
            if blocks:
                return blocks
            time.sleep(_POLL_SECONDS)
        return []

    def _feed(self, blocks: list[Block]) -> None:
        self.windows.feed(blocks)
        if self.recorder is not None and blocks:
            self._record(lambda recorder: recorder.add_sound(blocks))

    def _show(self, frame: Frame, skipped: int) -> None:
        assert frame.image is not None  # live frames are always painted
        image = fit_frame(frame.image, *self.size) if all(self.size) else frame.image
        live = LiveFrame(frame.index, image, frame.time, self.windows.heard, skipped, frame)
        if self.recorder is not None:
            self._record(lambda recorder: recorder.add_frame(image, frame.time))
        self.show(live)
        self.latencies.append(time.monotonic() - live.heard)
        self.painted += 1

    def _record(self, step: Callable[[LiveRecorder], None]) -> None:
        """Hand the recorder its part; if it failed, the session goes on without it and says so."""
        assert self.recorder is not None
        try:
            step(self.recorder)
        except VideoError as error:
            self.warnings.append(str(error))
            self.recorder.abort()
            self.recorder = None


def _until(blocks: list[Block], samples: int, rate: int) -> list[Block]:
    """The first ``samples`` samples of ``blocks`` at ``rate`` (the last block cut short)."""
    kept = []
    for block in blocks:
        if samples <= 0:
            break
        if block.samples.shape[0] > samples:
            cut = block.samples.shape[0] - samples
            block = Block(block.samples[:samples], block.heard - cut / rate)
        kept.append(block)
        samples -= block.samples.shape[0]
    return kept


def _recipe(stream: FrameStream, source: LiveInput, kind: str, codec: str) -> dict[str, Any]:
    """A recorded session's recipe: the chain and settings, and where the sound came from."""
    origin: dict[str, Any] = {"kind": "device", "name": source.name}
    if isinstance(source, FilePlayer):
        path = source.path.resolve()
        origin = {"kind": "file", "name": path.name, "path": str(path), "sha256": audio.file_sha256(path)}
    return {
        "format": LIVE_RECIPE_FORMAT,
        "app_version": __version__,
        "created": datetime.now(UTC).isoformat(),
        "source": origin,
        "chain": stream.chain.id,
        "components": [
            {"kind": component.kind, "id": component.id, "version": component.version}
            for component in stream.chain.components
        ],
        "params": stream.params,
        "seed": stream.seed,
        "device": stream.device,
        "dtype": stream.dtype,
        "video": {**stream.settings.to_dict(), "window": stream.window_seconds, "format": kind, "codec": codec},
    }

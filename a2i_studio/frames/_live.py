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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import __version__, audio
from a2i_studio.audio.live_input import Block, FilePlayer
from a2i_studio.core import CancelToken
from a2i_studio.errors import Cancelled, ParamError, VideoError
from a2i_studio.frames._live_record import LiveRecorder
from a2i_studio.frames._live_source import LiveWindows
from a2i_studio.frames._live_types import LiveFrame, LiveRequest, LiveSummary
from a2i_studio.frames._recipe import LIVE_RECIPE_FORMAT
from a2i_studio.frames._stream import Frame, FrameStream
from a2i_studio.frames._writers import fit_frame, output_format

if TYPE_CHECKING:
    from a2i_studio.audio.live_input import LiveInput
    from a2i_studio.engine import Engine

__all__ = ["run_live"]

_POLL_SECONDS = 0.005  # how often to look for the first sound, and for a stop while waiting for a frame


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
        if not self.windows.samples:
            return 0
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

"""``a2i render``: a chain along a clip's timeline, written as a video with the sound in it.

:func:`render` builds a :class:`FrameStream` and a :class:`FileSource`, and
pulls frames through it into the writer one at a time: each frame is kept in
the frame cache as it is made, fitted to the output size and encoded, and the
sound follows right behind. Running the same render again after a cancel, a
crash or a full disk takes the frames the cache kept and makes only the rest.

Under ``accelerate launch`` (or ``torch.distributed.run``) every process runs
the same stream, paints only its share of the frames into the shared cache,
and the main process writes the file from the cache once all are done: the
same frames as one process makes, since smoothing and keyframes are computed
by every process over every frame before its share.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config
from a2i_studio.core import CancelToken, Progress, ProgressCallback
from a2i_studio.engine import DEFAULT_CHAIN, GenerationRequest, request_from_recipe
from a2i_studio.errors import Cancelled, ParamError, VideoError
from a2i_studio.files import atomic_write_json, is_disk_full
from a2i_studio.frames._cache import FrameCache
from a2i_studio.frames._recipe import LIVE_RECIPE_FORMAT, cache_key, sidecar_path
from a2i_studio.frames._settings import VIDEO_PARAMS, VideoSettings
from a2i_studio.frames._source import FileSource
from a2i_studio.frames._stream import Frame, FrameStream
from a2i_studio.frames._writers import AudioTrack, OutputFormat, fit_frame, output_format, write_video

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.engine import Engine

__all__ = ["RenderRequest", "RenderResult", "render", "request_from_video_recipe"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderRequest:
    """Everything that decides a video: same request, same frames.

    Attributes:
        audio: The clip whose sound drives the frames and goes into the video.
        out: ``.mp4``, ``.webm``, ``.gif``, or a folder name for a PNG sequence.
        chain: ``encoder>adapter*>generator``.
        settings: Frame rate, size, window, smoothing, keyframes, continuity, modulations.
        seed: The seed of every frame's random draw.
        start: Segment start in seconds (``None``: the clip's start).
        end: Segment end in seconds (``None``: the clip's end).
        params: Parameter values by component id, then by name.
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``None`` for the best available.
        dtype: ``float32``, ``float16``, ``bfloat16`` or ``None`` for the device's default.
        codec: The video codec (``h264``, ``hevc``, ``vp9``, ``vp8``); ``None`` for the container's default.
        keep_cache: Keep the frame cache after the video is written (it is deleted by default).
    """

    audio: Path
    out: Path
    chain: str = DEFAULT_CHAIN
    settings: VideoSettings = field(default_factory=VideoSettings)
    seed: int = 0
    start: float | None = None
    end: float | None = None
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    device: str | None = None
    dtype: str | None = None
    codec: str | None = None
    keep_cache: bool = False


@dataclass(frozen=True)
class RenderResult:
    """A finished video.

    Attributes:
        path: The file (or PNG folder) written; ``None`` in processes other than the main one.
        recipe: Its recipe, as in the sidecar.
        frames: How many frames it has.
        reused: How many came from the frame cache instead of the generator.
        frames_sha256: SHA-256 of the frames' RGB bytes as they went into the encoder.
        poster: The middle frame, for the gallery.
    """

    path: Path | None
    recipe: dict[str, Any]
    frames: int
    reused: int
    frames_sha256: str
    poster: Image | None


def render(
    engine: Engine,
    request: RenderRequest,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RenderResult:
    """Render ``request`` into ``request.out``; the sidecar recipe goes beside it.

    Raises:
        ParamError: For bad settings, an unknown container or codec, before any work.
        Cancelled: If cancelled; no partial file is left, and the frames made are kept for the next run.
        VideoError: If the disk fills up or the file cannot be written (frames made are kept).
        A2IError: For anything else the user can fix (bad audio, missing weights, ...).
    """
    # 1. Check everything, then set up the stream, its source, the recipe and the frame cache.
    fmt = output_format(request.out, request.codec)
    if fmt.kind == "png" and request.out.exists():
        raise ParamError(f"--out {request.out} exists; choose a new folder name for the PNG sequence.")
    settings = request.settings
    if fmt.even_size and (settings.width % 2 or settings.height % 2):
        raise ParamError(
            f"--size {settings.width}x{settings.height}: {fmt.codec} video needs even sides; use e.g. "
            f"{settings.width + settings.width % 2}x{settings.height + settings.height % 2}."
        )
    cancel = cancel or CancelToken()
    processes = _processes()
    if processes is not None and settings.continuity == "previous":
        raise ParamError(
            "--continuity previous makes each frame from the one before, so its frames cannot be split "
            "across processes; render it in one process."
        )
    device = request.device
    if processes is not None and device is None and processes.device.type == "cuda":
        device = str(processes.device)
    stream = FrameStream(
        engine, request.chain, request.settings, params=request.params, seed=request.seed, device=device,
        dtype=request.dtype, cancel=cancel,
    )
    source = FileSource(
        request.audio, stream.settings, stream.chain.encoder, stream.window_seconds, request.start, request.end
    )
    recipe = _recipe(engine, request, stream, source, fmt)
    cache = FrameCache(config.cache_dir() / "frames" / cache_key(recipe))
    stream.made = cache.get
    report = _Reporter(source.count, progress)
    # 2. Paint (this process's share of) the frames, keeping each in the cache; write the file.
    track = AudioTrack(request.audio, request.start, request.end)
    try:
        if processes is None:
            frames = _final_frames(_painted(stream, source, cache, report, None), stream.settings, recipe, fmt, report)
            write_video(request.out, fmt, frames, stream.settings.fps, track, lambda: recipe)
        else:
            with processes.split_between_processes(list(range(source.count))) as share:
                for _ in _painted(stream, source, cache, report, set(share)):
                    pass
            cache.flush()
            processes.wait_for_everyone()
            # The last collective: leave the group now, so no transport thread is left running at exit.
            processes.destroy_process_group()
            if not processes.is_main_process:
                return RenderResult(None, recipe, source.count, report.reused, "", None)
            cache.refresh()
            frames = _final_frames(_cached(cache, source.count), stream.settings, recipe, fmt, report)
            write_video(request.out, fmt, frames, stream.settings.fps, track, lambda: recipe)
    except Cancelled:
        _keep(cache)
        raise Cancelled(
            f"Cancelled; no video was written, and the {cache.saved} frames made so far are kept: "
            "render again with the same settings to go on from there."
        ) from None
    except OSError as error:
        _keep(cache)
        raise _write_error(request.out, error, cache.saved) from None
    finally:
        cache.close()
    # 3. The sidecar, then the cache is no longer needed.
    recipe["frames_sha256"] = report.digest.hexdigest()
    atomic_write_json(sidecar_path(request.out), recipe)
    if not request.keep_cache:
        cache.clear()
    return RenderResult(request.out, recipe, source.count, report.reused, recipe["frames_sha256"], report.poster)


def request_from_video_recipe(
    recipe: Mapping[str, Any],
    out: Path,
    *,
    audio: Path | None = None,
    device: str | None = None,
    source: str = "the video",
) -> RenderRequest:
    """The request that renders a video's recipe again into ``out`` (from its own audio unless ``audio`` is given).

    The checks are those of an image's re-run (:func:`~a2i_studio.engine.request_from_recipe`):
    the recipe's fields, and that the audio is still the sound the video was made from.

    Raises:
        GalleryError: If the recipe is of another format or damaged.
        VideoError: If it is the recipe of a recorded live session.
        A2IError: If the audio is gone or changed (``source`` names the video in the sentence).
        ParamError: If its settings are not valid here.
    """
    if recipe.get("format") == LIVE_RECIPE_FORMAT:
        raise VideoError(
            f"{source} is a recording of a live session: its frames depended on how fast the machine painted "
            "them, so it cannot be rendered again; render its sound with a2i render instead."
        )
    still = request_from_recipe(recipe, audio, source=source)
    video = recipe["video"]
    names = {param.name for param in VIDEO_PARAMS}
    settings = VideoSettings.from_values(
        {key: value for key, value in video.items() if key in names or key == "modulations"}
    )
    return RenderRequest(
        audio=still.audio, out=out, chain=still.chain, settings=settings, seed=still.seed,
        start=still.start, end=still.end, params=still.params, device=device or still.device, dtype=still.dtype,
        codec=video.get("codec"),
    )


class _Reporter:
    """Counts frames, hashes them, keeps the poster and reports progress with a preview."""

    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self.total, self.progress = total, progress
        self.done = self.reused = 0
        self.digest = hashlib.sha256()
        self.poster: Image | None = None

    def painted(self, frame: Frame) -> None:
        self.done += 1
        self.reused += frame.reused
        if self.progress is not None:
            stage = f"frame {frame.index + 1} of {self.total}" + (" (kept from before)" if frame.reused else "")
            self.progress(Progress(self.done, self.total, stage, frame.image))

    def written(self, index: int, image: Image) -> None:
        self.digest.update(image.tobytes())
        if index == self.total // 2:
            self.poster = image.copy()


def _painted(
    stream: FrameStream, source: FileSource, cache: FrameCache, report: _Reporter, share: set[int] | None
) -> Iterator[Frame]:
    """Frames in order as the stream makes them; only ``share`` is painted (``None``: all), each kept in the cache."""
    last = source.count - 1 if share is None else max(share, default=-1)
    windows = source.windows()
    try:
        for window in windows:
            for frame in stream.push(window, paint=share is None or window.index in share):
                yield from _keep_frame(frame, cache, report)
            if window.index >= last and not stream.waiting:
                return
        for frame in stream.finish():
            yield from _keep_frame(frame, cache, report)
    finally:
        windows.close()


def _keep_frame(frame: Frame, cache: FrameCache, report: _Reporter) -> Iterator[Frame]:
    if frame.image is None:
        return
    if not frame.reused:
        cache.put(frame.index, frame.image)
    report.painted(frame)
    yield frame


def _cached(cache: FrameCache, count: int) -> Iterator[Frame]:
    """The main process's frames after a distributed render: all from the cache."""
    for index in range(count):
        image = cache.get(index)
        if image is None:
            raise VideoError(
                f"Frame {index} is missing from the frame cache {cache.folder} after every process finished; "
                "a process failed: see its error, then render again to make the missing frames."
            )
        yield Frame(index, 0.0, image, False, {}, reused=True)


def _final_frames(
    frames: Iterator[Frame], settings: VideoSettings, recipe: dict[str, Any], fmt: OutputFormat, report: _Reporter
) -> Iterator[Image]:
    """Each frame at the output size (set by the first frame where the settings leave it open), hashed."""
    size: tuple[int, int] | None = None
    for frame in frames:
        assert frame.image is not None  # _painted yields painted frames only
        if size is None:
            width, height = settings.width or frame.image.width, settings.height or frame.image.height
            if fmt.even_size:  # the generator's own size, made even (an odd size asked for was refused earlier)
                width, height = width + width % 2, height + height % 2
            size = (width, height)
            recipe["video"]["width"], recipe["video"]["height"] = size
        image = fit_frame(frame.image, *size)
        report.written(frame.index, image)
        yield image


def _write_error(out: Path, error: OSError, kept: int) -> VideoError:
    if is_disk_full(error) or error.errno == errno.EFBIG:
        return VideoError(
            f"Could not write {out.name}: the disk is full (or takes no file this large); {kept} frames are "
            "kept: free some space or choose another --out, then render again to go on from there."
        )
    return VideoError(f"Could not write {out} ({error.strerror or error}); check the folder and its permissions.")


def _keep(cache: FrameCache) -> None:
    """Write the frames still waiting, so a later render finds them; a full disk may refuse them too.

    A refusal is only logged: the one error sentence the caller raises counts the frames
    that are on disk (:attr:`FrameCache.saved`), without those.
    """
    try:
        cache.flush()
    except OSError as error:
        log.info("could not keep the last frames in %s: %s", cache.folder, error)


def _recipe(
    engine: Engine, request: RenderRequest, stream: FrameStream, source: FileSource, fmt: OutputFormat
) -> dict[str, Any]:
    still = GenerationRequest(
        audio=request.audio, chain=request.chain, seed=request.seed, start=request.start, end=request.end,
        params=request.params, device=request.device, dtype=request.dtype,
    )
    recipe = engine.recipe(still)
    recipe["video"] = {
        **stream.settings.to_dict(),
        "window": stream.window_seconds,
        "frames": source.count,
        "duration": source.duration,
        "format": fmt.kind,
        "codec": fmt.codec,
    }
    return recipe


def _processes() -> Any:
    """accelerate's state when launched as several processes, else ``None`` (no torch import then)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    # Without CUDA, PartialState ignores WORLD_SIZE unless told to use the CPU.
    return PartialState(cpu=not torch.cuda.is_available())

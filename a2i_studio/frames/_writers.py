"""Writing frames as they come: MP4 (H.264) and WebM (VP9) with the sound muxed in, GIF, PNG sequences.

PyAV (FFmpeg) does the encoding; its PyPI wheels ship libx264, libvpx-vp9,
the native AAC encoder, libopus and the GIF encoder, which is everything
these formats need (:func:`output_format` says so in a sentence where a build
lacks one). Audio is read block by block and encoded right behind the
frames, so the file's packets interleave and memory stays flat; it comes from
a file (:class:`AudioTrack`), or, when live mode records, from the sound as it
is heard (any :class:`SoundTrack`). A writer
works on whatever path it is given; :func:`write_video` runs it through
:func:`a2i_studio.files.atomic_write`, so a failed or cancelled render leaves
no partial file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from a2i_studio import audio
from a2i_studio.errors import ParamError
from a2i_studio.files import atomic_write

if TYPE_CHECKING:
    from av.video.stream import VideoStream
    from PIL.Image import Image

__all__ = [
    "CONTAINERS",
    "RECIPE_TAG",
    "AudioTrack",
    "OutputFormat",
    "SoundTrack",
    "fit_frame",
    "output_format",
    "write_video",
]

RECIPE_TAG = "a2i-recipe"
"""The metadata key that holds the recipe in MP4 and WebM files."""

CONTAINERS: dict[str, dict[str, str]] = {
    "mp4": {"h264": "libx264", "hevc": "libx265"},
    "webm": {"vp9": "libvpx-vp9", "vp8": "libvpx"},
    "gif": {"gif": "gif"},
    "png": {"png": "png"},
}
"""Each output kind's codecs (as ``--codec`` names them), the first the default, and FFmpeg's encoder for each."""
_SUFFIXES = {".mp4": "mp4", ".webm": "webm", ".gif": "gif", "": "png"}
_AUDIO_ENCODERS = {"mp4": "aac", "webm": "libopus"}
_AUDIO_RATE = 48_000  # Opus takes nothing else; AAC is as happy with it
_ENCODER_OPTIONS = {"libvpx-vp9": {"cpu-used": "5", "row-mt": "1"}}  # libvpx's default speed is 3x slower for ~8% size


@dataclass(frozen=True)
class OutputFormat:
    """What a render writes: the kind of file, its video codec and the FFmpeg encoders.

    Attributes:
        kind: ``mp4``, ``webm``, ``gif`` or ``png`` (a folder of numbered PNGs).
        codec: The video codec, as ``--codec`` names it.
        encoder: FFmpeg's video encoder.
        audio_encoder: FFmpeg's audio encoder, or ``None`` where the sound goes beside (PNG) or nowhere (GIF).
    """

    kind: str
    codec: str
    encoder: str
    audio_encoder: str | None

    @property
    def even_size(self) -> bool:
        """Whether the frames' sides must be even (4:2:0 chroma halves them)."""
        return self.kind in ("mp4", "webm")


class SoundTrack(Protocol):
    """Sound for a video, handed out block by block."""

    @property
    def channels(self) -> int:
        """Its channels."""
        ...

    @property
    def sample_rate(self) -> int:
        """Its own sample rate."""
        ...

    def blocks(self, sample_rate: int, keep_channels: bool) -> Iterator[np.ndarray]:
        """The sound at ``sample_rate``: ``(frames, channels)`` blocks if ``keep_channels``, else mono ``(frames,)``."""
        ...


@dataclass(frozen=True)
class AudioTrack:
    """The sound to mux: ``start`` to ``end`` seconds of ``path``."""

    path: Path
    start: float | None
    end: float | None

    @property
    def channels(self) -> int:
        """The file's channels."""
        return audio.probe(self.path).channels

    @property
    def sample_rate(self) -> int:
        """The file's sample rate."""
        return audio.probe(self.path).sample_rate

    def blocks(self, sample_rate: int, keep_channels: bool) -> Iterator[np.ndarray]:
        """The segment decoded block by block (:func:`a2i_studio.audio.stream`)."""
        return audio.stream(
            self.path, start=self.start, end=self.end, sample_rate=sample_rate, keep_channels=keep_channels
        )


def output_format(out: Path, codec: str | None = None, option: str = "--out") -> OutputFormat:
    """The format ``--out`` asks for by its suffix (none: a PNG folder), with ``--codec`` or the default.

    Args:
        out: The file or folder to write.
        codec: The video codec, or ``None`` for the container's default.
        option: How messages name ``out`` (``--record`` for a live session).

    Raises:
        ParamError: For an unknown container or codec, or an encoder this PyAV build lacks.
    """
    kind = _SUFFIXES.get(out.suffix.lower())
    if kind is None:
        raise ParamError(
            f"{option} {out.name}: {out.suffix} is not a container a2i render writes; use .mp4, .webm, .gif, "
            "or a folder name without a suffix for a PNG sequence."
        )
    codecs = CONTAINERS[kind]
    codec = codec or next(iter(codecs))
    if codec not in codecs:
        raise ParamError(f"--codec {codec} does not go in a {kind} file; use {' or '.join(codecs)}.")
    import av

    for encoder in (codecs[codec], _AUDIO_ENCODERS.get(kind)):
        if encoder is None:
            continue
        try:
            av.codec.Codec(encoder, "w")
        except av.codec.codec.UnknownCodecError:
            raise ParamError(
                f"This PyAV build has no {encoder} encoder, which {kind} files need; install PyAV from PyPI "
                "(`pip install --force-reinstall av`, its wheels include it) or choose another --out suffix."
            ) from None
    return OutputFormat(kind, codec, codecs[codec], _AUDIO_ENCODERS.get(kind))


def fit_frame(image: Image, width: int, height: int) -> Image:
    """``image`` at ``width`` x ``height``: scaled (bicubic), and cropped about its centre if the shape differs."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    if image.size == (width, height):
        return image
    return ImageOps.fit(image, (width, height), PILImage.Resampling.BICUBIC)


def write_video(
    out: Path,
    fmt: OutputFormat,
    frames: Iterable[Image],
    fps: float,
    track: SoundTrack | None,
    recipe: Callable[[], dict[str, Any]],
) -> None:
    """Write ``frames`` (all one size) to ``out`` whole or not at all, with the sound of ``track``.

    Args:
        out: The file (or, for PNG, the folder) to write.
        fmt: From :func:`output_format`.
        frames: RGB frames in order; pulled one at a time, so they can be made as they are written.
        fps: Frames per second.
        track: The sound to mux (MP4, WebM) or write beside the frames (PNG, as ``audio.wav``).
        recipe: Called once the first frame is there; its result goes into the file's metadata.

    Raises:
        OSError: If the disk is full or the file cannot be written; nothing is left at ``out``.
    """
    if fmt.kind == "png":
        atomic_write(out, lambda temp: _write_pngs(temp, frames, track))
    else:
        atomic_write(out, lambda temp: _write_container(temp, fmt, frames, fps, track, recipe))


def _write_container(
    path: Path,
    fmt: OutputFormat,
    frames: Iterable[Image],
    fps: float,
    track: SoundTrack | None,
    recipe: Callable[[], dict[str, Any]],
) -> None:
    import av

    rate = Fraction(fps).limit_denominator(1001)
    iterator = iter(frames)
    first = next(iterator)
    muxer_options = {"movflags": "use_metadata_tags"} if fmt.kind == "mp4" else {}  # MP4 keeps custom keys only so
    with av.open(str(path), "w", format=fmt.kind, options=muxer_options) as container:
        if fmt.kind != "gif":
            container.metadata[RECIPE_TAG] = json.dumps(recipe(), sort_keys=True)
        encoder_options = _ENCODER_OPTIONS.get(fmt.encoder, {})
        video = cast("VideoStream", container.add_stream(fmt.encoder, rate=rate, options=encoder_options))
        video.width, video.height = first.size
        video.pix_fmt = "pal8" if fmt.kind == "gif" else "yuv420p"
        if fmt.kind == "gif":  # GIF delays are whole hundredths: place frames on that clock so the length stays exact
            video.time_base = video.codec_context.time_base = Fraction(1, 100)
        sound = _AudioMuxer(container, fmt.audio_encoder, track) if track and fmt.audio_encoder else None
        for index, image in enumerate(_chain(first, iterator)):
            frame = _to_gif_frame(image) if fmt.kind == "gif" else av.VideoFrame.from_ndarray(
                np.asarray(image), format="rgb24"
            )
            if fmt.kind == "gif":
                frame.pts, frame.time_base = round(index * 100 / rate), Fraction(1, 100)
            else:
                frame.pts, frame.time_base = index, 1 / rate
            for packet in video.encode(frame):
                container.mux(packet)
            if sound is not None:
                sound.until(float((index + 1) / rate))
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            sound.close()


class _AudioMuxer:
    """Encodes the track's sound into ``container`` a stretch at a time, right behind the video."""

    def __init__(self, container: Any, encoder: str, track: SoundTrack) -> None:
        self.keep = track.channels == 2
        layout = "stereo" if self.keep else "mono"
        self.stream = container.add_stream(encoder, rate=_AUDIO_RATE, layout=layout)
        self.container = container
        self.layout = layout
        self.blocks = track.blocks(_AUDIO_RATE, self.keep)
        self.written = 0

    def until(self, seconds: float) -> None:
        """Encode the sound up to ``seconds`` (or the end of the track)."""
        while self.written < seconds * _AUDIO_RATE:
            block = next(self.blocks, None)
            if block is None:
                return
            self._encode(block)

    def close(self) -> None:
        """Encode what is left and flush the encoder."""
        for block in self.blocks:
            self._encode(block)
        for packet in self.stream.encode():
            self.container.mux(packet)

    def _encode(self, block: np.ndarray) -> None:
        import av

        planar = np.ascontiguousarray(block.T if self.keep else block[None], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=self.layout)
        frame.sample_rate, frame.pts, frame.time_base = _AUDIO_RATE, self.written, Fraction(1, _AUDIO_RATE)
        self.written += planar.shape[1]
        for packet in self.stream.encode(frame):
            self.container.mux(packet)


def _to_gif_frame(image: Image) -> Any:
    """A palette frame for the GIF encoder: 256 colours of its own (fast octree, no dithering to flicker)."""
    import av
    from PIL import Image as PILImage

    quantised = image.quantize(256, method=PILImage.Quantize.FASTOCTREE, dither=PILImage.Dither.NONE)
    palette = np.zeros((256, 3), dtype=np.uint8)
    colours = np.asarray(quantised.getpalette() or [], dtype=np.uint8).reshape(-1, 3)[:256]
    palette[: len(colours)] = colours
    argb = np.concatenate([np.full((256, 1), 255, dtype=np.uint8), palette], axis=1)
    return av.VideoFrame.from_ndarray((np.asarray(quantised), argb), format="pal8")  # type: ignore[arg-type]


def _write_pngs(folder: Path, frames: Iterable[Image], track: SoundTrack | None) -> None:
    folder.mkdir()
    for index, image in enumerate(frames):
        image.save(folder / f"{index:06d}.png", format="PNG")
    if track is not None:
        import soundfile

        rate, channels = track.sample_rate, track.channels
        with soundfile.SoundFile(folder / "audio.wav", "w", rate, channels, subtype="FLOAT") as wav:
            for block in track.blocks(rate, keep_channels=True):
                wav.write(block)


def _chain(first: Image, rest: Iterator[Image]) -> Iterator[Image]:
    yield first
    yield from rest

"""Streaming readers: libsndfile first, FFmpeg (PyAV) for everything else.

Both readers hand out the same thing, float32 blocks of shape
``(frames, channels)`` starting at a chosen frame, so decoding a 2-hour file's
last minute, building its peaks or measuring its loudness never holds more
than one block of the file in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np
import soundfile

from a2i_studio.audio._checks import check_path, diagnose, header_shortfall
from a2i_studio.audio._clip import AudioInfo, format_seconds
from a2i_studio.audio._errors import NoAudioStream, TruncatedAudio

if TYPE_CHECKING:
    import av  # PyAV loads FFmpeg: imported only for files libsndfile cannot read

__all__ = ["BLOCK_FRAMES", "Reader", "open_reader"]

BLOCK_FRAMES = 1 << 16
"""Frames per block: 256 KiB per channel, large enough that Python overhead is noise."""

# A file that ends this much earlier than its header or container says is
# reported as truncated; less is within what encoders' padding explains.
_TRUNCATION_TOLERANCE_S = 0.1

# FFmpeg seeks land on a packet boundary and lossy decoders need some audio
# before the wanted position to settle (1024 samples for AAC, 80 ms for Opus).
_SEEK_PREROLL_S = 0.5

_SIZE_CHECKED_FORMATS = frozenset({"WAV", "WAVEX", "AIFF"})
_SF_ERR_MALFORMED_FILE = 3  # libsndfile knows the format but the file is broken

# File suffixes FFmpeg's demuxer names leave out, for a readable AudioInfo.format.
_FORMAT_ALIASES = {"mkv": "matroska", "mka": "matroska"}


class Reader(ABC):
    """An open audio file that yields blocks of float32 samples."""

    info: AudioInfo

    def blocks(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Yield the frames ``start`` to ``stop`` as ``(frames, channels)`` blocks.

        A block may be a view of a buffer the reader reuses: copy what you keep.

        Args:
            start: First frame.
            stop: Frame after the last one; ``None`` for the end of the file.

        Raises:
            TruncatedAudio: The file ends more than 0.1 s before ``stop``
                (or before the length its header or container announces).
        """
        stop = self.info.frames if stop is None else stop
        position = start
        for block in self._blocks_from(start):
            block = block[: stop - position]
            position += block.shape[0]
            if block.shape[0]:
                yield block
            if position >= stop:
                return
        if (stop - position) / self.info.sample_rate > _TRUNCATION_TOLERANCE_S:
            raise TruncatedAudio(
                f"{self.info.path.name} ends after {format_seconds(position / self.info.sample_rate)} although it"
                f" announces {format_seconds(self.info.duration)}, so it is cut short: copy or export it again."
            )

    @abstractmethod
    def _blocks_from(self, start: int) -> Iterator[np.ndarray]:
        """Yield blocks from frame ``start`` until the data ends."""

    @abstractmethod
    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_reader(path: Path) -> Reader:
    """Open ``path`` with libsndfile or, if it does not know the format, FFmpeg.

    Raises:
        AudioError: A subclass naming the file and what is wrong with it.
    """
    check_path(path)
    try:
        return _SoundfileReader(path)
    except soundfile.LibsndfileError as error:
        if error.code == _SF_ERR_MALFORMED_FILE:
            raise diagnose(path, error.error_string) from None
    import av

    try:
        return _PyAVReader(path)
    except av.FFmpegError as error:
        raise diagnose(path, str(error.strerror or error)) from None


# libsndfile converts integer PCM to float about ten times slower than numpy;
# reading the integers and scaling them gives the same float32 values
# (x / 2**15 and x / 2**31 are what libsndfile computes; 24-bit arrives as
# int32 shifted up by 8 bits).
_INTEGER_READS: dict[str, tuple[type[np.integer], float]] = {
    "PCM_16": (np.int16, 2.0**-15),
    "PCM_24": (np.int32, 2.0**-31),
    "PCM_32": (np.int32, 2.0**-31),
}


class _SoundfileReader(Reader):
    def __init__(self, path: Path) -> None:
        self._file = soundfile.SoundFile(path)
        self.info = AudioInfo(
            path=path,
            format=self._file.format,
            codec=self._file.subtype,
            sample_rate=self._file.samplerate,
            channels=self._file.channels,
            frames=self._file.frames,
            duration=self._file.frames / self._file.samplerate,
        )
        if self._file.format in _SIZE_CHECKED_FORMATS and (missing := header_shortfall(path)):
            self._file.close()
            raise TruncatedAudio(
                f"{path.name} is cut short ({missing:,} bytes of the size in its header are missing):"
                " copy or export it again."
            )

    def _blocks_from(self, start: int) -> Iterator[np.ndarray]:
        self._file.seek(start)
        integer_type, scale = _INTEGER_READS.get(self.info.codec, (None, 1.0))
        floats = np.empty((BLOCK_FRAMES, self.info.channels), dtype=np.float32)
        raw = floats if integer_type is None else np.empty_like(floats, dtype=integer_type)
        while True:
            try:
                block = self._file.read(out=raw)
            except soundfile.LibsndfileError as error:
                raise diagnose(self.info.path, error.error_string) from None
            if block.shape[0] == 0:
                return
            if integer_type is None:
                yield block
            else:
                yield np.multiply(block, scale, out=floats[: block.shape[0]])

    def close(self) -> None:
        self._file.close()


class _PyAVReader(Reader):
    def __init__(self, path: Path) -> None:
        import av

        self._container = av.open(str(path))
        if not self._container.streams.audio:
            self._container.close()
            raise NoAudioStream(
                f"{path.name} has no audio track: choose a file with sound, or export the sound from your video editor."
            )
        self._stream = self._container.streams.audio[0]
        rate = self._stream.rate
        if self._stream.duration is not None and self._stream.time_base is not None:
            duration = float(self._stream.duration * self._stream.time_base)
        else:
            duration = (self._container.duration or 0) / av.time_base
        frames = round(duration * rate)
        names = self._container.format.name.split(",")
        suffix = path.suffix.lower().lstrip(".")
        known = suffix in names or _FORMAT_ALIASES.get(suffix) in names
        self.info = AudioInfo(
            path=path,
            format=(suffix if known else names[0]).upper(),
            codec=self._stream.codec_context.codec.long_name.split(" (")[0],
            sample_rate=rate,
            channels=self._stream.codec_context.channels,
            frames=frames,
            duration=frames / rate,
        )

    def _blocks_from(self, start: int) -> Iterator[np.ndarray]:
        import av

        stream = self._stream
        time_base = stream.time_base
        assert time_base is not None  # every demuxed stream has one
        origin = stream.start_time or 0
        rate = self.info.sample_rate
        seek_seconds = start / rate - _SEEK_PREROLL_S
        if seek_seconds > 0:
            self._container.seek(origin + int(seek_seconds / time_base), stream=stream, backward=True)
        # Timestamps place the first decoded frame; later frames follow it
        # sample by sample, since Matroska timestamps are only 1 ms precise.
        position: int | None = 0 if seek_seconds <= 0 else None
        try:
            for frame in self._container.decode(stream):
                if position is None:
                    position = round(float((frame.pts - origin) * time_base) * rate) if frame.pts is not None else 0
                block = _frame_to_array(frame)
                skip = start - position
                position += block.shape[0]
                if skip < block.shape[0]:
                    yield block[max(skip, 0) :]
        except av.FFmpegError as error:
            raise diagnose(self.info.path, str(error.strerror or error)) from None

    def close(self) -> None:
        self._container.close()


def _frame_to_array(frame: av.AudioFrame) -> np.ndarray:
    """Samples of one decoded frame as float32 ``(frames, channels)``."""
    data = frame.to_ndarray()
    channels = frame.layout.nb_channels
    samples = data.T if frame.format.is_planar else data.reshape(-1, channels)
    if samples.dtype.kind == "f":
        return samples.astype(np.float32, copy=False)
    if samples.dtype.kind == "u":  # 8-bit PCM is unsigned around 128
        return (samples.astype(np.float32) - 128.0) / 128.0
    full_scale = float(-np.iinfo(samples.dtype.type).min)  # type: ignore[type-var]  # dtype.kind is "i" here
    return samples.astype(np.float32) / full_scale

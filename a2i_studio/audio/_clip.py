"""The values the audio layer hands to the rest of the app."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from a2i_studio.audio._checks import check_path
from a2i_studio.audio._errors import AudioTooLong
from a2i_studio.files import sha256_file

__all__ = ["MAX_FILE_BYTES", "MAX_SECONDS", "AudioInfo", "Clip", "file_sha256", "pad_to"]

MAX_SECONDS = 3 * 3600.0
"""The longest part of a file :func:`~a2i_studio.audio.load` decodes unless told otherwise: 3 hours."""

MAX_FILE_BYTES = int(MAX_SECONDS) * 192_000 * 8 * 4
"""The largest audio file a2i-studio hashes: 3 hours of 8-channel 192 kHz 32-bit PCM (66 GB).

Every format it reads fits 3 hours of sound below this size (so does a
3-hour film at 40 Mbit/s), so only something that is not a sound file is
refused; the cap is checked while reading as well, so a file that keeps
growing cannot keep a re-run hashing forever.
"""


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`~a2i_studio.audio.probe` learns without decoding the samples.

    Attributes:
        path: The file.
        format: Container, upper case: ``"WAV"``, ``"FLAC"``, ``"OGG"``, ``"MP3"``,
            ``"M4A"``, ``"MP4"``, ``"WEBM"``, ...
        codec: Sample encoding: libsndfile's subtype (``"PCM_16"``, ``"ULAW"``,
            ``"VORBIS"``) or FFmpeg's codec name (``"AAC"``, ``"Opus"``).
        sample_rate: Samples per second per channel.
        channels: Number of channels.
        frames: Samples per channel. Exact for files libsndfile reads; for
            files read through FFmpeg it comes from the container's duration
            and may be off by an encoder's padding (a few ms).
        duration: ``frames / sample_rate`` in seconds.
    """

    path: Path
    format: str
    codec: str
    sample_rate: int
    channels: int
    frames: int
    duration: float


@dataclass
class Clip:
    """Decoded audio, as float32 in [-1, 1].

    Attributes:
        samples: Shape ``(frames,)`` for mono, ``(channels, frames)`` when
            loaded with ``keep_channels=True``.
        sample_rate: Samples per second of ``samples`` (after any resampling).
        path: The source file, or ``None`` for a recording.
        start: Where ``samples`` begin in the source file, in seconds.
        warnings: Sentences to show next to the result, e.g. that the clip
            is silent or was padded.
    """

    samples: np.ndarray
    sample_rate: int
    path: Path | None
    start: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Length of ``samples`` in seconds."""
        return self.samples.shape[-1] / self.sample_rate


def pad_to(clip: Clip, seconds: float) -> Clip:
    """Zero-pad a clip at the end to at least ``seconds`` and say so.

    Encoders need a minimum length (VGGish 0.975 s, for instance); a shorter
    clip still works once padded with silence, and the added warning tells the
    user why the result may look emptier.

    Args:
        clip: The clip to lengthen. It is not modified.
        seconds: Minimum duration the result must have.

    Returns:
        ``clip`` itself when it is long enough, else a padded copy whose
        ``warnings`` end with e.g. ``"rain.wav was padded with silence from
        0.4 s to 0.96 s, the shortest length this model accepts."``.
    """
    # Rounding first keeps 0.96 s at 16 kHz at 15360 frames despite 0.96 * 16000 = 15360.000000000002.
    target = math.ceil(round(seconds * clip.sample_rate, 6))
    missing = target - clip.samples.shape[-1]
    if missing <= 0:
        return clip
    widths = [(0, 0)] * (clip.samples.ndim - 1) + [(0, missing)]
    padded = np.pad(clip.samples, widths)
    name = clip.path.name if clip.path is not None else "The recording"
    note = (
        f"{name} was padded with silence from {format_seconds(clip.duration)} to"
        f" {format_seconds(target / clip.sample_rate)}, the shortest length this model accepts."
    )
    return replace(clip, samples=padded, warnings=[*clip.warnings, note])


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in chunks so any size fits in memory.

    Args:
        path: The file to hash.

    Returns:
        The lowercase hex digest.

    Raises:
        AudioError: The path is missing, a folder, not a regular file, unreadable or empty.
        AudioTooLong: The file is larger than :data:`MAX_FILE_BYTES`.
    """
    path = Path(path)
    check_path(path)
    try:
        return sha256_file(path, max_bytes=MAX_FILE_BYTES)
    except ValueError:
        raise AudioTooLong(
            f"{path.name} is larger than {MAX_FILE_BYTES / 1e9:.0f} GB, more than any sound a2i-studio reads:"
            " choose the sound file itself or a shorter export."
        ) from None


def format_seconds(seconds: float) -> str:
    """``12.0 s``, ``9.625 s``: up to millisecond precision, no trailing zeros past one decimal."""
    text = f"{seconds:.3f}".rstrip("0")
    return f"{text}0 s" if text.endswith(".") else f"{text} s"

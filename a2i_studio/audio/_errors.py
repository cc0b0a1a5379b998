"""The ways an audio file can be unusable, one class each.

Every class is an :class:`~a2i_studio.errors.AudioError`, so callers that only
want "show the sentence" catch that; callers that react differently (the GUI
offering to pick a segment when a file is too long, say) catch the subclass.
Messages are built where the error is raised because only that code knows the
file name, the numbers and what the user should do next.
"""

from __future__ import annotations

from a2i_studio.errors import AudioError

__all__ = [
    "AudioFileNotFound",
    "AudioIsDirectory",
    "AudioNotAFile",
    "AudioPermissionDenied",
    "AudioRangeError",
    "AudioTooLong",
    "EmptyAudio",
    "InvalidSamples",
    "NoAudioDevice",
    "NoAudioStream",
    "NotAudio",
    "TextNotAudio",
    "TruncatedAudio",
]


class AudioFileNotFound(AudioError):
    """The path does not exist."""


class AudioIsDirectory(AudioError):
    """The path is a folder (for example a folder named ``x.wav``)."""


class AudioNotAFile(AudioError):
    """The path is a FIFO, a socket, a device or a symbolic link that loops: reading it would block or never end."""


class AudioPermissionDenied(AudioError):
    """The file exists but this user may not read it."""


class EmptyAudio(AudioError):
    """The file has 0 bytes, or a valid header and no samples."""


class TruncatedAudio(AudioError):
    """The file is a known audio format but is cut short or damaged."""


class NotAudio(AudioError):
    """Neither libsndfile nor FFmpeg recognises the bytes as audio."""


class TextNotAudio(NotAudio):
    """The file holds text (a renamed note, playlist or web page), not audio."""


class NoAudioStream(AudioError):
    """A media file (usually a video) that has no audio track."""


class InvalidSamples(AudioError):
    """The decoded samples contain NaN or infinity."""


class AudioTooLong(AudioError):
    """The part of the file to load is longer than the configured limit."""


class AudioRangeError(AudioError):
    """A start/end time or channel number lies outside the file."""


class NoAudioDevice(AudioError):
    """No microphone or speaker is usable (no device, or no PortAudio library)."""

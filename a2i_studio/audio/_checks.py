"""Checks that turn a bad path or bad bytes into one clear sentence.

:func:`check_path` runs before any decoder sees the file, so that a folder, a
missing file or an empty file is reported as such instead of as a decoder's
"format not recognised", and so that a FIFO, a device, a socket or a symbolic
link loop is refused before anything opens it (reading a FIFO blocks forever,
``/dev/zero`` never ends). :func:`diagnose` runs after every decoder has refused
the file and guesses from its first bytes why: a known container that is
damaged, a text file with an audio extension, or bytes that are no audio at all.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

from a2i_studio.audio._errors import (
    AudioFileNotFound,
    AudioIsDirectory,
    AudioNotAFile,
    AudioPermissionDenied,
    EmptyAudio,
    NotAudio,
    TextNotAudio,
    TruncatedAudio,
)
from a2i_studio.errors import AudioError
from a2i_studio.files import regular_file_problem

_HEAD_BYTES = 4096

# Leading bytes of the containers a2i-studio decodes, for telling a damaged
# file from one that was never audio.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "WAV"),
    (0, b"RF64", "WAV"),
    (0, b"FORM", "AIFF"),
    (0, b"fLaC", "FLAC"),
    (0, b"OggS", "Ogg"),
    (0, b"ID3", "MP3"),
    (0, b"\x1aE\xdf\xa3", "Matroska/WebM"),
    (4, b"ftyp", "MP4/M4A/MOV"),
    (4, b"moov", "MOV"),
    (4, b"mdat", "MOV"),
)


def check_path(path: Path) -> None:
    """Refuse paths that are not a readable, non-empty regular file.

    Args:
        path: The file the user chose.

    Raises:
        AudioFileNotFound: ``path`` does not exist.
        AudioIsDirectory: ``path`` is a folder.
        AudioNotAFile: ``path`` is a FIFO, socket, device or symbolic link loop (checked without opening it).
        AudioPermissionDenied: the file cannot be opened for reading.
        EmptyAudio: the file has 0 bytes.
    """
    name = path.name
    if not path.exists() and not path.is_symlink():
        raise AudioFileNotFound(f"{name} does not exist: check the path {path.absolute()}.")
    if path.is_dir():
        raise AudioIsDirectory(f"{name} is a folder, not an audio file: choose a sound file inside it.")
    problem = regular_file_problem(path)
    if problem is not None:
        raise AudioNotAFile(f"{name} {problem}: choose a regular audio file.")
    try:
        with path.open("rb") as handle:
            first_byte = handle.read(1)
    except FileNotFoundError:
        raise AudioFileNotFound(f"{name} does not exist: check the path {path.absolute()}.") from None
    except PermissionError:
        raise AudioPermissionDenied(
            f"{name} cannot be read (permission denied): change its permissions or copy it somewhere readable."
        ) from None
    if not first_byte:
        raise EmptyAudio(f"{name} is empty (0 bytes): record or export the sound again.")


def header_shortfall(path: Path) -> int:
    """Bytes missing from a WAV or AIFF file according to its own header.

    libsndfile quietly shortens a WAV or AIFF file whose data ends early, so a
    copy that stopped half way would otherwise load as a shorter sound. The
    RIFF/FORM size field says how long the file should be; a streaming writer
    that never went back to fill it in leaves 0 or 0xFFFFFFFF, which we skip.

    Args:
        path: A file that libsndfile opened as WAV or AIFF.

    Returns:
        How many bytes shorter the file is than its header says (0 if complete).
    """
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[:4] == b"RIFF":
        (declared,) = struct.unpack("<I", head[4:8])
    elif head[:4] == b"FORM":
        (declared,) = struct.unpack(">I", head[4:8])
    else:
        return 0
    if declared in (0, 0xFFFFFFFF):
        return 0
    # One byte of slack: some writers leave out the pad byte of an odd-sized last chunk.
    missing = declared + 8 - path.stat().st_size
    return missing if missing > 1 else 0


def diagnose(path: Path, decoder_message: str) -> AudioError:
    """Explain why no decoder could open ``path``.

    Args:
        path: A regular, non-empty file that both decoders refused.
        decoder_message: The last decoder's own words, quoted for damaged files.

    Returns:
        The error to raise: :class:`TruncatedAudio` for a known container that
        is damaged, :class:`TextNotAudio` for text, :class:`NotAudio` otherwise.
    """
    name = path.name
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return TruncatedAudio(
                f"{name} begins like {kind} audio but cannot be decoded ({decoder_message.rstrip('.')}),"
                " so it is probably cut short or damaged: copy or export it again."
            )
    if _looks_like_text(head):
        return TextNotAudio(f"{name} contains text, not audio: choose the sound file itself.")
    return NotAudio(
        f"{name} is not an audio or video file that a2i-studio can read: convert it to WAV or FLAC and try again."
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        # An incremental decoder tolerates a multi-byte character cut at the end of the head.
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\t\n\r\f" for char in text)

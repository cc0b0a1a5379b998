"""Files written whole or not at all, and files read safely.

One mechanism for every part of the app and for plugins: :func:`atomic_write`
writes to a temporary file in the target's folder, flushes it to disk and
renames it into place, so a crash, a kill or a full disk never leaves a
half-written file under the real name. Temporary names carry the host and
process id of their writer, so :func:`is_stale_temp` can tell a file another
live process is still writing from one a dead process left behind.

:func:`sha256_file` hashes in chunks with an optional size cap, and
:func:`regular_file_problem` refuses FIFOs, devices, sockets and symlink loops
before anything reads them (reading a FIFO blocks forever; ``/dev/zero`` never
ends).

This module imports nothing from the package but :mod:`a2i_studio.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import socket
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "MEDIA_SUFFIXES",
    "TEMP_MARKER",
    "atomic_write",
    "atomic_write_json",
    "expand_paths",
    "format_size",
    "is_disk_full",
    "is_stale_temp",
    "regular_file_problem",
    "remove_stale_temps",
    "sha256_file",
    "temp_path",
]

TEMP_MARKER = ".a2i-tmp-"
"""Every temporary file or folder name contains this, followed by ``host-pid-random``."""

MEDIA_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".m4a", ".aac", ".wma"}
    | {".webm", ".mp4", ".mov", ".mkv", ".avi", ".m4v"}
)
"""Audio and video files taken from a folder (the app's library, ``a2i batch``); single files are always tried."""

_HOST = socket.gethostname().replace("-", "_") or "host"
_CHUNK = 1 << 20


def temp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` that names this host and process (hidden, never globbed as ``*.png``)."""
    return path.with_name(f".{path.name}{TEMP_MARKER}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}")


def atomic_write(path: Path, data: bytes | str | Callable[[Path], object], *, encoding: str = "utf-8") -> None:
    """Write ``path`` whole or not at all.

    Args:
        path: The file to write; its folder is created if needed.
        data: Bytes, text, or a function that writes a file at the path it is given
            (``lambda temp: torch.save(state, temp)``); for a folder-writing function
            the temporary folder is renamed into place the same way.
        encoding: Used when ``data`` is text.

    Raises:
        OSError: As raised by the write (``errno.ENOSPC`` when the disk is full); the
            temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    try:
        if callable(data):
            data(temp)
        else:
            with temp.open("wb") as handle:
                handle.write(data.encode(encoding) if isinstance(data, str) else data)
                handle.flush()
                os.fsync(handle.fileno())
        if temp.is_file():
            _fsync_file(temp)
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        raise
    _fsync_folder(path.parent)


def atomic_write_json(path: Path, value: Mapping[str, Any] | list[Any]) -> None:
    """Write ``value`` as indented, key-sorted JSON with :func:`atomic_write`."""
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the media files inside them (recursively, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES and p.is_file()))
        else:
            files.append(path)
    return files


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the disk (or the user's quota) is full, whoever raised it.

    torch and SQLite report a full disk in their own words; this looks at the
    errno and at those messages.
    """
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error).lower()
    return any(words in text for words in ("no space left", "disk is full", "database or disk is full"))


def is_stale_temp(path: Path, max_age: float = 3600.0) -> bool:
    """Whether a temporary file (see :func:`temp_path`) was left behind by a writer that is gone.

    A temp file is stale when its writer ran on this host and that process no
    longer exists, or, whoever wrote it, when it is older than ``max_age``
    seconds. Files without the marker are never stale: they are not ours.
    """
    name = path.name
    if TEMP_MARKER not in name:
        return False
    host, _, rest = name.rpartition(TEMP_MARKER)[2].partition("-")
    pid_text = rest.partition("-")[0]
    try:
        age = time.time() - path.lstat().st_mtime
    except OSError:
        return False
    if age > max_age:
        return True
    if host == _HOST and pid_text.isdigit():
        return not _process_exists(int(pid_text))
    return False


def remove_stale_temps(folder: Path, pattern: str = "*", max_age: float = 3600.0) -> list[Path]:
    """Remove stale temporary files and folders matching ``pattern`` under ``folder``; returns them."""
    removed = []
    for temp in folder.glob(f"{pattern}{TEMP_MARKER}*"):
        if is_stale_temp(temp, max_age):
            _remove(temp)
            removed.append(temp)
    return removed


def regular_file_problem(path: Path, *, folder_ok: bool = False) -> str | None:
    """Why ``path`` cannot be read as an ordinary file, or ``None`` if it can.

    Checks without opening the file: a missing path, a symlink loop, a folder,
    a FIFO, a socket or a device gives a short phrase ("is a FIFO (named pipe)")
    for the caller's sentence.

    Args:
        path: The path to check.
        folder_ok: Accept a folder too (for settings that take a file or a folder).
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symbolic link that loops back on itself"
        return f"cannot be read ({error.strerror})"
    if stat.S_ISREG(mode) or (folder_ok and stat.S_ISDIR(mode)):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


def sha256_file(path: Path, *, max_bytes: int | None = None) -> str:
    """SHA-256 of a regular file's bytes, read in 1 MiB chunks.

    Args:
        path: The file.
        max_bytes: Refuse files larger than this (checked before and while reading).

    Raises:
        ValueError: ``path`` is not a regular file, or is larger than ``max_bytes``;
            the message is a phrase naming the file.
        OSError: The file cannot be read.
    """
    problem = regular_file_problem(path)
    if problem is not None:
        raise ValueError(f"{path} {problem}")
    digest = hashlib.sha256()
    read = 0
    with path.open("rb") as handle:
        if max_bytes is not None and os.fstat(handle.fileno()).st_size > max_bytes:
            raise ValueError(f"{path} is larger than {max_bytes:,} bytes")
        while chunk := handle.read(_CHUNK):
            read += len(chunk)
            if max_bytes is not None and read > max_bytes:
                raise ValueError(f"{path} is larger than {max_bytes:,} bytes")
            digest.update(chunk)
    return digest.hexdigest()


def format_size(size: int | None) -> str:
    """``4.3 GB``, ``340.0 MB``, ``12.0 kB`` or ``512 B`` (decimal units, as disks are sold); ``?`` when unknown."""
    if size is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(size) >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return True
    return True


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError), path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()

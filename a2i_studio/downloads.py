"""Fetching files: over HTTP with Range resume, a checksum and cancel; a Hugging Face repository's file list.

The weights manager (:func:`a2i_studio.weights.download`) decides what to fetch
and where; this module moves the bytes. Every file is written to ``NAME.part``
and renamed into place once whole and checked, so a cut connection, a cancel or
a crash leaves a ``.part`` that the next call continues with an HTTP Range
request. Progress reports count bytes over all files of a call, with the speed
in the stage text; a :class:`~a2i_studio.core.CancelToken` is checked between
chunks. Files of a Hugging Face repository are listed with their sizes and
checksums (sha256 for large files, the git blob id for small ones) through
``huggingface_hub``, and fetched from its ``resolve`` URLs with the token it
stores (``hf auth login``, or the model manager's token field).

Imports only core, files and errors (and ``huggingface_hub`` when a repository is listed).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from urllib.parse import quote

from a2i_studio.core import CancelToken, Progress, ProgressCallback
from a2i_studio.errors import A2IError, CheckpointError, WeightsMissing
from a2i_studio.files import format_size, is_disk_full, sha256_file

__all__ = [
    "FREE_SPACE_MARGIN",
    "RemoteFile",
    "check_free_space",
    "fetch",
    "hub_files",
    "hub_headers",
    "hub_login",
    "hub_token_file",
    "remaining_bytes",
]

FREE_SPACE_MARGIN = 256 * 1024 * 1024
"""Room left free on the disk after a download (the system and the gallery need some)."""

_CHUNK = 1 << 16
_ATTEMPTS = 3
_SPEED_WINDOW = 3.0  # seconds of history behind the speed shown
_REPORT_EVERY = 0.1  # seconds between progress reports


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch.

    Attributes:
        url: Where it is.
        path: Where it goes, relative to the target folder (may contain ``/``).
        size: Its exact size in bytes, if known (a repository lists it); ``None`` lets the server's
            Content-Length decide when it is whole.
        sha256: Its sha256, or a prefix of at least 8 hex digits (torch.hub file names carry one).
        git_blob: Its git blob id (sha1 of ``blob SIZE\\0`` + the bytes): how a repository names small files.
    """

    url: str
    path: str
    size: int | None = None
    sha256: str | None = None
    git_blob: str | None = None


def hub_headers() -> dict[str, str]:
    """HTTP headers for huggingface.co: the user agent, and the stored token when there is one."""
    from huggingface_hub.utils import build_hf_headers

    return build_hf_headers(library_name="a2i-studio")


def hub_login(token: str) -> str:
    """Check ``token`` with huggingface.co and store it where ``huggingface_hub`` keeps it; returns the user name.

    Later downloads (ours, ``hf download``, diffusers) use the stored token, so gated models whose terms
    the user accepted on huggingface.co can be fetched.

    Raises:
        A2IError: If the token is empty or refused, or the hub cannot be reached.
    """
    import huggingface_hub
    from huggingface_hub import errors as hub

    token = token.strip()
    if not token:
        raise A2IError("The Hugging Face token is empty; copy one from https://huggingface.co/settings/tokens.")
    try:
        huggingface_hub.login(token=token, add_to_git_credential=False)
        name: str = huggingface_hub.whoami(token=token)["name"]
    except hub.HfHubHTTPError:
        raise A2IError(
            "huggingface.co refused that token; copy a valid one from https://huggingface.co/settings/tokens."
        ) from None
    except hub.HTTPError as error:
        raise A2IError(f"Could not reach huggingface.co to check the token ({error}); check the connection.") from None
    except ValueError as error:  # an organisation token, which cannot log in
        raise A2IError(f"That token cannot log in: {error}") from None
    return name


def hub_token_file() -> Path | None:
    """The file holding the stored Hugging Face token, or ``None`` when none is stored."""
    from huggingface_hub import constants

    path = Path(constants.HF_TOKEN_PATH)
    return path if path.is_file() and path.read_text(encoding="utf-8").strip() else None


def hub_files(repo: str, revision: str | None, patterns: Sequence[str], name: str) -> list[RemoteFile]:
    """The files of Hugging Face model ``repo`` that match ``patterns`` (globs, as ``allow_patterns``).

    Args:
        repo: The repository id.
        revision: Branch, tag or commit; ``None`` for ``main``.
        patterns: Which files.
        name: What the user asked for, named in errors (``sd15``).

    Raises:
        WeightsMissing: If the repository has no file matching a pattern.
        A2IError: If the hub cannot be reached, or refuses (a private or gated repository without access).
    """
    import huggingface_hub

    api = huggingface_hub.HfApi()  # its endpoint honours HF_ENDPOINT
    try:
        info = api.model_info(repo, revision=revision, files_metadata=True)
    except Exception as error:
        message = _hub_error_message(name, repo, revision, error)
        if message is None:
            raise
        raise A2IError(message) from None
    siblings = info.siblings or []
    commit = info.sha or revision or "main"  # every file from the same commit, even if the branch moves meanwhile
    files = []
    for sibling in siblings:
        if not any(fnmatch.fnmatch(sibling.rfilename, pattern) for pattern in patterns):
            continue
        lfs = sibling.lfs
        files.append(
            RemoteFile(
                url=f"{api.endpoint}/{repo}/resolve/{quote(commit, safe='')}/{quote(sibling.rfilename)}",
                path=sibling.rfilename,
                size=lfs.size if lfs is not None else sibling.size,
                sha256=lfs.sha256 if lfs is not None else None,
                git_blob=None if lfs is not None else sibling.blob_id,
            )
        )
    unmatched = [pattern for pattern in patterns if not any(fnmatch.fnmatch(f.path, pattern) for f in files)]
    if unmatched:
        raise WeightsMissing(f"{repo} on huggingface.co has no file matching {unmatched[0]!r}, which {name} needs.")
    return files


def _hub_error_message(name: str, repo: str, revision: str | None, error: Exception) -> str | None:
    """One sentence for an error ``huggingface_hub`` raised while listing ``repo``; ``None`` for a bug.

    Offline (``HF_HUB_OFFLINE=1``) the client refuses at once; without a connection its transport
    raises; refusals by the server arrive as ``HfHubHTTPError`` subclasses, mapped from the status
    and the ``X-Error-Code`` header.
    """
    from huggingface_hub import errors as hub

    again = f"then run 'a2i models download {name}' again"
    if isinstance(error, hub.OfflineModeIsEnabled) or (
        isinstance(error, hub.HTTPError) and not isinstance(error, hub.HfHubHTTPError)
    ):
        return (
            f"Could not reach huggingface.co to download {name} ({repo}), and it is not in the Hugging Face "
            f"cache; connect to the internet (and unset HF_HUB_OFFLINE if it is set), {again}."
        )
    if isinstance(error, hub.GatedRepoError):
        return (
            f"{repo} is a gated model: accept its licence at https://huggingface.co/{repo} and log in with "
            f"'hf auth login' or a token in Tools > Models, {again}."
        )
    if isinstance(error, hub.RepositoryNotFoundError):
        return (
            f"huggingface.co has no repository {repo} that you can see; if it is private or gated, log in with "
            f"'hf auth login' or a token in Tools > Models, {again}."
        )
    if isinstance(error, (hub.RevisionNotFoundError, hub.RemoteEntryNotFoundError)):
        return f"{repo} on huggingface.co has no {revision or 'main'} revision with the files {name} needs."
    if isinstance(error, hub.HfHubHTTPError):
        status = error.response.status_code
        if status in (401, 403):
            return (
                f"huggingface.co refused the download of {name} ({repo}) with {status}: log in with "
                f"'hf auth login' as a user with access, {again}."
            )
        return f"huggingface.co answered {status} to the download of {name} ({repo}); try again later."
    return None


def check_free_space(folder: Path, needed: int, name: str) -> None:
    """Make sure ``needed`` bytes (and :data:`FREE_SPACE_MARGIN`) fit on ``folder``'s disk.

    Raises:
        A2IError: Naming what needs how much, and how much is free.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if needed + FREE_SPACE_MARGIN > free:
        raise A2IError(
            f"{name} needs {format_size(needed)} more on the disk of {folder}, but only {format_size(free)} is free; "
            "free some space or choose another models folder in Settings (A2I_MODELS_DIR)."
        )


def remaining_bytes(files: Sequence[RemoteFile], folder: Path) -> int:
    """How many bytes of ``files`` are still to fetch into ``folder`` (what ``.part`` files hold counts as done)."""
    return sum(max((file.size or 0) - _done(folder / file.path), 0) for file in files)


def fetch(
    files: Sequence[RemoteFile],
    folder: Path,
    name: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Fetch ``files`` into ``folder``, resuming ``.part`` files and skipping files already there.

    Args:
        files: What to fetch.
        folder: Where their relative paths start.
        name: What the user asked for, named in reports and errors (``sd15``).
        progress: Called with bytes done of all files, the stage naming the file and the speed.
        cancel: Checked between chunks; a cancelled download keeps its ``.part`` files.
        headers: Extra request headers (the hub's token).

    Raises:
        Cancelled: If cancelled.
        WeightsMissing: If the server has no such file (HTTP 404).
        CheckpointError: If a file has the wrong checksum (it is deleted).
        A2IError: If the server refuses (401/403), the connection keeps failing, or the disk is full.
    """
    total = sum(file.size or 0 for file in files)
    meter = _Meter(name, total - remaining_bytes(files, folder), total, progress)
    for file in files:
        target = folder / file.path
        if target.is_file() and (file.size is None or target.stat().st_size == file.size):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            _fetch_file(file, part, name, meter, cancel or CancelToken(), dict(headers or {}))
        except OSError as error:
            if is_disk_full(error):
                raise A2IError(
                    f"The disk of {folder} is full: {name} stopped at {format_size(meter.done)}; free some space, "
                    "then download it again to resume."
                ) from None
            raise
        _verify(file, part, name)
        os.replace(part, target)
    meter.report(force=True)


def _done(path: Path) -> int:
    part = path.with_name(path.name + ".part")
    if path.is_file():
        return path.stat().st_size
    return part.stat().st_size if part.is_file() else 0


def _fetch_file(
    file: RemoteFile, part: Path, name: str, meter: _Meter, cancel: CancelToken, headers: dict[str, str]
) -> None:
    for attempt in range(1, _ATTEMPTS + 1):
        cancel.raise_if_cancelled()
        try:
            _request_into(file, part, meter, cancel, headers)
            return
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise A2IError(
                    f"{file.url} refused the download of {name} (HTTP {error.code}): it is a gated or private model; "
                    "accept its terms on its huggingface.co page, enter a Hugging Face token in Tools > Models "
                    "(or run 'hf auth login'), then download it again."
                ) from None
            raise WeightsMissing(
                f"Downloading {name} from {file.url} failed with HTTP {error.code} {error.reason}; "
                f"check the address, or place the file at {part.with_suffix('')} yourself."
            ) from None
        except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError) as error:
            if attempt == _ATTEMPTS:
                done = part.stat().st_size if part.exists() else 0
                raise A2IError(
                    f"Downloading {name} from {file.url} stopped at {done} bytes ({error}); download it again "
                    f"('a2i models download {name}' or the model manager) to resume."
                ) from None


def _request_into(
    file: RemoteFile, part: Path, meter: _Meter, cancel: CancelToken, headers: dict[str, str]
) -> None:
    """One HTTP request, continuing ``part`` from its current length."""
    offset = part.stat().st_size if part.exists() else 0
    if offset and file.size is not None and offset >= file.size:
        return  # whole already; the checksum decides whether it is right
    request_headers = {**headers, **({"Range": f"bytes={offset}-"} if offset else {})}
    request = urllib.request.Request(file.url, headers=request_headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        resumed = response.status == 206
        if offset and not resumed:
            meter.advance(-offset)  # the server sends the whole file again
        done = offset if resumed else 0
        length = int(response.headers.get("Content-Length", 0))
        expected = done + length if length else file.size or 0
        if file.size is None:
            meter.expect(file.path, expected)
        with part.open("ab" if resumed else "wb") as handle:
            while chunk := response.read(_CHUNK):
                cancel.raise_if_cancelled()
                handle.write(chunk)
                done += len(chunk)
                meter.advance(len(chunk), file.path)
    if expected and done < expected:
        raise HTTPException(f"connection closed after {done} of {expected} bytes")


def _verify(file: RemoteFile, part: Path, name: str) -> None:
    if file.sha256:
        actual = sha256_file(part)
        expected = file.sha256.lower()
        if len(expected) < 8 or not actual.startswith(expected):
            part.unlink()
            raise CheckpointError(
                f"The download of {name} ({file.path}) has sha256 {actual[:16]}..., not the expected "
                f"{expected[:16]}...; it was deleted: download it again or check the source."
            )
    elif file.git_blob:
        digest = hashlib.sha1(f"blob {part.stat().st_size}\0".encode(), usedforsecurity=False)
        digest.update(part.read_bytes())
        if digest.hexdigest() != file.git_blob:
            part.unlink()
            raise CheckpointError(
                f"The download of {name} ({file.path}) does not match the repository's copy; it was deleted: "
                "download it again."
            )


class _Meter:
    """Bytes done of a whole download, reported at most every :data:`_REPORT_EVERY` s with the speed."""

    def __init__(self, name: str, done: int, total: int, progress: ProgressCallback | None) -> None:
        self.name, self.done, self.total, self._progress = name, done, total, progress
        self._file = ""
        self._expected: set[str] = set()
        self._history: deque[tuple[float, int]] = deque([(time.monotonic(), done)])
        self._reported = 0.0

    def expect(self, file: str, size: int) -> None:
        """Count ``size`` bytes for ``file``, whose size was not known before its response (once per file)."""
        if file not in self._expected:
            self._expected.add(file)
            self.total += size

    def advance(self, count: int, file: str = "") -> None:
        self.done += count
        self._file = file or self._file
        self.report()

    def speed(self) -> float:
        """Bytes per second over the last few seconds."""
        now = time.monotonic()
        self._history.append((now, self.done))
        while len(self._history) > 2 and now - self._history[1][0] > _SPEED_WINDOW:
            self._history.popleft()
        start, done = self._history[0]
        return (self.done - done) / (now - start) if now > start else 0.0

    def report(self, force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if not force and now - self._reported < _REPORT_EVERY:
            return
        self._reported = now
        where = f" {self._file}" if self._file else ""
        stage = f"downloading {self.name}{where} · {format_size(round(self.speed()))}/s"
        self._progress(Progress(self.done, max(self.total, self.done), stage))

"""The weights manager: finds, checks, loads and downloads model weights.

Weights are looked up in this order: an explicit path, the user's models dir
(``A2I_MODELS_DIR``: ``checkpoints/ loras/ adapters/ encoders/``), a copy
bundled with the app, the Hugging Face cache; they are downloaded only when
asked (``a2i models download NAME``), with progress, resume and a checksum.
Missing weights raise :class:`~a2i_studio.errors.WeightsMissing` with one
sentence naming what is missing, where it looked and the command that fetches it.

``.safetensors`` is preferred; pickled ``.pth/.pt/.ckpt/.bin`` files are only
read through ``torch.load(weights_only=True)``, and a file whose first bytes do
not match its extension is refused before anything parses it. ``a2i models
verify`` reads every file the same way (a pickle through the weights-only
loader, which never runs what it carries; a safetensors file's header), so a
pickle with a payload is reported as damaged, not "ok".

Core layer: imports core, config and errors only; torch is imported lazily.
"""

from __future__ import annotations

import errno
import json
import os
import re
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from http.client import HTTPException
from pathlib import Path
from typing import Any

from a2i_studio import config
from a2i_studio.core import Progress, ProgressCallback, WeightSpec
from a2i_studio.errors import A2IError, CheckpointError, WeightsMissing
from a2i_studio.files import sha256_file

__all__ = [
    "PICKLE_SUFFIXES",
    "SUBDIRS",
    "check_format",
    "download",
    "find",
    "json_metadata",
    "load_state_dict",
    "locate",
    "missing_message",
    "sha256_of",
    "user_path",
    "verify",
]

SUBDIRS = ("checkpoints", "loras", "adapters", "encoders")
"""The folders of the models dir."""
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
"""Extensions of pickled torch files, read with ``weights_only=True``."""

_CHUNK = 1 << 16
_ATTEMPTS = 3


def user_path(spec: WeightSpec) -> Path:
    """Where ``spec`` lives in the user's models dir (whether or not it is there)."""
    return config.models_dir() / spec.subdir / spec.filename


def locate(spec: WeightSpec, explicit: Path | str | None = None) -> Path | None:
    """The first place that holds ``spec``'s weights, or ``None``.

    Args:
        spec: What to look for.
        explicit: A path the user gave; when set, it is the only place looked at.

    Returns:
        A file, or a folder for a multi-file spec.
    """
    if explicit:
        path = Path(explicit).expanduser()
        return path if path.exists() else None
    for candidate in (user_path(spec), spec.bundled):
        if candidate is not None and _complete(spec, candidate):
            return candidate
    return _from_hf_cache(spec)


def find(spec: WeightSpec, explicit: Path | str | None = None) -> Path:
    """Like :func:`locate`, but missing weights are an error.

    Raises:
        WeightsMissing: One sentence: what, where it looked, the command that fetches it.
    """
    path = locate(spec, explicit)
    if path is None:
        raise WeightsMissing(missing_message(spec, explicit))
    return path


def missing_message(spec: WeightSpec, explicit: Path | str | None = None) -> str:
    """The sentence :func:`find` raises when ``spec`` is nowhere to be found."""
    if explicit:
        return f"The weights file {explicit} given for {spec.name} does not exist; check the path."
    places = [str(user_path(spec))]
    if spec.bundled is not None:
        places.append(str(spec.bundled))
    if spec.hf_repo:
        places.append(f"the Hugging Face cache ({spec.hf_repo})")
    fetch = f"run 'a2i models download {spec.name}'" if spec.url or spec.hf_repo else "place the file there"
    return f"The {spec.description} ({spec.name}) are missing: looked in {' and '.join(places)}; {fetch}."


def _complete(spec: WeightSpec, path: Path) -> bool:
    if not spec.files:
        return path.is_file()
    return path.is_dir() and all(any(path.glob(pattern)) for pattern in spec.files)


def _from_hf_cache(spec: WeightSpec) -> Path | None:
    if not spec.hf_repo:
        return None
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    if not spec.files:
        cached = huggingface_hub.try_to_load_from_cache(spec.hf_repo, spec.filename, revision=spec.revision)
        return Path(cached) if isinstance(cached, str) else None
    try:
        folder = huggingface_hub.snapshot_download(
            spec.hf_repo, revision=spec.revision, allow_patterns=list(spec.files), local_files_only=True
        )
    except LocalEntryNotFoundError:
        return None
    return Path(folder) if _complete(spec, Path(folder)) else None


def check_format(path: Path, suffix: str | None = None) -> str:
    """Check that ``path``'s bytes are what its extension claims; return ``"safetensors"`` or ``"pickle"``.

    A safetensors file starts with an 8-byte little-endian header length and a JSON
    ``{``; a torch pickle is a zip archive (``PK``) or a legacy pickle (``0x80``).

    Args:
        path: The file.
        suffix: The extension it claims, when not its own (a ``.part`` download).

    Raises:
        CheckpointError: For an unknown extension or bytes of another format.
    """
    suffix = (suffix or path.suffix).lower()
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(9)
    if suffix == ".safetensors":
        header_length = int.from_bytes(head[:8], "little") if len(head) == 9 else 0
        if 0 < header_length <= size - 8 and head[8:9] == b"{":
            return "safetensors"
        kind = "safetensors"
    elif suffix in PICKLE_SUFFIXES:
        if head[:2] == b"PK" or head[:1] == b"\x80":
            return "pickle"
        kind = "torch pickle"
    else:
        raise CheckpointError(
            f"{path} has the extension {suffix or '(none)'}; weights must be .safetensors or one of "
            f"{', '.join(PICKLE_SUFFIXES)}."
        )
    raise CheckpointError(
        f"{path} does not hold {kind} data (it starts with {head[:8]!r}); it may be truncated, "
        "an error page or a renamed file: delete it and fetch it again."
    )


def load_state_dict(path: Path, *, numpy_arrays: bool = False, mmap: bool = False) -> dict[str, Any]:
    """Read a checkpoint's tensors after :func:`check_format`.

    Args:
        path: A ``.safetensors`` file or a torch pickle.
        numpy_arrays: Also accept plain numpy arrays in a pickle (some releases store
            them); only array reconstruction is allowed, never arbitrary code.
        mmap: Map a zip-format pickle's tensors from the file instead of reading them
            (for checking a large file without holding it in memory).

    Returns:
        The mapping stored in the file, on the CPU.

    Raises:
        CheckpointError: For a file of the wrong format, a corrupt one, or one that holds no mapping.
    """
    import torch

    kind = check_format(path)
    try:
        if kind == "safetensors":
            from safetensors.torch import load_file

            return dict(load_file(path, device="cpu"))
        with torch.serialization.safe_globals(_numpy_globals() if numpy_arrays else []):
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap and zipfile.is_zipfile(path))
    except Exception as error:  # any parse failure means a damaged or unsafe file
        refused = re.search(r"GLOBAL (\S+)", str(error))
        if refused:
            raise CheckpointError(
                f"{path} holds more than weights (it asks to call {refused.group(1)} when loaded), which a2i-studio "
                "never runs; delete it and fetch it from a trusted source."
            ) from None
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path} could not be read as {kind} weights ({reason}); fetch it again.") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a mapping of tensors.")
    return state


def json_metadata(metadata: Mapping[str, str], key: str, path: Path, *, required: bool = True) -> dict[str, Any]:
    """The JSON object stored under ``key`` in a safetensors file's metadata.

    Args:
        metadata: The file's metadata (``safe_open(...).metadata()``).
        key: The entry, e.g. ``"config"`` or ``"info"``.
        path: The file, named in the error.
        required: Whether a missing entry is an error (else it reads as ``{}``).

    Raises:
        CheckpointError: If the entry is missing (when required), not JSON or not a JSON object.
    """
    text = metadata.get(key)
    if text is None:
        if required:
            raise CheckpointError(f"{path} has no '{key}' entry in its metadata; it was not written by a2i-studio.")
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise CheckpointError(
            f"{path} has a damaged '{key}' entry (not JSON: {error}); train or fetch it again."
        ) from None
    if not isinstance(value, dict):
        raise CheckpointError(
            f"{path} has a damaged '{key}' entry (a JSON {type(value).__name__}, not an object); "
            "train or fetch it again."
        )
    return value


def _check_readable(path: Path) -> None:
    """Parse ``path`` as its loader would, inertly: a pickle through the weights-only loader, a safetensors header."""
    if check_format(path) == "pickle":
        load_state_dict(path, numpy_arrays=True, mmap=True)
        return
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="np") as handle:
            for name in handle.keys():  # noqa: SIM118 - not a mapping
                handle.get_slice(name).get_shape()
    except (OSError, SafetensorError) as error:
        raise CheckpointError(f"{path} could not be read as safetensors weights ({error}); fetch it again.") from None


def _numpy_globals() -> list[Any]:
    """The globals a pickle of plain numpy arrays names, and nothing that could run other code.

    The array reconstructor is listed under both names it is pickled as:
    ``numpy.core.multiarray._reconstruct`` by numpy 1 (VGGish's released PCA
    file, for one) and ``numpy._core.multiarray._reconstruct`` by numpy 2.
    The names are matched as strings, so loading imports neither module.
    """
    import numpy as np

    reconstruct = np.zeros(0).__reduce__()[0]
    return [
        (reconstruct, "numpy.core.multiarray._reconstruct"),
        (reconstruct, "numpy._core.multiarray._reconstruct"),
        np.ndarray,
        np.dtype,
        *(type(np.dtype(t)) for t in "fdilbB"),
    ]


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks (:func:`a2i_studio.files.sha256_file`)."""
    return sha256_file(path)


def _checksum_matches(expected: str, actual: str) -> bool:
    return len(expected) >= 8 and actual.startswith(expected.lower())


def verify(spec: WeightSpec, explicit: Path | str | None = None) -> Path:
    """Check found weights: every weights file parses (pickles inertly) and, when known, the checksum.

    Returns:
        Where the weights are.

    Raises:
        WeightsMissing: If they are not found.
        CheckpointError: If a file has the wrong format or checksum.
    """
    path = find(spec, explicit)
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.suffix.lower() in (".safetensors", *PICKLE_SUFFIXES)
    )
    for file in files:
        _check_readable(file)
    if spec.sha256 and path.is_file():
        actual = sha256_of(path)
        if not _checksum_matches(spec.sha256, actual):
            raise CheckpointError(
                f"{path} has sha256 {actual[:16]}..., not the expected {spec.sha256[:16]}...; "
                f"delete it and run 'a2i models download {spec.name}'."
            )
    return path


def download(spec: WeightSpec, progress: ProgressCallback | None = None, *, force: bool = False) -> Path:
    """Fetch ``spec``'s weights unless they are already found (or ``force``).

    A direct URL goes into the models dir with HTTP Range resume (a ``.part`` file
    survives a cut connection and the next call continues it) and a checksum
    check; a Hugging Face repo goes into the Hugging Face cache.

    Raises:
        WeightsMissing: If there is nowhere to download from, or the server has no such file.
        CheckpointError: If the download has the wrong checksum or format (it is deleted).
        A2IError: If the connection keeps failing (run again to resume), the Hugging Face hub
            cannot be reached or refuses (a gated model before its licence is accepted), or the disk is full.
    """
    found = None if force else locate(spec)
    if found is not None:
        return found
    if spec.url:
        target = user_path(spec)
        _download_url(spec, target, progress)
        return target
    if spec.hf_repo:
        return _download_hf(spec)
    raise WeightsMissing(f"{spec.name} has no download source; place it at {user_path(spec)} yourself.")


def _download_hf(spec: WeightSpec) -> Path:
    import huggingface_hub

    assert spec.hf_repo is not None
    try:
        if spec.files:
            folder = huggingface_hub.snapshot_download(
                spec.hf_repo, revision=spec.revision, allow_patterns=list(spec.files)
            )
            return Path(folder)
        return Path(huggingface_hub.hf_hub_download(spec.hf_repo, spec.filename, revision=spec.revision))
    except Exception as error:
        message = _hub_error_message(spec, error)
        if message is None:
            raise
        raise A2IError(message) from None


def _hub_error_message(spec: WeightSpec, error: Exception) -> str | None:
    """One sentence for an error ``huggingface_hub`` raises when a download cannot be done; ``None`` for a bug.

    Offline (or with ``HF_HUB_OFFLINE=1``) the hub cannot be reached and what is asked is not
    cached: it raises ``LocalEntryNotFoundError``. Refusals by the server arrive as
    ``HfHubHTTPError`` subclasses, mapped from the status and the ``X-Error-Code`` header,
    or, when the hub falls back to the cache and finds nothing there, as the cause of a
    ``LocalEntryNotFoundError``.
    """
    from huggingface_hub import errors as hub

    repo = spec.hf_repo
    again = f"then run 'a2i models download {spec.name}' again"
    if isinstance(error, hub.LocalEntryNotFoundError) and isinstance(error.__cause__, hub.HfHubHTTPError):
        error = error.__cause__  # the hub answered, with an error, and nothing was cached to fall back on
    if isinstance(error, (hub.LocalEntryNotFoundError, hub.OfflineModeIsEnabled)):
        return (
            f"Could not reach huggingface.co to download {spec.name} ({repo}), and it is not in the Hugging Face "
            f"cache; connect to the internet (and unset HF_HUB_OFFLINE if it is set), {again}."
        )
    if isinstance(error, hub.GatedRepoError):
        return (
            f"{repo} is a gated model: accept its licence at https://huggingface.co/{repo} and log in with "
            f"'hf auth login', {again}."
        )
    if isinstance(error, hub.RepositoryNotFoundError):
        return (
            f"huggingface.co has no repository {repo} that you can see; if it is private or gated, log in with "
            f"'hf auth login', {again}."
        )
    if isinstance(error, (hub.RevisionNotFoundError, hub.RemoteEntryNotFoundError)):
        return f"{repo} on huggingface.co has no {spec.revision or 'main'} revision with the files {spec.name} needs."
    if isinstance(error, hub.HfHubHTTPError):
        status = error.response.status_code
        if status in (401, 403):
            return (
                f"huggingface.co refused the download of {spec.name} ({repo}) with {status}: log in with "
                f"'hf auth login' as a user with access, {again}."
            )
        return f"huggingface.co answered {status} to the download of {spec.name} ({repo}); try again later."
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return (
            f"The disk is full: {spec.name} did not fit in the Hugging Face cache ({_hub_cache()}); free some "
            f"space (or move the cache with HF_HUB_CACHE), {again}."
        )
    if isinstance(error, OSError) and error.errno is not None:  # the file system refused, not the hub
        return (
            f"Could not write {spec.name} into the Hugging Face cache ({_hub_cache()}): {error.strerror}; check "
            f"that folder (or move the cache with HF_HUB_CACHE), {again}."
        )
    return None


def _hub_cache() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _download_url(spec: WeightSpec, target: Path, progress: ProgressCallback | None) -> None:
    assert spec.url is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            _fetch_into(spec, part, progress)
            break
        except urllib.error.HTTPError as error:
            raise WeightsMissing(
                f"Downloading {spec.name} from {spec.url} failed with HTTP {error.code} {error.reason}; "
                f"check the address, or place the file at {target} yourself."
            ) from None
        except (urllib.error.URLError, HTTPException, OSError) as error:
            if attempt == _ATTEMPTS:
                done = part.stat().st_size if part.exists() else 0
                raise A2IError(
                    f"Downloading {spec.name} from {spec.url} stopped at {done} bytes ({error}); "
                    f"run 'a2i models download {spec.name}' again to resume."
                ) from None
    if spec.sha256:
        actual = sha256_of(part)
        if not _checksum_matches(spec.sha256, actual):
            part.unlink()
            raise CheckpointError(
                f"The download of {spec.name} has sha256 {actual[:16]}..., not the expected "
                f"{spec.sha256[:16]}...; it was deleted: run the command again or check the source."
            )
    try:
        check_format(part, suffix=target.suffix)
    except CheckpointError:
        part.unlink()
        raise
    os.replace(part, target)


def _fetch_into(spec: WeightSpec, part: Path, progress: ProgressCallback | None) -> None:
    """One HTTP request, continuing ``part`` from its current length."""
    assert spec.url is not None
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(spec.url, headers={"Range": f"bytes={offset}-"} if offset else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        resumed = response.status == 206
        done = offset if resumed else 0
        length = int(response.headers.get("Content-Length", 0))
        total = done + length if length else spec.size_bytes or 0
        with part.open("ab" if resumed else "wb") as handle:
            while chunk := response.read(_CHUNK):
                handle.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(Progress(done, total, f"downloading {spec.name}"))
    if total and done < total:
        raise HTTPException(f"connection closed after {done} of {total} bytes")

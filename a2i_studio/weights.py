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

import dataclasses
import json
import os
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from a2i_studio import config
from a2i_studio.core import CancelToken, ProgressCallback, WeightSpec
from a2i_studio.errors import CheckpointError, WeightsMissing
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
    "remove",
    "sha256_of",
    "user_path",
    "verify",
]

SUBDIRS = ("checkpoints", "loras", "adapters", "encoders")
"""The folders of the models dir."""
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
"""Extensions of pickled torch files, read with ``weights_only=True``."""


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


def download(
    spec: WeightSpec,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    force: bool = False,
) -> Path:
    """Fetch ``spec``'s weights into the models dir unless they are already found (or ``force``).

    A direct URL, or the files of a Hugging Face repository, go to :func:`user_path` through
    :mod:`a2i_studio.downloads`: HTTP Range resume (a cut connection, a cancel or a crash leaves
    ``.part`` files the next call continues), a checksum for every file that has one, the free
    space checked first. A repository's files gather in ``FOLDER.partial`` and are renamed to the
    folder once all are in, so a half-fetched pipeline is never taken for a whole one.

    Raises:
        Cancelled: If cancelled (what arrived is kept for the next call).
        WeightsMissing: If there is nowhere to download from, or the server has no such file.
        CheckpointError: If a download has the wrong checksum or format (it is deleted).
        A2IError: If the disk lacks the room, the hub cannot be reached or refuses (a gated model before its
            terms are accepted and a token is stored), or the connection keeps failing.
    """
    from a2i_studio import downloads

    found = None if force else locate(spec)
    if found is not None:
        return found
    target = user_path(spec)
    if spec.url:
        # The declared size is a guide only: the server's Content-Length decides when the file is whole.
        files = [downloads.RemoteFile(spec.url, spec.filename, sha256=spec.sha256)]
        folder, headers = target.parent, {}
    elif spec.hf_repo:
        files = downloads.hub_files(spec.hf_repo, spec.revision, spec.files or (spec.filename,), spec.name)
        folder = target.with_name(target.name + ".partial") if spec.files else target.parent
        headers = downloads.hub_headers()
        if not spec.files:  # one file of the repository, kept under its own name
            files = [dataclasses.replace(files[0], path=spec.filename)]
    else:
        raise WeightsMissing(f"{spec.name} has no download source; place it at {target} yourself.")
    needed = downloads.remaining_bytes(files, folder) if spec.hf_repo else max((spec.size_bytes or 0) - _part_size(
        target), 0)
    downloads.check_free_space(folder, needed, spec.name)
    downloads.fetch(files, folder, spec.name, progress, cancel, headers)
    for file in files:
        path = folder / file.path
        if path.suffix.lower() in (".safetensors", *PICKLE_SUFFIXES):
            try:
                check_format(path)
            except CheckpointError:
                path.unlink()
                raise
    if spec.files:
        if target.exists():  # a forced download replaces the old copy
            shutil.rmtree(target)
        os.replace(folder, target)
    return target


def _part_size(target: Path) -> int:
    part = target.with_name(target.name + ".part")
    return part.stat().st_size if part.is_file() else 0


def remove(spec: WeightSpec) -> int:
    """Delete ``spec``'s weights from the models dir (and its unfinished download); returns the bytes freed.

    Copies elsewhere (a bundled copy, the Hugging Face cache, an explicit path) are left alone:
    they are not the app's to delete.
    """
    target = user_path(spec)
    freed = 0
    for path in (target, target.with_name(target.name + ".partial"), target.with_name(target.name + ".part")):
        if path.is_dir():
            freed += sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
            shutil.rmtree(path)
        elif path.is_file():
            freed += path.stat().st_size
            path.unlink()
    return freed

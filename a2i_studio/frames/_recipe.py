"""A video's recipe: where it lives (container metadata and a sidecar JSON) and what keys its frame cache.

A video recipe is an image recipe (audio and its sha256, segment, chain with
versions, every parameter, seed, device) with a ``video`` section: the video
settings, the window, the frame count and size, and the output format. The
container's metadata holds it (MP4, WebM) and so does a sidecar
``NAME.a2i.json`` beside every output, written last, which adds the SHA-256
of the frames as they went into the encoder.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from a2i_studio.errors import VideoError
from a2i_studio.frames._writers import RECIPE_TAG

__all__ = ["LIVE_RECIPE_FORMAT", "VIDEO_SUFFIXES", "cache_key", "is_video", "read_video_recipe", "sidecar_path"]

VIDEO_SUFFIXES = (".mp4", ".webm", ".gif")
LIVE_RECIPE_FORMAT = "a2i-live/1"
"""The recipe format of a recorded live session (its frames depend on timing: it cannot be rendered again)."""
_SIDECAR_SUFFIX = ".a2i.json"


def sidecar_path(out: Path) -> Path:
    """The sidecar JSON beside ``out``: ``clip.mp4`` -> ``clip.mp4.a2i.json``."""
    return out.with_name(out.name + _SIDECAR_SUFFIX)


def is_video(path: Path) -> bool:
    """Whether ``path`` is something ``a2i rerun`` re-renders: a video, a PNG-sequence folder or a sidecar."""
    return path.suffix.lower() in VIDEO_SUFFIXES or path.name.endswith(_SIDECAR_SUFFIX) or path.is_dir()


def read_video_recipe(path: Path) -> dict[str, Any]:
    """The recipe of a rendered video (MP4, WebM, GIF, PNG folder) or of its sidecar.

    The container's own metadata comes first; the sidecar is read where the
    container has none (GIF, PNG folders) and for the frames' checksum.

    Raises:
        VideoError: If neither holds a readable recipe.
    """
    sidecar = path if path.name.endswith(_SIDECAR_SUFFIX) else sidecar_path(path)
    recipe: dict[str, Any] | None = None
    if path.suffix.lower() in (".mp4", ".webm") and path.is_file():
        recipe = _from_container(path)
    if sidecar.is_file():
        try:
            from_sidecar = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise VideoError(f"The recipe file {sidecar} is damaged; the video cannot be rendered again.") from None
        recipe = {**from_sidecar, **(recipe or {})}
        recipe.setdefault("frames_sha256", from_sidecar.get("frames_sha256"))
    if recipe is None or "video" not in recipe:
        raise VideoError(
            f"{path} carries no a2i recipe (and {sidecar.name} is not beside it); "
            "only videos rendered by a2i-studio can be rendered again."
        )
    return recipe


def cache_key(recipe: dict[str, Any]) -> str:
    """What the frames depend on, hashed: the recipe without its date, file names or output format."""
    essence = copy.deepcopy(recipe)
    essence.pop("created", None)
    essence.pop("frames_sha256", None)
    essence["audio"] = {"sha256": essence["audio"]["sha256"]}
    for key in ("format", "codec", "width", "height"):
        essence["video"].pop(key, None)
    return hashlib.sha256(json.dumps(essence, sort_keys=True).encode()).hexdigest()[:24]


def _from_container(path: Path) -> dict[str, Any] | None:
    import av

    try:
        with av.open(str(path)) as container:
            text = container.metadata.get(RECIPE_TAG)
    except av.FFmpegError as error:
        raise VideoError(f"{path} is not a readable video ({error}); pick a file a2i render wrote.") from None
    if text is None:
        return None
    try:
        recipe: dict[str, Any] = json.loads(text)
    except ValueError:
        raise VideoError(f"The recipe inside {path} is damaged; the video cannot be rendered again.") from None
    return recipe

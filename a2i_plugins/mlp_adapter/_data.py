"""Training pairs for an adapter: encoder features and text-embedding targets, cached on disk.

Both are computed once per dataset and settings and kept in ``OUT/cache/``
(safetensors, named by a hash of everything that decides them), so a second
run with other MLP settings starts training at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from a2i_plugins.mlp_adapter._network import flatten_input, split_target
from a2i_studio.core import Encoder, Generator, RunContext, Space, TextEncoding, resolve_params
from a2i_studio.datasets import PairedItem

__all__ = ["captions", "encode_features", "encode_targets"]


def captions(items: Sequence[PairedItem], template: str) -> list[str]:
    """Each item's prompt, or ``template`` filled with its label."""
    from a2i_studio.errors import DatasetError

    texts = []
    for index, item in enumerate(items):
        if not item.prompt and not item.label:
            raise DatasetError(f"Item {index} ({item.audio}) has neither a prompt nor a label to caption it with.")
        texts.append(item.prompt or template.replace("{label}", item.label))
    return texts


def _cached(path: Path, compute: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    if path.exists():
        return load_file(path)
    tensors = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: value.contiguous() for key, value in tensors.items()}, path)
    return tensors


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_features(
    encoder: Encoder, items: Sequence[PairedItem], params: Mapping[str, Any], ctx: RunContext, cache: Path
) -> torch.Tensor:
    """``[len(items), input_dim]`` encoder features (sequences averaged over frames), cached."""
    stats = [(item.audio, item.audio.stat()) for item in items if item.audio]
    files = [(str(path), stat.st_size, stat.st_mtime_ns) for path, stat in stats]
    path = cache / f"features-{encoder.id}-{_key(encoder.id, encoder.version, dict(params), files)}.safetensors"

    def compute() -> dict[str, torch.Tensor]:
        encoder.load(ctx.device, "float32")
        rows = []
        for index, item in enumerate(items):
            assert item.audio is not None
            clip = encoder.read(item.audio)
            value = encoder.encode(clip.samples, params, ctx)
            rows.append(flatten_input(value, encoder.output_space).cpu())
            ctx.report(index + 1, len(items), f"encoding audio with {encoder.id}")
        encoder.unload()
        return {"features": torch.stack(rows)}

    return _cached(path, compute)["features"]


def encode_targets(
    generator: Generator,
    texts: Sequence[str],
    settings: Mapping[str, Any],
    ctx: RunContext,
    cache: Path,
) -> tuple[torch.Tensor, Any]:
    """``[len(texts), target_size]`` learnt parts of the captions' embeddings, and the empty prompt's full value.

    ``generator`` encodes the captions through its declared :class:`~a2i_studio.core.TextEncoding`.
    """
    assert isinstance(generator, TextEncoding), "checked by the trainer"
    given = {"model": settings["model"]} if settings["model"] else {}
    params = resolve_params(generator.params, given, generator.id)
    space: Space = generator.input_space
    key = _key(generator.id, generator.version, params["model"], list(texts), settings["target"], settings["tokens"])
    path = cache / f"targets-{generator.id}-{key}.safetensors"
    encode_text = generator.encode_text

    def compute() -> dict[str, torch.Tensor]:
        unique = sorted(set(texts))
        encoded = {}
        for index, text in enumerate(unique):
            encoded[text] = split_target(encode_text(text, params, ctx), space, settings["target"], settings["tokens"])
            ctx.report(index + 1, len(unique), f"encoding captions with {generator.id}")
        empty = encode_text("", params, ctx)
        generator.unload()
        parts = empty if isinstance(empty, dict) else {"sequence": empty}
        empty_parts = {f"empty.{name}": tensor for name, tensor in parts.items()}
        return {"targets": torch.stack([encoded[text] for text in texts]), **empty_parts}

    tensors = _cached(path, compute)
    empty = {key.removeprefix("empty."): value for key, value in tensors.items() if key.startswith("empty.")}
    return tensors["targets"], empty if space.parts else empty["sequence"]

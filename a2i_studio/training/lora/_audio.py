"""Audio conditioning: each training clip through the same encoder > adapters chain the app generates with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from a2i_studio.core import Chain, Registry, RunContext, parse_chain, resolve_params
from a2i_studio.errors import ParamError

__all__ = ["audio_chain", "encode_clips"]


def audio_chain(registry: Registry | None, chain_text: str, family: str) -> Chain:
    """The chain ``chain_text`` names, ending in the base model's generator ``family`` (added if left out).

    Raises:
        ParamError: If there is no registry to find the components in.
        ChainError: For an unknown component, or an output that does not fit the base model.
    """
    if registry is None:
        raise ParamError("Audio conditioning needs the installed encoders and adapters; run it from the app or CLI.")
    ids = [part.strip() for part in chain_text.split(">")]
    if registry.get("generator", ids[-1]) is None:
        ids.append(family)
    return parse_chain(">".join(ids), registry)


def encode_clips(chain: Chain, clips: Sequence[Path], ctx: RunContext) -> torch.Tensor:
    """Each whole clip encoded and adapted with default parameters: ``[len(clips), *generator input shape]``.

    Raises:
        AudioError: For a clip that cannot be decoded.
        WeightsMissing: If a component's weights are missing.
        ShapeError: If a component's output does not have its space's shape.
    """
    parts = (chain.encoder, *chain.adapters)
    for component in parts:
        component.load(ctx.device, "float32")
    params = {component.id: resolve_params(component.params, {}, component.id) for component in parts}
    values = []
    for index, path in enumerate(clips):
        ctx.report(index, len(clips), f"encoding clip {index + 1} of {len(clips)} with {chain.encoder.id}")
        clip = chain.encoder.read(path)
        value = chain.encoder.encode(clip.samples, params[chain.encoder.id], ctx)
        for adapter in chain.adapters:
            adapter.input_space.check(value, adapter.id, "input")
            value = adapter.adapt(value, params[adapter.id], ctx)
        chain.generator.input_space.check(value, chain.generator.id, "input")
        values.append(value.detach().float().cpu())
    for component in parts:
        component.unload()
    return torch.stack(values)

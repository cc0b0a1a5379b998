"""Drawing pixel tokens one by one: KV-cached or naive, with temperature, top-k, top-p and guidance.

Randomness never touches the model's device. Before decoding, each image
draws one uniform number per token from its own CPU ``torch.Generator``; at
every step the probabilities are moved to the CPU (float64) and the token is
the one whose cumulative probability first exceeds that image's uniform
number (inverting the CDF). So image ``i`` depends on ``seeds[i]`` alone and a
seed gives the same picture on any device, up to the model's own rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from a2i_plugins.pixel_transformer._config import START_TOKEN, VOCAB
from a2i_plugins.pixel_transformer._model import PixelTransformer

__all__ = ["RowCallback", "SamplingSettings", "choose_tokens", "guided_logits", "sample"]

RowCallback = Callable[[int, torch.Tensor], None]
"""Called with ``(rows_done, tokens_so_far)`` after each image row; tokens are ``[batch, rows_done * row_tokens]``."""


@dataclass(frozen=True)
class SamplingSettings:
    """How each next token is chosen.

    Attributes:
        temperature: Divides the logits; 0 picks the most likely token (greedy).
        top_k: Keep only the ``top_k`` most likely tokens; 0 keeps all.
        top_p: Keep the smallest set of most likely tokens whose probability reaches ``top_p``.
        guidance: Classifier-free guidance scale; ``None`` samples from the
            audio-conditioned model alone, without the unconditional pass.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    guidance: float | None = None


def guided_logits(conditional: torch.Tensor, unconditional: torch.Tensor, scale: float) -> torch.Tensor:
    """``unconditional + scale * (conditional - unconditional)``, exact at ``scale == 1``."""
    return conditional + (scale - 1.0) * (conditional - unconditional)


def choose_tokens(logits: torch.Tensor, uniforms: torch.Tensor, settings: SamplingSettings) -> torch.Tensor:
    """Pick one token per row of ``logits`` ``[batch, 256]`` by inverting its filtered CDF at ``uniforms`` ``[batch]``.

    Returns:
        ``[batch]`` int64 tokens on the CPU.
    """
    logits = logits.detach().to("cpu", torch.float64)
    if settings.temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / settings.temperature
    if 0 < settings.top_k < VOCAB:
        kth = logits.topk(settings.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if settings.top_p < 1.0:
        ordered, order = logits.sort(dim=-1, descending=True)
        probabilities = ordered.softmax(dim=-1)
        # Drop a token when the tokens more likely than it already reach top_p; the most likely always stays.
        dropped_in_order = probabilities.cumsum(dim=-1) - probabilities >= settings.top_p
        dropped = torch.zeros_like(dropped_in_order).scatter(-1, order, dropped_in_order)
        logits = logits.masked_fill(dropped, float("-inf"))
    cdf = logits.softmax(dim=-1).cumsum(dim=-1)
    targets = (uniforms.to(torch.float64) * cdf[:, -1]).unsqueeze(1)
    return torch.searchsorted(cdf, targets, right=True).squeeze(1).clamp_max(VOCAB - 1)


@torch.no_grad()
def sample(
    model: PixelTransformer,
    frames: torch.Tensor,
    generators: Sequence[torch.Generator],
    settings: SamplingSettings,
    on_row: RowCallback | None = None,
    cached: bool = True,
) -> torch.Tensor:
    """Draw one image's tokens per generator.

    Args:
        model: In eval mode.
        frames: ``[sections, bins]`` FFT magnitudes of one clip, shared by every image,
            or ``[len(generators), sections, bins]``, one clip per image.
        generators: One seeded CPU generator per image.
        settings: Temperature, top-k, top-p and guidance.
        on_row: Progress callback after each finished row.
        cached: ``True`` decodes one position per step against a key/value cache;
            ``False`` re-decodes the whole prefix at every step (the seed's loop,
            kept as the benchmark's baseline and the cache's reference).

    Returns:
        ``[len(generators), sequence_length]`` int64 tokens on the CPU.
    """
    config = model.config
    length, batch = config.sequence_length, len(generators)
    # 1. Every uniform number each image will use, from its own generator.
    uniforms = torch.stack([torch.rand(length, generator=g, dtype=torch.float64) for g in generators])

    # 2. Encode the audio once; with guidance the batch doubles: conditional rows, then "no audio" rows.
    parameter = next(model.parameters())
    device = parameter.device
    normalised = model.normalise(frames.to(device, parameter.dtype))
    if frames.dim() == 2:
        memory = model.encode(normalised.unsqueeze(0)).expand(batch, -1, -1)
    else:
        memory = model.encode(normalised)
    if settings.guidance is not None:
        memory = torch.cat([memory, model.unconditional_memory(memory)])
    passes = memory.shape[0] // batch

    # 3. Decode token by token; the input at each position is the token before it.
    tokens = torch.zeros(batch, length, dtype=torch.long)
    caches = model.start_caches(memory) if cached else []
    for position in range(length):
        if cached:
            previous = tokens[:, position - 1] if position else torch.full((batch,), START_TOKEN)
            logits = model.step(previous.repeat(passes).to(device), position, caches)
        else:
            inputs = torch.cat([torch.full((batch, 1), START_TOKEN), tokens[:, :position]], dim=1)
            logits = model.decode(memory, inputs.repeat(passes, 1).to(device))[:, -1]
        if settings.guidance is not None:
            logits = guided_logits(logits[:batch], logits[batch:], settings.guidance)
        tokens[:, position] = choose_tokens(logits, uniforms[:, position], settings)
        if on_row is not None and (position + 1) % config.row_tokens == 0:
            on_row((position + 1) // config.row_tokens, tokens[:, : position + 1])
    return tokens

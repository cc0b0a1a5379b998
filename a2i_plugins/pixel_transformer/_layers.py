"""Transformer layers of the pixel transformer: local self-attention with a KV cache, cross-attention.

Every layer is pre-norm (LayerNorm before each sublayer, as in most modern
transformers; the seed's post-norm original trains less reliably from scratch).
The decoder's self-attention is local and causal: the query at position ``t``
sees keys ``t - window + 1 .. t``. Training computes it block by block
(:func:`local_attention`), so memory grows with ``length * window`` rather than
``length ** 2``; sampling computes one position at a time against a cache of
keys and values (:class:`LayerCache`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

__all__ = [
    "DecoderLayer",
    "EncoderLayer",
    "LayerCache",
    "local_attention",
    "local_block_mask",
    "sinusoidal",
]


def sinusoidal(positions: torch.Tensor, width: int) -> torch.Tensor:
    """The sinusoidal position encoding of *Attention Is All You Need*.

    Args:
        positions: Integer positions, any shape.
        width: Even number of features.

    Returns:
        ``[*positions.shape, width]``: ``sin`` in even features, ``cos`` in odd ones.
    """
    frequencies = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10_000.0) / width))
    angles = positions.to(torch.float32).unsqueeze(-1) * frequencies
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)


def local_block_mask(window: int, blocks: int) -> torch.Tensor:
    """Which keys each query may see, block by block, in :func:`local_attention`.

    The sequence is cut into blocks of ``window`` positions. Block ``b``'s
    queries look at the keys of block ``b - 1`` followed by those of block ``b``
    (``2 * window`` keys). Query ``i`` of block ``b`` (position ``b * window + i``)
    may see key ``j`` (position ``(b - 1) * window + j``) when that key is at most
    ``window - 1`` positions before it or at the query itself, and is not
    before the start of the sequence.

    Args:
        window: Local attention width.
        blocks: Number of blocks.

    Returns:
        ``[blocks, window, 2 * window]`` booleans, ``True`` where attention is allowed.
    """
    query = torch.arange(window).view(1, window, 1) + window
    key = torch.arange(2 * window).view(1, 1, 2 * window)
    distance = query - key
    key_position = torch.arange(blocks).view(blocks, 1, 1) * window - window + key
    return (distance >= 0) & (distance < window) & (key_position >= 0)


def local_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, window: int) -> torch.Tensor:
    """Causal local attention: position ``t`` attends to positions ``t - window + 1 .. t``.

    Args:
        query: ``[batch, heads, length, head_dim]``.
        key: Same shape as ``query``.
        value: Same shape as ``query``.
        window: Local attention width.

    Returns:
        ``[batch, heads, length, head_dim]``.
    """
    batch, heads, length, head_dim = query.shape
    blocks = -(-length // window)
    pad = blocks * window - length

    def as_blocks(tensor: torch.Tensor) -> torch.Tensor:
        return functional.pad(tensor, (0, 0, 0, pad)).view(batch, heads, blocks, window, head_dim)

    query_blocks, key_blocks, value_blocks = as_blocks(query), as_blocks(key), as_blocks(value)
    # Each block's keys: the previous block (zeros before the first, masked out) then its own.
    keys = torch.cat([functional.pad(key_blocks, (0, 0, 0, 0, 1, 0))[:, :, :-1], key_blocks], dim=3)
    values = torch.cat([functional.pad(value_blocks, (0, 0, 0, 0, 1, 0))[:, :, :-1], value_blocks], dim=3)
    # Written out rather than through scaled_dot_product_attention: with a mask on the CPU that takes a
    # slower path (and twice as slow under bfloat16 autocast); every row keeps at least its own key.
    scores = (query_blocks @ keys.transpose(-1, -2)) * head_dim**-0.5
    scores = scores.masked_fill(~local_block_mask(window, blocks).to(query.device), float("-inf"))
    out = scores.softmax(dim=-1) @ values
    return out.reshape(batch, heads, blocks * window, head_dim)[:, :, :length]


@dataclass
class LayerCache:
    """One decoder layer's keys and values during sampling.

    Attributes:
        self_key: ``[batch, heads, length, head_dim]`` keys of the positions decoded so far.
        self_value: Values, same shape.
        cross_key: Keys of the audio memory, computed once.
        cross_value: Values of the audio memory.
    """

    self_key: torch.Tensor
    self_value: torch.Tensor
    cross_key: torch.Tensor
    cross_value: torch.Tensor


class _Attention(nn.Module):
    """Multi-head attention projections; the caller picks the attention pattern."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.out = nn.Linear(width, width)

    def split(self, projection: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        """``[batch, length, width]`` -> ``[batch, heads, length, head_dim]``."""
        batch, length, width = x.shape
        return projection(x).view(batch, length, self.heads, width // self.heads).transpose(1, 2)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, heads, length, head_dim]`` -> ``[batch, length, width]``, then the output projection."""
        batch, heads, length, head_dim = x.shape
        return self.out(x.transpose(1, 2).reshape(batch, length, heads * head_dim))


class _FeedForward(nn.Sequential):
    def __init__(self, width: int, mult: int, dropout: float) -> None:
        super().__init__(nn.Linear(width, width * mult), nn.GELU(), nn.Dropout(dropout), nn.Linear(width * mult, width))


class EncoderLayer(nn.Module):
    """Full self-attention over the audio tokens, then a feed-forward block."""

    def __init__(self, width: int, heads: int, ff_mult: int, dropout: float) -> None:
        super().__init__()
        self.norm_attention = nn.LayerNorm(width)
        self.attention = _Attention(width, heads)
        self.norm_ff = nn.LayerNorm(width)
        self.ff = _FeedForward(width, ff_mult, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, tokens, width]`` -> the same shape."""
        h = self.norm_attention(x)
        attn = self.attention
        q, k, v = attn.split(attn.query, h), attn.split(attn.key, h), attn.split(attn.value, h)
        x = x + self.dropout(attn.merge(functional.scaled_dot_product_attention(q, k, v)))
        return x + self.dropout(self.ff(self.norm_ff(x)))


class DecoderLayer(nn.Module):
    """Local causal self-attention over pixels, cross-attention to the audio, feed-forward."""

    def __init__(self, width: int, heads: int, ff_mult: int, dropout: float, window: int) -> None:
        super().__init__()
        self.window = window
        self.norm_self = nn.LayerNorm(width)
        self.self_attention = _Attention(width, heads)
        self.norm_cross = nn.LayerNorm(width)
        self.cross_attention = _Attention(width, heads)
        self.norm_ff = nn.LayerNorm(width)
        self.ff = _FeedForward(width, ff_mult, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Every position at once (training, and the naive sampler).

        Args:
            x: ``[batch, length, width]`` pixel states.
            memory: ``[batch, audio_tokens, width]`` encoder output.
        """
        h = self.norm_self(x)
        attn = self.self_attention
        q, k, v = attn.split(attn.query, h), attn.split(attn.key, h), attn.split(attn.value, h)
        x = x + self.dropout(attn.merge(local_attention(q, k, v, self.window)))
        cross = self.cross_attention
        q = cross.split(cross.query, self.norm_cross(x))
        k, v = cross.split(cross.key, memory), cross.split(cross.value, memory)
        x = x + self.dropout(cross.merge(functional.scaled_dot_product_attention(q, k, v)))
        return x + self.dropout(self.ff(self.norm_ff(x)))

    def start_cache(self, memory: torch.Tensor, length: int) -> LayerCache:
        """An empty cache for ``length`` positions, with the audio's keys and values computed once."""
        batch, heads = memory.shape[0], self.self_attention.heads
        head_dim = memory.shape[-1] // heads
        empty = memory.new_zeros(batch, heads, length, head_dim)
        cross = self.cross_attention
        return LayerCache(empty, empty.clone(), cross.split(cross.key, memory), cross.split(cross.value, memory))

    def step(self, x: torch.Tensor, position: int, cache: LayerCache) -> torch.Tensor:
        """One new position against the cache (sampling); eval mode only.

        Args:
            x: ``[batch, 1, width]``, the state at ``position``.
            position: Index of that position; the cache holds every earlier one.
            cache: Updated in place with this position's key and value.
        """
        h = self.norm_self(x)
        attn = self.self_attention
        cache.self_key[:, :, position : position + 1] = attn.split(attn.key, h)
        cache.self_value[:, :, position : position + 1] = attn.split(attn.value, h)
        first = max(0, position - self.window + 1)
        keys = cache.self_key[:, :, first : position + 1]
        values = cache.self_value[:, :, first : position + 1]
        x = x + attn.merge(functional.scaled_dot_product_attention(attn.split(attn.query, h), keys, values))
        cross = self.cross_attention
        q = cross.split(cross.query, self.norm_cross(x))
        x = x + cross.merge(functional.scaled_dot_product_attention(q, cache.cross_key, cache.cross_value))
        return x + self.ff(self.norm_ff(x))

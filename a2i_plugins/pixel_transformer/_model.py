"""The pixel transformer: an audio encoder over FFT frames and an autoregressive pixel decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from a2i_plugins.pixel_transformer._config import START_TOKEN, VOCAB, PixelConfig
from a2i_plugins.pixel_transformer._layers import DecoderLayer, EncoderLayer, LayerCache, sinusoidal

__all__ = ["PixelTransformer", "log_magnitudes", "shift_right"]


def log_magnitudes(frames: torch.Tensor, config: PixelConfig) -> torch.Tensor:
    """``log1p(magnitude / floor)``, the first half of the audio normalisation."""
    return torch.log1p(frames.clamp_min(0) / config.magnitude_floor)


def shift_right(tokens: torch.Tensor) -> torch.Tensor:
    """The decoder's input for target ``tokens`` ``[batch, length]``: the start token, then all but the last."""
    start = tokens.new_full((tokens.shape[0], 1), START_TOKEN)
    return torch.cat([start, tokens[:, :-1]], dim=1)


class PixelTransformer(nn.Module):
    """Encoder-decoder transformer from FFT frames to a sequence of pixel tokens.

    Audio side: magnitudes are read as ``log1p(magnitude / floor)``, standardised
    per frequency bin with statistics of the training set (buffers saved with
    the weights), ``audio_stride`` sections are joined and linearly embedded,
    sinusoidal positions are added and full self-attention layers follow.

    Image side: each pixel value (0-255) is a class embedded like a word, with
    the positions of :attr:`PixelConfig.positions`; local causal self-attention
    and cross-attention to the audio predict the next token's 256 logits.

    A learned "no audio" memory stands in for the audio of the pairs dropped
    during training, which is what classifier-free guidance compares against.

    Args:
        config: The model's shape.
    """

    audio_mean: torch.Tensor
    audio_std: torch.Tensor
    audio_positions: torch.Tensor
    pixel_positions: torch.Tensor

    def __init__(self, config: PixelConfig) -> None:
        super().__init__()
        self.config = config
        width = config.d_model
        self.register_buffer("audio_mean", torch.zeros(config.bins))
        self.register_buffer("audio_std", torch.ones(config.bins))
        self.audio_embedding = nn.Linear(config.audio_stride * config.bins, width)
        self.register_buffer("audio_positions", sinusoidal(torch.arange(config.audio_tokens), width), persistent=False)
        self.encoder = nn.ModuleList(
            EncoderLayer(width, config.heads, config.ff_mult, config.dropout) for _ in range(config.encoder_layers)
        )
        self.encoder_norm = nn.LayerNorm(width)
        self.null_memory = nn.Parameter(torch.randn(width) * 0.02)

        self.token_embedding = nn.Embedding(VOCAB + 1, width)
        self.register_buffer("pixel_positions", _pixel_positions(config), persistent=False)
        grid_rgb = config.positions == "grid" and config.channels == 3
        self.channel_embedding = nn.Embedding(3, width) if grid_rgb else None
        self.decoder: Sequence[DecoderLayer] = nn.ModuleList(  # type: ignore[assignment]
            DecoderLayer(width, config.heads, config.ff_mult, config.dropout, config.window)
            for _ in range(config.decoder_layers)
        )
        self.decoder_norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, VOCAB)
        self.dropout = nn.Dropout(config.dropout)

    def set_audio_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store the per-bin mean and standard deviation of :func:`log_magnitudes` over the training set."""
        self.audio_mean.copy_(mean)
        self.audio_std.copy_(std.clamp_min(1e-3))

    def normalise(self, frames: torch.Tensor) -> torch.Tensor:
        """``[batch, sections, bins]`` magnitudes -> standardised log magnitudes."""
        return self.standardise(log_magnitudes(frames, self.config))

    def standardise(self, logs: torch.Tensor) -> torch.Tensor:
        """Standardise :func:`log_magnitudes` per bin with the training set's statistics."""
        return (logs - self.audio_mean) / self.audio_std

    def encode(self, normalised: torch.Tensor, drop: torch.Tensor | None = None) -> torch.Tensor:
        """The audio memory the decoder attends to.

        Args:
            normalised: ``[batch, sections, bins]`` from :meth:`normalise`.
            drop: ``[batch]`` booleans; those rows get the "no audio" memory instead.

        Returns:
            ``[batch, audio_tokens, d_model]``.
        """
        batch = normalised.shape[0]
        joined = normalised.reshape(batch, self.config.audio_tokens, -1)
        x = self.dropout(self.audio_embedding(joined) + self.audio_positions)
        for layer in self.encoder:
            x = layer(x)
        memory = self.encoder_norm(x)
        if drop is not None:
            memory = torch.where(drop.view(batch, 1, 1), self.null_memory.expand_as(memory), memory)
        return memory

    def unconditional_memory(self, like: torch.Tensor) -> torch.Tensor:
        """The "no audio" memory, shaped like ``like``."""
        return self.null_memory.to(like.dtype).expand_as(like)

    def decode(self, memory: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Next-token logits at every position at once.

        Args:
            memory: ``[batch, audio_tokens, d_model]``.
            inputs: ``[batch, length]`` input tokens (:func:`shift_right` of the targets).

        Returns:
            ``[batch, length, 256]``.
        """
        length = inputs.shape[1]
        x = self.token_embedding(inputs) + self._positions(slice(0, length))
        x = self.dropout(x)
        for layer in self.decoder:
            x = layer(x, memory)
        return self.head(self.decoder_norm(x))

    def forward(self, logs: torch.Tensor, targets: torch.Tensor, drop: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced logits ``[batch, length, 256]`` for ``targets`` given :func:`log_magnitudes`."""
        return self.decode(self.encode(self.standardise(logs), drop), shift_right(targets))

    def start_caches(self, memory: torch.Tensor) -> list[LayerCache]:
        """Empty key/value caches for one image per row of ``memory``."""
        return [layer.start_cache(memory, self.config.sequence_length) for layer in self.decoder]

    def step(self, tokens: torch.Tensor, position: int, caches: list[LayerCache]) -> torch.Tensor:
        """Logits of the token after ``position``, given the input token at ``position``.

        Args:
            tokens: ``[batch]`` input tokens at ``position`` (the start token at 0).
            position: Index in the sequence; ``caches`` hold every earlier position.
            caches: From :meth:`start_caches`; updated in place.

        Returns:
            ``[batch, 256]``.
        """
        x = self.token_embedding(tokens).unsqueeze(1) + self._positions(slice(position, position + 1))
        for layer, cache in zip(self.decoder, caches, strict=True):
            x = layer.step(x, position, cache)
        logits: torch.Tensor = self.head(self.decoder_norm(x))[:, 0]
        return logits

    def _positions(self, span: slice) -> torch.Tensor:
        positions: torch.Tensor = self.pixel_positions[span]
        if self.channel_embedding is not None:
            channels = torch.arange(span.start, span.stop, device=positions.device) % 3
            positions = positions + self.channel_embedding(channels)
        return positions


def _pixel_positions(config: PixelConfig) -> torch.Tensor:
    """``[sequence_length, d_model]`` position encodings of the flattened image."""
    index = torch.arange(config.sequence_length)
    if config.positions == "flat":
        return sinusoidal(index, config.d_model)
    pixel = index // config.channels
    half = config.d_model // 2
    return torch.cat([sinusoidal(pixel // config.image_size, half), sinusoidal(pixel % config.image_size, half)], -1)

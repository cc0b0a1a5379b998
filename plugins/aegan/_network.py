"""The AE-GAN networks: MFCC encoder MLP, transposed-convolution generator, PatchGAN critic.

Imported only inside ``load()`` / ``train()`` (it imports torch).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["SIZES", "AeganConfig", "AeganNet", "PatchDiscriminator"]

SIZES = (32, 64, 128, 256)
"""Image sizes a generator can be built for: one transposed convolution per doubling from 1x1."""

_SLOPE = 0.2  # LeakyReLU slope; the paper does not give one, 0.2 is the DCGAN choice.


@dataclass(frozen=True)
class AeganConfig:
    """The shape of an :class:`AeganNet`, stored in every checkpoint.

    Attributes:
        size: Output width and height (one of :data:`SIZES`).
        features: Length of the input feature vector (104 MFCC statistics).
        hidden: Widths of the encoder's hidden layers (the paper: 1024, 768, 512, 256).
        latent: Width of the latent code the generator starts from (the paper: 100).
        channels: Channels of the first transposed convolution, halved at each
            following one (the paper: 256 -> 128 -> ... -> 4 -> RGB at 256 px).
    """

    size: int = 64
    features: int = 104
    hidden: tuple[int, ...] = (1024, 768, 512, 256)
    latent: int = 100
    channels: int = 256

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size {self.size} is not one of {SIZES}")
        if self.channels >> (self.layers - 2) < 1:
            raise ValueError(f"channels {self.channels} cannot be halved {self.layers - 2} times")

    @property
    def layers(self) -> int:
        """Number of transposed convolutions: ``log2(size)``."""
        return int(math.log2(self.size))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reads it back."""
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AeganConfig:
        """The config written by :meth:`to_json`."""
        return cls(**{**data, "hidden": tuple(data["hidden"])})


class AeganNet(nn.Module):
    """Normalised MFCC summary -> latent (5 linear layers) -> image (transposed convolutions).

    The feature mean and standard deviation of the training set are buffers, so
    they travel with the weights and the generator takes raw MFCC summaries.

    Args:
        config: The network's shape.
    """

    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, config: AeganConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("feature_mean", torch.zeros(config.features))
        self.register_buffer("feature_std", torch.ones(config.features))
        widths = (config.features, *config.hidden, config.latent)
        encoder: list[nn.Module] = []
        for width_in, width_out in itertools.pairwise(widths):
            encoder += [nn.Linear(width_in, width_out), nn.LeakyReLU(_SLOPE)]
        self.encoder = nn.Sequential(*encoder)
        channels = [config.latent] + [config.channels >> index for index in range(config.layers - 1)] + [3]
        decoder: list[nn.Module] = []
        for index, (channels_in, channels_out) in enumerate(itertools.pairwise(channels)):
            last = index == config.layers - 1
            decoder.append(nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=last))
            if not last:
                decoder += [nn.BatchNorm2d(channels_out), nn.LeakyReLU(_SLOPE)]
        decoder.append(nn.Tanh())
        self.generator = nn.Sequential(*decoder)

    def set_normalisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store the training set's feature statistics (std is floored to avoid division by zero)."""
        self.feature_mean.copy_(mean)
        self.feature_std.copy_(std.clamp_min(1e-6))

    def normalise(self, features: torch.Tensor) -> torch.Tensor:
        """Raw MFCC summaries ``[batch, 104]`` -> zero mean, unit variance over the training set."""
        return (features - self.feature_mean) / self.feature_std

    def forward(self, features: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Raw features ``[batch, 104]`` -> images ``[batch, 3, size, size]`` in [-1, 1].

        ``noise``, if given, is added to the normalised features (in units of the
        training set's standard deviation).
        """
        normalised = self.normalise(features)
        if noise is not None:
            normalised = normalised + noise
        latent = self.encoder(normalised)
        return self.generator(latent[:, :, None, None])


class PatchDiscriminator(nn.Module):
    """A PatchGAN critic: one real/fake logit per overlapping patch (pix2pix's 70x70 design, scaled down).

    Args:
        size: Image size it judges; sets the depth so patches stay about a quarter of the image.
        channels: Channels of the first convolution, doubled at each following one.
    """

    def __init__(self, size: int, channels: int = 64) -> None:
        super().__init__()
        depth = max(2, min(3, int(math.log2(size)) - 3))
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 4, 2, 1), nn.LeakyReLU(_SLOPE)]
        width = channels
        for _ in range(depth - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.LeakyReLU(_SLOPE)
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``[batch, 3, size, size]`` -> patch logits ``[batch, 1, h, w]``."""
        return self.layers(images)

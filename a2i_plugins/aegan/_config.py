"""The shape of an AE-GAN and its file format, shared by the torch trainer and the numpy generator (no torch)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["FORMAT", "SIZES", "SLOPE", "AeganConfig"]

FORMAT = "a2i-aegan/1"
"""Value of the ``format`` metadata key of every AE-GAN model file."""

SIZES = (32, 64, 128, 256)
"""Image sizes a generator can be built for: one transposed convolution per doubling from 1x1."""

SLOPE = 0.2
"""LeakyReLU slope; the paper does not give one, 0.2 is the DCGAN choice."""

# Bounds a model file's config is checked against before anything is built from it: far above
# any trained model (104 features, 1024-wide layers, 256 channels), far below what would not fit.
_MAX_WIDTH = 8192
_MAX_HIDDEN_LAYERS = 16
_BOUNDS = (("size", 1, max(SIZES)), ("features", 1, _MAX_WIDTH), ("latent", 1, _MAX_WIDTH), ("channels", 1, 4096))


@dataclass(frozen=True)
class AeganConfig:
    """The shape of an AE-GAN, stored in every model file.

    Attributes:
        size: Output width and height (one of :data:`SIZES`).
        features: Length of the input feature vector (104 MFCC statistics, 136 with stereo and loudness).
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
        for name, low, high in _BOUNDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} is {value!r}, not a whole number from {low} to {high}")
        if not isinstance(self.hidden, tuple) or not 1 <= len(self.hidden) <= _MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden is {self.hidden!r}, not a list of 1 to {_MAX_HIDDEN_LAYERS} layer widths")
        for width in self.hidden:
            if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= _MAX_WIDTH:
                raise ValueError(f"hidden holds {width!r}, not a layer width from 1 to {_MAX_WIDTH}")
        if self.size not in SIZES:
            raise ValueError(f"size {self.size} is not one of {SIZES}")
        if self.channels >> (self.layers - 2) < 1:
            raise ValueError(f"channels {self.channels} cannot be halved {self.layers - 2} times")

    @property
    def layers(self) -> int:
        """Number of transposed convolutions: ``log2(size)``."""
        return int(math.log2(self.size))

    @property
    def encoder_widths(self) -> tuple[int, ...]:
        """Widths from the input through the hidden layers to the latent code."""
        return (self.features, *self.hidden, self.latent)

    @property
    def decoder_channels(self) -> tuple[int, ...]:
        """Channels from the latent code (at 1x1) through each transposed convolution to RGB."""
        return (self.latent, *(self.channels >> index for index in range(self.layers - 1)), 3)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reads it back."""
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_json(cls, data: object) -> AeganConfig:
        """The config written by :meth:`to_json`.

        Raises:
            ValueError: A phrase saying what is wrong: not an object, an unknown or missing
                field, or a value of the wrong type or outside its bounds.
        """
        if not isinstance(data, dict):
            raise ValueError(f"the config is a JSON {type(data).__name__}, not an object")
        names = {field.name for field in fields(cls)}
        unknown, missing = sorted(set(data) - names), sorted(names - set(data))
        if unknown:
            raise ValueError(f"the config has fields this version does not know: {', '.join(unknown)}")
        if missing:
            raise ValueError(f"the config lacks {', '.join(missing)}")
        hidden = data["hidden"]
        return cls(**{**data, "hidden": tuple(hidden) if isinstance(hidden, list) else hidden})

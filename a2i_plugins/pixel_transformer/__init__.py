"""Pixel transformer: FFT frames of a clip to a small picture, drawn pixel by pixel.

The seed paper's from-scratch transformer (section 3.2): the audio cut into
500 sections, the magnitude spectrum of each (220 values) linearly embedded
with sinusoidal positions into an encoder; a decoder that treats each pixel
value of a 32x32 grayscale picture as one of 256 classes, predicts the next
one with cross-entropy, and attends locally to the pixels before it. Beyond
the seed: an RGB mode, KV-cached sampling with temperature, top-k and top-p,
classifier-free guidance (the audio is dropped for a share of the training
pairs) and a ``default`` training preset that learns on a few thousand pairs.

Registers the generator ``pixel`` (chain ``fft>pixel``) and the trainer
``pixel`` (``a2i train pixel --data DIR --out DIR [--preset seed|default]``).
Importing this package imports no torch.
"""

from __future__ import annotations

from a2i_plugins.pixel_transformer._components import BUNDLED_WEIGHTS, PixelGenerator
from a2i_plugins.pixel_transformer._trainer import PixelTrainer
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["BUNDLED_WEIGHTS", "PixelGenerator", "PixelTrainer", "a2i_register_components", "a2i_register_trainers"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the ``pixel`` generator."""
    registry.add_generator(PixelGenerator())


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the ``pixel`` trainer."""
    registry.add_trainer(PixelTrainer())

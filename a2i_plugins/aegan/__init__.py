"""The MFCC AE-GAN (seed 003): sound features -> 5-layer MLP -> transposed convolutions -> image.

Registers two generators, each with a bundled model trained on the procedural
soundscapes: ``aegan-sharp`` (chain ``mfcc-stereo>aegan-sharp``, the app's
default: 136 MFCC, stereo and loudness features, 128 px, adversarially
trained) and ``aegan`` (chain ``mfcc>aegan``, the seed preset: 104 MFCC
statistics, 64 px); and the ``aegan`` trainer (``a2i train aegan --data DIR
--out DIR [--preset seed|default|sharp]``). The generators run the trained
network in numpy and never import torch, so the default chain starts fast;
torch is imported only inside ``train()``.
"""

from __future__ import annotations

from a2i_plugins.aegan._components import BUNDLED, BUNDLED_SHARP, AeganGenerator, AeganSharpGenerator
from a2i_plugins.aegan._trainer import PRESETS, AeganTrainer
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = [
    "BUNDLED",
    "BUNDLED_SHARP",
    "PRESETS",
    "AeganGenerator",
    "AeganSharpGenerator",
    "AeganTrainer",
    "a2i_register_components",
    "a2i_register_trainers",
]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the ``aegan-sharp`` and ``aegan`` generators."""
    registry.add_generator(AeganSharpGenerator())
    registry.add_generator(AeganGenerator())


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the ``aegan`` trainer."""
    registry.add_trainer(AeganTrainer())

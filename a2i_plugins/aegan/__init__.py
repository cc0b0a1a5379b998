"""The MFCC AE-GAN (seed 003): 104 MFCC statistics -> 5-layer MLP -> transposed convolutions -> image.

Registers the ``aegan`` generator (chain ``mfcc>aegan``, the app's default,
with a bundled model trained on the procedural soundscapes) and the ``aegan``
trainer (``a2i train aegan --data DIR --out DIR [--preset seed|default]``).
The generator runs the trained network in numpy and never imports torch, so
the default chain starts fast; torch is imported only inside ``train()``.
"""

from __future__ import annotations

from a2i_plugins.aegan._components import BUNDLED, AeganGenerator
from a2i_plugins.aegan._trainer import PRESETS, AeganTrainer
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["BUNDLED", "PRESETS", "AeganGenerator", "AeganTrainer", "a2i_register_components", "a2i_register_trainers"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the ``aegan`` generator."""
    registry.add_generator(AeganGenerator())


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the ``aegan`` trainer."""
    registry.add_trainer(AeganTrainer())

"""The ``lora`` trainer: Stable Diffusion LoRAs from captioned images or audio (``a2i train lora``).

The trainer itself lives in :mod:`a2i_studio.training.lora`; this built-in
plugin registers it through the same hook a third-party trainer uses, so the
CLI finds it like any other. Importing this module imports no torch.
"""

from __future__ import annotations

from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["a2i_register_trainers"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the ``lora`` trainer; it finds audio chains' encoders and adapters in ``registry``."""
    from a2i_studio.training.lora import LoraTrainer

    registry.add_trainer(LoraTrainer(registry))

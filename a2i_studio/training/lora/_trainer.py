"""The ``lora`` trainer: :class:`LoraSettings` as parameters, ``LoraLoop`` as its part of the run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import Registry
from a2i_studio.training._trainer import LoopTrainer
from a2i_studio.training.lora._settings import PRESETS, lora_params, settings_from

if TYPE_CHECKING:
    from a2i_studio.training import TrainingLoop, TrainingRun

__all__ = ["LoraTrainer"]


class LoraTrainer(LoopTrainer):
    """Trains a Stable Diffusion LoRA (``a2i train lora``, and the app's Train LoRA wizard).

    The data is a folder of images with captions (``.txt`` beside each image, or
    ``metadata.csv``), or a paired dataset whose labels fill a caption template,
    or whose clips condition the U-Net through an audio chain. The LoRA goes to
    the models dir's ``loras/NAME.safetensors``; ``--out`` gets the checkpoints
    (every ``checkpoint_every`` steps; the last and the best by the fixed-noise
    loss are kept), sample images, ``metrics.json`` and ``loss_curve.png``.

    Args:
        registry: Where the audio chain's components are found; ``None`` allows captions only.
    """

    id = "lora"
    name = "Stable Diffusion LoRA"
    description = "Train a LoRA for SD 1.x/2.x or unCLIP on captioned images or on audio through a chain."
    version = "1"
    presets = PRESETS
    resume_may_change = frozenset({
        "name", "max_steps", "checkpoint_every", "sample_every", "sample_steps", "sample_prompts", "sample_clips",
        "cache_latents", "gradient_checkpointing",
    })
    params = lora_params()

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Check the data and load the base model with its LoRA layers."""
        from a2i_studio.training.lora._run import LoraLoop

        return LoraLoop(data, out, settings_from(settings), self._registry, run)

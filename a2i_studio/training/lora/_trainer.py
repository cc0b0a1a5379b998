"""The ``lora`` trainer: :class:`LoraSettings` as parameters, :func:`train_lora` as the run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from a2i_studio.core import CancelToken, ProgressCallback, Registry, Trainer
from a2i_studio.training.lora._events import LoraRunEvents
from a2i_studio.training.lora._settings import lora_params, settings_from

__all__ = ["LoraTrainer"]


class LoraTrainer(Trainer):
    """Trains a Stable Diffusion LoRA (``a2i train lora``, and the app's Train LoRA wizard).

    The data is a folder of images with captions (``.txt`` beside each image, or
    ``metadata.csv``), or a paired dataset whose labels fill a caption template,
    or whose clips condition the U-Net through an audio chain. The LoRA goes to
    the models dir's ``loras/NAME.safetensors``; ``--out`` gets resumable
    checkpoints, sample images, ``metrics.json`` and ``loss_curve.png``.

    Pass a :class:`LoraRunEvents` as ``progress`` to get the loss of every step,
    the sample images and a pause switch as well.

    Args:
        registry: Where the audio chain's components are found; ``None`` allows captions only.
    """

    id = "lora"
    name = "Stable Diffusion LoRA"
    description = "Train a LoRA for SD 1.x/2.x or unCLIP on captioned images or on audio through a chain."
    version = "1"
    params = lora_params()

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry

    def train(
        self,
        data: Path,
        out: Path,
        settings: Mapping[str, Any],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Train and return the metrics (see :func:`~a2i_studio.training.lora.train_lora`).

        ``settings`` are applied over their preset: values given here win over the preset's.
        """
        from a2i_studio.training.lora._run import train_lora

        events = progress if isinstance(progress, LoraRunEvents) else LoraRunEvents(progress)
        return train_lora(Path(data), Path(out), settings_from(settings), registry=self._registry, events=events,
                          cancel=cancel)

"""Stable Diffusion LoRA training: settings and presets, data checks, the run, and its trainer.

Qt-free. Importing this package imports neither torch nor diffusers; the run
(:func:`train_lora`) imports torch, diffusers, peft and accelerate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2i_studio.training.lora._data import DataProblem, DataReport, LoraExample, bucket_sizes, scan_data
from a2i_studio.training.lora._events import LoraRunEvents, LoraStep
from a2i_studio.training.lora._settings import (
    DEFAULT_BASE,
    PRESETS,
    LoraSettings,
    lora_params,
    settings_from,
    write_settings_file,
)
from a2i_studio.training.lora._trainer import LoraTrainer

if TYPE_CHECKING:
    from a2i_studio.training.lora._run import train_lora
    from a2i_studio.training.lora._steps import TrainingDiverged

__all__ = [
    "DEFAULT_BASE",
    "PRESETS",
    "DataProblem",
    "DataReport",
    "LoraExample",
    "LoraRunEvents",
    "LoraSettings",
    "LoraStep",
    "LoraTrainer",
    "TrainingDiverged",
    "bucket_sizes",
    "lora_params",
    "scan_data",
    "settings_from",
    "train_lora",
    "write_settings_file",
]


def __getattr__(name: str) -> Any:
    """Import the torch-heavy names on first use."""
    if name == "train_lora":
        from a2i_studio.training.lora._run import train_lora

        return train_lora
    if name == "TrainingDiverged":
        from a2i_studio.training.lora._steps import TrainingDiverged

        return TrainingDiverged
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

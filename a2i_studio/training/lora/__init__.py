"""Stable Diffusion LoRA training: settings and presets, data checks, and the trainer.

Qt-free. Importing this package imports neither torch, diffusers nor Pillow,
so registering the trainer costs nothing at start-up; the data checks load
Pillow and a run torch, diffusers, peft and accelerate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2i_studio.training.lora._settings import DEFAULT_BASE, PRESETS, LoraSettings, lora_params, settings_from
from a2i_studio.training.lora._trainer import LoraTrainer

if TYPE_CHECKING:
    from a2i_studio.training.lora._data import DataProblem, DataReport, LoraExample, bucket_sizes, scan_data
    from a2i_studio.training.lora._steps import TrainingDiverged

__all__ = [
    "DEFAULT_BASE",
    "PRESETS",
    "DataProblem",
    "DataReport",
    "LoraExample",
    "LoraSettings",
    "LoraTrainer",
    "TrainingDiverged",
    "bucket_sizes",
    "lora_params",
    "scan_data",
    "settings_from",
]


_DATA_NAMES = ("DataProblem", "DataReport", "LoraExample", "bucket_sizes", "scan_data")


def __getattr__(name: str) -> Any:
    """Import the heavy names on first use: the data checks (Pillow) and the step (torch)."""
    if name in _DATA_NAMES:
        from a2i_studio.training.lora import _data

        return getattr(_data, name)
    if name == "TrainingDiverged":
        from a2i_studio.training.lora._steps import TrainingDiverged

        return TrainingDiverged
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

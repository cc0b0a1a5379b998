"""Pieces every trainer reuses: resumable checkpoints, epoch-seeded data order, reports.

Qt-free. The names load on first use (numpy and Pillow then; torch and
safetensors when a checkpoint function runs), so that registering a trainer
from :mod:`a2i_studio.training.lora` keeps ``a2i --help`` and
``a2i plugins list`` free of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2i_studio.training._checkpoints import (
        TrainingCheckpoint,
        load_training_checkpoint,
        save_training_checkpoint,
    )
    from a2i_studio.training._order import EpochShuffle, epoch_permutation
    from a2i_studio.training._reports import plot_loss_curves, write_json

__all__ = [
    "EpochShuffle",
    "TrainingCheckpoint",
    "epoch_permutation",
    "load_training_checkpoint",
    "plot_loss_curves",
    "save_training_checkpoint",
    "write_json",
]

_MODULES = {
    "TrainingCheckpoint": "_checkpoints",
    "load_training_checkpoint": "_checkpoints",
    "save_training_checkpoint": "_checkpoints",
    "EpochShuffle": "_order",
    "epoch_permutation": "_order",
    "plot_loss_curves": "_reports",
    "write_json": "_reports",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)

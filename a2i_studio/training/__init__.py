"""Pieces every trainer reuses: resumable checkpoints, epoch-seeded data order, reports.

Qt-free. Importing this package imports numpy and Pillow but not torch; the
checkpoint functions import torch and safetensors when called.
"""

from __future__ import annotations

from a2i_studio.training._checkpoints import TrainingCheckpoint, load_training_checkpoint, save_training_checkpoint
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

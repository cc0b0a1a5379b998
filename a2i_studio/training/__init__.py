"""The training template every trainer can build on, and the pieces it is made of.

:class:`LoopTrainer` keeps the trainer contract (presets, resume, ``--fresh``,
precision, checkpoints, cancel, pause and events) for a trainer that supplies
a :class:`TrainingLoop`: its data, model, one step, evaluation and the finished
model. The pieces are public for trainers that run their own loop: whole-folder
checkpoints (:class:`CheckpointStore`), epoch-seeded data order, the precision
choice, loss curves and metrics JSON.

Qt-free. The names load on first use (numpy and Pillow then; torch,
safetensors and accelerate only when a run starts), so that registering a
trainer keeps ``a2i --help`` and ``a2i plugins list`` free of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2i_studio.training._checkpoints import CheckpointStore, TrainingCheckpoint
    from a2i_studio.training._loop import COMMON_PARAMS, RunResult, Step, TrainingLoop, TrainingRun
    from a2i_studio.training._order import epoch_permutation, shuffled_batches
    from a2i_studio.training._precision import make_accelerator, native_bf16, resolve_precision
    from a2i_studio.training._reports import plot_loss_curves, write_json
    from a2i_studio.training._trainer import LoopTrainer

__all__ = [
    "COMMON_PARAMS",
    "CheckpointStore",
    "LoopTrainer",
    "RunResult",
    "Step",
    "TrainingCheckpoint",
    "TrainingLoop",
    "TrainingRun",
    "epoch_permutation",
    "make_accelerator",
    "native_bf16",
    "plot_loss_curves",
    "resolve_precision",
    "shuffled_batches",
    "write_json",
]

_MODULES = {
    "CheckpointStore": "_checkpoints",
    "TrainingCheckpoint": "_checkpoints",
    "COMMON_PARAMS": "_loop",
    "LoopTrainer": "_trainer",
    "RunResult": "_loop",
    "Step": "_loop",
    "TrainingLoop": "_loop",
    "TrainingRun": "_loop",
    "epoch_permutation": "_order",
    "shuffled_batches": "_order",
    "make_accelerator": "_precision",
    "native_bf16": "_precision",
    "resolve_precision": "_precision",
    "plot_loss_curves": "_reports",
    "write_json": "_reports",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)

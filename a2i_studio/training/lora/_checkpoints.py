"""Resumable LoRA checkpoints: one folder per saved step under ``OUT/checkpoints/``, the latest few kept.

Each folder is a :func:`a2i_studio.training.save_training_checkpoint` folder
whose counter is the optimisation step. It is written as ``step-N.partial``
and renamed when complete, so a run stopped while saving (or cancelled) never
leaves a half-written checkpoint where a resume would look.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from a2i_studio.training import TrainingCheckpoint, load_training_checkpoint, save_training_checkpoint

__all__ = ["latest_checkpoint", "list_checkpoints", "save_checkpoint"]

FOLDER = "checkpoints"


def list_checkpoints(out: Path) -> list[tuple[int, Path]]:
    """``(step, folder)`` of every complete checkpoint in ``out``, oldest first."""
    folder = out / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        name = child.name
        if child.is_dir() and name.startswith("step-") and name[5:].isdigit():
            found.append((int(name[5:]), child))
    return sorted(found)


def save_checkpoint(out: Path, checkpoint: TrainingCheckpoint, keep: int) -> Path:
    """Write ``checkpoint`` (its ``epoch`` holds the step) and delete all but the ``keep`` latest.

    Returns:
        The checkpoint's folder.
    """
    target = out / FOLDER / f"step-{checkpoint.epoch:06d}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    save_training_checkpoint(partial, checkpoint)
    if target.exists():  # the final save of a run resumed at its last step
        shutil.rmtree(target)
    os.replace(partial, target)
    for _, old in list_checkpoints(out)[:-keep]:
        shutil.rmtree(old)
    return target


def latest_checkpoint(out: Path) -> tuple[Path, TrainingCheckpoint] | None:
    """The newest checkpoint in ``out`` and its folder, or ``None`` when there is none.

    Raises:
        CheckpointError: If the newest one cannot be read.
    """
    found = list_checkpoints(out)
    if not found:
        return None
    folder = found[-1][1]
    checkpoint = load_training_checkpoint(folder)
    assert checkpoint is not None, f"{folder} lost its state file"
    return folder, checkpoint


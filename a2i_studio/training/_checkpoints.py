"""Training checkpoints: whole folders a run resumes from bit for bit; the last and the best are kept.

Every trainer keeps its checkpoints in ``OUT/checkpoints/step-NNNNNNNN/``, one
folder per save, holding:

- ``weights.safetensors``: every model's tensors, keys prefixed ``<model>.``;
- ``optimizer.pt``: optimizer and scheduler states and the torch RNG state,
  read back with ``torch.load(weights_only=True)``;
- ``state.json``: the step, the run it belongs to, its validation score,
  settings, loss history and anything else JSON.

A folder is written under a hidden temporary name and renamed into place
(:func:`a2i_studio.files.atomic_write`), so it exists whole or not at all: a
kill or a full disk mid-save leaves the previous checkpoints as they were.
After each save, only the newest checkpoint of the run and its best one (the
lowest score) are kept; checkpoints of an earlier run, one started over with
``--fresh``, go once the new run has saved its first.

accelerate's ``save_state``/``load_state`` is not used: it saves whole models
(the full U-Net for a LoRA), unpickles custom state with
``weights_only=False`` and writes its files in place, one by one.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from a2i_studio.errors import CheckpointError
from a2i_studio.files import atomic_write, is_disk_full, remove_stale_temps, temp_path

if TYPE_CHECKING:
    import torch

__all__ = ["CheckpointStore", "TrainingCheckpoint"]

WEIGHTS = "weights.safetensors"
OPTIMIZER = "optimizer.pt"
STATE = "state.json"
_PREFIX = "step-"


@dataclass
class TrainingCheckpoint:
    """What a run needs to go on where it stopped.

    Attributes:
        step: Optimisation steps done.
        run: Id of the run that wrote it (sortable: later runs sort after earlier ones).
        score: The validation metric that picks the best checkpoint (lower is better); ``None`` if none.
        weights: Model state dicts by model name (``"generator"``, ``"discriminator"``).
        optimizers: Optimizer and scheduler state dicts by name.
        rng_state: ``torch.get_rng_state()`` when it was saved.
        state: JSON data: settings, loss history, anything else.
    """

    step: int
    run: str
    score: float | None
    weights: dict[str, dict[str, torch.Tensor]]
    optimizers: dict[str, Any]
    rng_state: torch.Tensor
    state: dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    folder: Path
    run: str
    step: int
    score: float | None


class CheckpointStore:
    """The checkpoints of one run folder.

    Args:
        folder: Where checkpoint folders live, e.g. ``OUT/checkpoints``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, checkpoint: TrainingCheckpoint) -> tuple[Path, bool]:
        """Write ``checkpoint`` whole, then drop the checkpoints that are neither the newest nor the best.

        Returns:
            The new checkpoint's folder, and whether it is the best of its run so far.

        Raises:
            CheckpointError: If the disk is full (the checkpoints saved before are kept).
            OSError: For any other failure to write (the checkpoints saved before are kept).
        """
        target = self.folder / f"{_PREFIX}{checkpoint.step:08d}"
        if target.exists():  # left by an earlier run, one this run started over from
            aside = temp_path(target)
            os.replace(target, aside)
            shutil.rmtree(aside)
        try:
            atomic_write(target, lambda temp: _write(temp, checkpoint))
        except Exception as error:  # safetensors reports a full disk as its own SafetensorError
            if not is_disk_full(error):
                raise
            kept = self._newest()
            where = f"the checkpoint at step {kept.step} is kept in {kept.folder}" if kept else "none was saved before"
            raise CheckpointError(
                f"The disk is full: the checkpoint at step {checkpoint.step} could not be written to {self.folder} "
                f"({where}); free some space and run the same command again to resume."
            ) from None
        ours = [entry for entry in self._entries() if entry.run == checkpoint.run]
        best = _best(ours)
        for entry in self._entries():
            if entry.folder not in (target, best.folder if best else None):
                shutil.rmtree(entry.folder)
        remove_stale_temps(self.folder)
        return target, best is not None and best.folder == target

    def newest(self) -> tuple[int, Path] | None:
        """The step and folder of the newest checkpoint of the newest run, or ``None``."""
        newest = self._newest()
        return None if newest is None else (newest.step, newest.folder)

    def last(self) -> TrainingCheckpoint | None:
        """The newest checkpoint of the newest run, or ``None`` when there is none.

        Raises:
            CheckpointError: If it cannot be read, naming the file and what to do.
        """
        newest = self._newest()
        return None if newest is None else self.load(newest.folder)

    def best(self, run: str) -> TrainingCheckpoint | None:
        """The checkpoint of ``run`` with the lowest score, or ``None`` when none has one.

        Raises:
            CheckpointError: If it cannot be read.
        """
        best = _best([entry for entry in self._entries() if entry.run == run])
        return None if best is None else self.load(best.folder)

    def load(self, folder: Path) -> TrainingCheckpoint:
        """Read the checkpoint in ``folder``.

        Raises:
            CheckpointError: If a file is missing or damaged.
        """
        import torch
        from safetensors import SafetensorError, safe_open

        state = _read_state(folder)
        try:
            weights: dict[str, dict[str, torch.Tensor]] = {}
            with safe_open(str(folder / WEIGHTS), framework="pt") as handle:
                for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                    model, _, name = key.partition(".")
                    weights.setdefault(model, {})[name] = handle.get_tensor(key)
        except (OSError, SafetensorError) as error:
            raise _damaged(folder, WEIGHTS, error) from None
        try:
            extras = torch.load(folder / OPTIMIZER, weights_only=True)
            optimizers, rng_state = extras["optimizers"], extras["rng_state"]
        except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError, KeyError, TypeError) as error:
            raise _damaged(folder, OPTIMIZER, error) from None
        return TrainingCheckpoint(
            step=state.pop("step"), run=state.pop("run"), score=state.pop("score", None), weights=weights,
            optimizers=optimizers, rng_state=rng_state, state=state,
        )

    def _entries(self) -> list[_Entry]:
        if not self.folder.is_dir():
            return []
        entries = []
        for child in sorted(self.folder.glob(f"{_PREFIX}*")):
            if child.is_dir() and child.name[len(_PREFIX):].isdigit():
                state = _read_state(child)
                entries.append(_Entry(child, state["run"], state["step"], state.get("score")))
        return entries

    def _newest(self) -> _Entry | None:
        return max(self._entries(), key=lambda entry: (entry.run, entry.step), default=None)


def _best(entries: list[_Entry]) -> _Entry | None:
    """The entry with the lowest score; the earliest on a tie."""
    scored = [entry for entry in entries if entry.score is not None]
    return min(scored, key=lambda entry: (entry.score, entry.step), default=None)


def _write(folder: Path, checkpoint: TrainingCheckpoint) -> None:
    import torch
    from safetensors.torch import save_file

    folder.mkdir()
    flat = {
        f"{model}.{key}": tensor.detach().to("cpu").contiguous()
        for model, tensors in checkpoint.weights.items()
        for key, tensor in tensors.items()
    }
    save_file(flat, str(folder / WEIGHTS))
    with (folder / OPTIMIZER).open("wb") as handle:
        writer = _Writer(handle)
        try:
            # torch only calls write and flush, which _Writer has.
            torch.save({"optimizers": checkpoint.optimizers, "rng_state": checkpoint.rng_state},
                       cast(BinaryIO, writer))
        except RuntimeError:
            if writer.error is not None:  # torch reports a failed write as its own "enforce fail"
                raise writer.error from None
            raise
    state = {**checkpoint.state, "step": checkpoint.step, "run": checkpoint.run, "score": checkpoint.score}
    (folder / STATE).write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    for name in (WEIGHTS, OPTIMIZER, STATE):
        with (folder / name).open("rb") as handle:
            os.fsync(handle.fileno())


class _Writer:
    """A binary file for ``torch.save`` that keeps the ``OSError`` of a failed write (a full disk)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._handle.write(data)
        except OSError as error:
            self.error = error
            raise

    def flush(self) -> None:
        self._handle.flush()


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads((folder / STATE).read_text(encoding="utf-8"))
        state["step"], state["run"] = int(state["step"]), str(state["run"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _damaged(folder, STATE, error) from None
    return state


def _damaged(folder: Path, name: str, error: BaseException) -> CheckpointError:
    # The library's own words, cut to their first sentence: some run to a paragraph of advice.
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0].split(". ")[0].rstrip(".")[:120]
    return CheckpointError(
        f"The training checkpoint {folder} cannot be read: {name} is damaged ({reason}); delete that folder to "
        "resume from the checkpoint before it, or run again with --fresh to start over."
    )

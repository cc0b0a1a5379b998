"""Per-epoch training checkpoints that a run resumes from bit for bit.

A checkpoint folder holds three files, each replaced atomically:

- ``weights.safetensors``: every model's tensors, keys prefixed ``<model>.``;
- ``optimizer.pt``: optimizer states and the torch RNG state, read back with
  ``torch.load(weights_only=True)``;
- ``state.json``: the epoch, settings, loss history and anything else JSON.

Each file records the epoch it was written for; a folder whose files disagree
(a crash between two writes) is refused rather than resumed from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.errors import CheckpointError
from a2i_studio.files import atomic_write

if TYPE_CHECKING:
    import torch

__all__ = ["TrainingCheckpoint", "load_training_checkpoint", "save_training_checkpoint"]

WEIGHTS = "weights.safetensors"
OPTIMIZER = "optimizer.pt"
STATE = "state.json"


@dataclass
class TrainingCheckpoint:
    """What a run needs to go on where it stopped.

    Attributes:
        epoch: Number of epochs completed.
        weights: Model state dicts by model name (``"generator"``, ``"discriminator"``).
        optimizers: Optimizer state dicts by name.
        rng_state: ``torch.get_rng_state()`` at the end of the epoch.
        state: JSON data: settings, loss history, normalisation, ...
    """

    epoch: int
    weights: dict[str, dict[str, torch.Tensor]]
    optimizers: dict[str, dict[str, Any]]
    rng_state: torch.Tensor
    state: dict[str, Any]


def save_training_checkpoint(folder: Path, checkpoint: TrainingCheckpoint) -> None:
    """Write ``checkpoint`` into ``folder`` (created if missing), replacing what was there.

    Args:
        folder: The checkpoint folder, e.g. ``OUT/checkpoint``.
        checkpoint: What to save; tensors may live on any device.
    """
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    flat = {
        f"{model}.{key}": tensor.detach().to("cpu").contiguous()
        for model, tensors in checkpoint.weights.items()
        for key, tensor in tensors.items()
    }
    epoch = str(checkpoint.epoch)
    _atomic(folder / WEIGHTS, lambda path: save_file(flat, str(path), metadata={"epoch": epoch}))
    extras = {"epoch": checkpoint.epoch, "optimizers": checkpoint.optimizers, "rng_state": checkpoint.rng_state}
    _atomic(folder / OPTIMIZER, lambda path: torch.save(extras, path))
    text = json.dumps({**checkpoint.state, "epoch": checkpoint.epoch}, indent=2, sort_keys=True)
    _atomic(folder / STATE, lambda path: path.write_text(text, encoding="utf-8"))


def load_training_checkpoint(folder: Path) -> TrainingCheckpoint | None:
    """Read the checkpoint in ``folder``; ``None`` if there is none.

    Raises:
        CheckpointError: If the files are unreadable or were written for different epochs.
    """
    import torch
    from safetensors import SafetensorError, safe_open

    if not (folder / STATE).exists():
        return None
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        weights: dict[str, dict[str, torch.Tensor]] = {}
        with safe_open(str(folder / WEIGHTS), framework="pt") as handle:
            weights_epoch = int((handle.metadata() or {}).get("epoch", -1))
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                model, _, name = key.partition(".")
                weights.setdefault(model, {})[name] = handle.get_tensor(key)
        extras = torch.load(folder / OPTIMIZER, weights_only=True)
    except (OSError, ValueError, RuntimeError, SafetensorError) as error:
        raise CheckpointError(
            f"Training checkpoint {folder} cannot be read ({error}); delete it to start over."
        ) from None
    epochs = {int(state["epoch"]), weights_epoch, int(extras["epoch"])}
    if len(epochs) != 1:
        raise CheckpointError(
            f"Training checkpoint {folder} mixes epochs {sorted(epochs)} (interrupted while saving); "
            "delete it to start over."
        )
    return TrainingCheckpoint(
        epoch=int(state.pop("epoch")),
        weights=weights,
        optimizers=extras["optimizers"],
        rng_state=extras["rng_state"],
        state=state,
    )


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    atomic_write(path, write)


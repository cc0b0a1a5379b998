"""One-file checkpoints: the weights in safetensors, the model's shape and a summary in its metadata."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from a2i_plugins.pixel_transformer._config import PixelConfig
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_studio.errors import CheckpointError
from a2i_studio.files import atomic_write
from a2i_studio.weights import check_format, json_metadata

__all__ = ["FORMAT", "load_model", "save_model"]

FORMAT = "a2i-pixel-transformer/1"
"""The ``format`` entry of a checkpoint's metadata."""


def save_model(model: PixelTransformer, path: Path, info: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` (``.safetensors``) atomically, with its config and ``info`` as metadata.

    Args:
        model: The model; its weights are saved as float32.
        path: The file to write.
        info: JSON-ready notes kept beside the weights (data, epochs, metrics).

    Returns:
        ``path``.
    """
    state = {name: tensor.detach().to("cpu", torch.float32).contiguous() for name, tensor in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.config.to_dict()),
        "info": json.dumps(info or {}),
    }
    atomic_write(path, lambda temp: save_file(state, str(temp), metadata=metadata))
    return path


def load_model(
    path: Path, device: str = "cpu", dtype: torch.dtype = torch.float32
) -> tuple[PixelTransformer, dict[str, Any]]:
    """Read a checkpoint written by :func:`save_model`.

    The config in the file's metadata is checked against its bounds, and the
    number of weights the file holds against the number its config describes
    (:attr:`PixelConfig.weight_count`), before any weights are allocated: a small
    file cannot ask for a huge model.

    Args:
        path: The ``.safetensors`` file.
        device: Where to put the model.
        dtype: The dtype of its weights.

    Returns:
        The model in eval mode, and the ``info`` saved with it.

    Raises:
        CheckpointError: If the file is not a pixel transformer checkpoint, its metadata is damaged,
            or it does not fit its own config; one sentence naming the file.
    """
    check_format(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            shapes = {name: tuple(handle.get_slice(name).get_shape()) for name in handle.keys()}  # noqa: SIM118
    except Exception as error:  # any parse failure means a damaged file
        raise CheckpointError(f"{path} could not be read as safetensors ({error}); fetch or train it again.") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a pixel transformer checkpoint (format {metadata.get('format')!r}, expected {FORMAT})."
        )
    config = PixelConfig.from_dict(json_metadata(metadata, "config", path), str(path))
    info = json_metadata(metadata, "info", path, required=False)
    stored = sum(math.prod(shape) for shape in shapes.values())
    if stored != config.weight_count:
        raise CheckpointError(
            f"{path} does not fit its own model settings (it holds {stored:,} weights, its settings describe "
            f"{config.weight_count:,}); train it again."
        )
    model = PixelTransformer(config)
    try:
        state = load_file(str(path))
    except (OSError, SafetensorError) as error:
        raise CheckpointError(f"{path} could not be read as safetensors ({error}); fetch or train it again.") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = str(error).strip().splitlines()[0]
        raise CheckpointError(f"{path} does not fit its own model settings ({reason}); train it again.") from None
    return model.to(device, dtype).eval(), info

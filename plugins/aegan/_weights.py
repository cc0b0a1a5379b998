"""AE-GAN model files: one ``.safetensors`` with the weights and the config in its metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from a2i_plugins.aegan._network import AeganConfig, AeganNet
from a2i_studio.errors import CheckpointError

__all__ = ["FORMAT", "load_model", "save_model"]

FORMAT = "a2i-aegan/1"
"""Value of the ``format`` metadata key of every AE-GAN model file."""


def save_model(path: Path, net: AeganNet, info: dict[str, Any] | None = None, *, half: bool = False) -> None:
    """Write ``net`` (weights, batch-norm statistics, feature normalisation) to ``path``.

    Args:
        path: A ``.safetensors`` file.
        net: The network, on any device.
        info: JSON-ready facts stored beside the config (labels, data, metrics).
        half: Store float16 (half the size; outputs change in the 3rd decimal).
    """
    dtype = torch.float16 if half else torch.float32
    tensors = {
        key: tensor.detach().to("cpu", dtype if tensor.is_floating_point() else tensor.dtype).contiguous()
        for key, tensor in net.state_dict().items()
    }
    metadata = {"format": FORMAT, "config": json.dumps(net.config.to_json()), "info": json.dumps(info or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def load_model(path: Path, device: str = "cpu", dtype: torch.dtype = torch.float32) -> tuple[AeganNet, dict[str, Any]]:
    """Read a model file written by :func:`save_model`, in eval mode on ``device``.

    Returns:
        The network and its ``info`` dict.

    Raises:
        CheckpointError: If the file is not an AE-GAN model file or does not fit its config.
    """
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 - not a mapping
    except (OSError, SafetensorError) as error:
        raise CheckpointError(
            f"{path} is not a readable .safetensors file ({error}); download or train it again."
        ) from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an AE-GAN model (format {metadata.get('format')!r}, expected {FORMAT}); "
            "pass a file written by 'a2i train aegan'."
        )
    net = AeganNet(AeganConfig.from_json(json.loads(metadata["config"])))
    try:
        net.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in tensors.items()})
    except RuntimeError as error:
        raise CheckpointError(f"{path} does not fit its own config ({error}); the file is damaged.") from None
    return net.to(device, dtype).eval(), json.loads(metadata.get("info", "{}"))

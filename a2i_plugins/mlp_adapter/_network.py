"""The MLP, its target modes, and the adapter file format (safetensors + JSON config).

Target modes, after the seed systems:

- ``sequence``: predict every token of a CLIP text space (77 x D);
- ``first-n``: predict the first ``tokens`` tokens (the seeds used 20) and take the
  rest from the empty prompt's embedding (``padding="empty"``) or zeros (``"zeros"``,
  as the SD3 V2D mapper did); for ``sd3-text`` the pooled vector is predicted too;
- ``pooled``: predict only SD3's pooled 2048-d vector; the sequence is the empty prompt's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from a2i_studio.core import SD3_TEXT, Space
from a2i_studio.errors import CheckpointError
from a2i_studio.files import atomic_write, atomic_write_json
from a2i_studio.weights import load_state_dict

__all__ = [
    "AdapterNetwork",
    "flatten_input",
    "input_dim",
    "load_adapter",
    "save_adapter",
    "split_target",
    "target_size",
]



def _sequence_shape(space: Space) -> tuple[int, int]:
    shape = dict(space.parts)["sequence"] if space.parts else space.shape
    return int(shape[0] or 0), int(shape[1] or 0)


def target_size(space: Space, target: str, tokens: int) -> int:
    """How many numbers the MLP predicts for ``space`` in mode ``target``."""
    length, width = _sequence_shape(space)
    pooled = int(dict(space.parts)["pooled"][0] or 0) if space.parts else 0
    if target == "pooled":
        return pooled
    return (length if target == "sequence" else tokens) * width + pooled


def split_target(value: Any, space: Space, target: str, tokens: int) -> torch.Tensor:
    """The part of a full value (``[77, D]``, or SD3's dict) that the MLP learns, flattened."""
    if space.parts:
        pooled = value["pooled"].flatten()
        if target == "pooled":
            return pooled
        sequence = value["sequence"] if target == "sequence" else value["sequence"][:tokens]
        return torch.cat([pooled, sequence.flatten()])
    return (value if target == "sequence" else value[:tokens]).flatten()


class AdapterNetwork(nn.Module):
    """Standardised input -> MLP -> the learnt part, completed by the fixed part into a full value.

    Args:
        config: The adapter config (see :func:`save_adapter`).
        output_space: The space of the full value.
    """

    input_mean: torch.Tensor
    input_std: torch.Tensor
    fill_sequence: torch.Tensor
    fill_pooled: torch.Tensor

    def __init__(self, config: Mapping[str, Any], output_space: Space) -> None:
        super().__init__()
        self.config = dict(config)
        self.output_space = output_space
        sizes = [config["input_dim"], *config["hidden"]]
        layers: list[nn.Module] = []
        for width_in, width_out in pairwise(sizes):
            layers += [nn.Linear(width_in, width_out), _norm(config["norm"], width_out), nn.GELU()]
            layers.append(nn.Dropout(config["dropout"]))
        layers.append(nn.Linear(sizes[-1], target_size(output_space, config["target"], config["tokens"])))
        self.mlp = nn.Sequential(*layers)
        self.register_buffer("input_mean", torch.zeros(config["input_dim"]))
        self.register_buffer("input_std", torch.ones(config["input_dim"]))
        length, width = _sequence_shape(output_space)
        self.register_buffer("fill_sequence", torch.zeros(length, width))
        self.register_buffer("fill_pooled", torch.zeros(target_size(output_space, "pooled", 0)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``[batch, input_dim]`` features -> ``[batch, target_size]`` predictions."""
        return self.mlp((features - self.input_mean) / self.input_std)

    def complete(self, prediction: torch.Tensor) -> Any:
        """One prediction ``[target_size]`` -> a full value of the output space."""
        target, tokens = self.config["target"], self.config["tokens"]
        length = _sequence_shape(self.output_space)[0]
        if self.output_space == SD3_TEXT:
            pooled_size = self.fill_pooled.shape[0]
            pooled = prediction[:pooled_size] if target != "pooled" else prediction
            rest = prediction[pooled_size:] if target != "pooled" else prediction[:0]
            return {"pooled": pooled, "sequence": self._fill(rest, tokens if target == "first-n" else 0)}
        return self._fill(prediction, length if target == "sequence" else tokens)

    def _fill(self, flat: torch.Tensor, tokens: int) -> torch.Tensor:
        sequence = self.fill_sequence.clone().to(flat.dtype)
        sequence[:tokens] = flat.reshape(tokens, sequence.shape[1])
        return sequence


def _norm(kind: str, width: int) -> nn.Module:
    return {"layer": lambda: nn.LayerNorm(width), "batch": lambda: nn.BatchNorm1d(width), "none": nn.Identity}[kind]()


def flatten_input(value: torch.Tensor, space: Space) -> torch.Tensor:
    """A value of an encoder space as one vector: sequences are averaged over frames, the rest flattened."""
    vector = torch.as_tensor(value).float()  # numpy-only encoders (mfcc) hand over arrays
    if space.shape and space.shape[0] is None:
        return vector.mean(dim=0)
    return vector.flatten()


def input_dim(space: Space) -> int:
    """The length of :func:`flatten_input`'s vector for ``space``."""
    sizes = space.shape[1:] if space.shape and space.shape[0] is None else space.shape
    return math.prod(int(size or 0) for size in sizes)


def save_adapter(network: AdapterNetwork, folder: Path) -> Path:
    """Write ``<id>.safetensors`` and ``<id>.json`` into ``folder`` (atomically); return the weights path."""
    adapter_id = network.config["id"]
    weights = folder / f"{adapter_id}.safetensors"
    tensors = {key: value.contiguous() for key, value in network.state_dict().items()}
    atomic_write(weights, lambda temp: save_file(tensors, str(temp)))
    atomic_write_json(folder / f"{adapter_id}.json", network.config)
    return weights


def load_adapter(weights: Path, config: Mapping[str, Any], output_space: Space) -> AdapterNetwork:
    """Build the network ``config`` describes and load ``weights`` into it (strictly).

    Raises:
        CheckpointError: If the file does not fit the config.
    """
    network = AdapterNetwork(config, output_space)
    try:
        network.load_state_dict(load_state_dict(weights))
    except RuntimeError as error:
        raise CheckpointError(f"{weights} does not fit its config {weights.with_suffix('.json')} ({error}).") from None
    return network.eval()

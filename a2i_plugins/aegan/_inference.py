"""The trained AE-GAN in numpy: what the ``aegan`` generators run, so the default chain never imports torch.

:func:`load_model` reads a file written by ``a2i train aegan`` (``save_model``) as
numpy arrays (safetensors' ``framework="np"``, which also gives the metadata);
:class:`NumpyAegan` runs the same network as the torch
``AeganNet`` in eval mode, in float32: five linear layers with LeakyReLU, then
transposed convolutions (kernel 4, stride 2, padding 1) with batch norm folded
into the weights and a per-channel shift, LeakyReLU, and Tanh at the end.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open

from a2i_plugins.aegan._config import FORMAT, SLOPE, AeganConfig
from a2i_studio.errors import CheckpointError
from a2i_studio.weights import json_metadata

__all__ = ["NumpyAegan", "load_model"]

_BATCH_NORM_EPS = 1e-5  # torch's BatchNorm2d default, which AeganNet uses


class NumpyAegan:
    """An AE-GAN generator, raw feature vector -> image, built from a model file's tensors.

    The feature length is the config's (104 for ``mfcc``, 136 for ``mfcc-stereo``).

    Args:
        config: The network's shape.
        tensors: The ``AeganNet`` state dict as float arrays, by key.

    Raises:
        KeyError: If a tensor is missing.
        ValueError: If a tensor does not have the shape ``config`` gives it.
    """

    def __init__(self, config: AeganConfig, tensors: dict[str, np.ndarray]) -> None:
        def take(key: str, shape: tuple[int, ...]) -> np.ndarray:
            array = tensors[key].astype(np.float32)
            if array.shape != shape:
                raise ValueError(f"{key} has shape {array.shape}, the config needs {shape}")
            return array

        self.config = config
        self.mean = take("feature_mean", (config.features,))
        self.std = take("feature_std", (config.features,))
        # Linear layers sit at even indices of the encoder Sequential (LeakyReLU between), stored as x @ weight.
        self.linear = [
            (take(f"encoder.{2 * index}.weight", (width_out, width_in)).T.copy(),
             take(f"encoder.{2 * index}.bias", (width_out,)))
            for index, (width_in, width_out) in enumerate(itertools.pairwise(config.encoder_widths))
        ]
        # Each transposed convolution is followed by BatchNorm2d and LeakyReLU (3 modules), the last by Tanh only.
        # Its weight [in, out, ky, kx] becomes [in, ky * kx * out] so one matmul computes all 16 taps, with the batch
        # norm's scale folded in and its shift kept (the last layer has a bias instead).
        self.up: list[tuple[np.ndarray, np.ndarray]] = []
        for index, (channels_in, channels_out) in enumerate(itertools.pairwise(config.decoder_channels)):
            weight = take(f"generator.{3 * index}.weight", (channels_in, channels_out, 4, 4)).transpose(0, 2, 3, 1)
            scale: np.ndarray
            if index == config.layers - 1:
                scale, shift = np.ones(channels_out, np.float32), take(f"generator.{3 * index}.bias", (channels_out,))
            else:
                norm = f"generator.{3 * index + 1}"
                variance = take(f"{norm}.running_var", (channels_out,))
                scale = take(f"{norm}.weight", (channels_out,)) / np.sqrt(variance + _BATCH_NORM_EPS)
                shift = take(f"{norm}.bias", (channels_out,)) - take(f"{norm}.running_mean", (channels_out,)) * scale
            self.up.append(((weight * scale).reshape(channels_in, 16 * channels_out), shift))

    def __call__(self, features: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
        """Raw features ``[batch, features]`` -> images ``[batch, size, size, 3]`` (channels last) in [-1, 1].

        ``noise``, if given, is added to the normalised features (in units of the
        training set's standard deviation).
        """
        hidden = (features.astype(np.float32) - self.mean) / self.std
        if noise is not None:
            hidden = hidden + noise
        for weight, bias in self.linear:
            hidden = _leaky_relu(hidden @ weight + bias)
        images = hidden[:, None, None, :]  # the latent code as a 1x1 image, channels last
        for index, (weight, shift) in enumerate(self.up):
            images = _transposed_convolution(images, weight) + shift
            images = np.tanh(images) if index == len(self.up) - 1 else _leaky_relu(images)
        return images


def _transposed_convolution(images: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` on channels-last ``[batch, h, w, in]``.

    Input pixel ``(i, j)`` adds ``x[i, j] @ w[:, ky, kx]`` to output pixel
    ``(2i + ky - 1, 2j + kx - 1)``: one matmul gives every tap's contribution,
    then each of the 16 taps is added into a stride-2 view of an output one
    pixel larger on each side, and the padding is cut off.
    """
    batch, height, width, _ = images.shape
    taps = (images @ weight).reshape(batch, height, width, 4, 4, -1)
    full = np.zeros((batch, 2 * height + 2, 2 * width + 2, taps.shape[-1]), dtype=np.float32)
    for ky, kx in itertools.product(range(4), range(4)):
        full[:, ky : ky + 2 * height : 2, kx : kx + 2 * width : 2] += taps[:, :, :, ky, kx]
    return full[:, 1:-1, 1:-1]


def _leaky_relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, SLOPE * values)


def load_model(path: Path) -> tuple[NumpyAegan, dict[str, Any]]:
    """Read a model file written by ``save_model`` (float16 or float32) into a :class:`NumpyAegan`.

    Returns:
        The network and its ``info`` dict.

    Raises:
        CheckpointError: If the file is not an AE-GAN model file or does not fit its config.
    """
    try:
        with safe_open(str(path), framework="np") as handle:
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
    try:
        config = AeganConfig.from_json(json_metadata(metadata, "config", path))
    except ValueError as error:
        raise CheckpointError(f"{path} holds invalid model settings ({error}); train or download it again.") from None
    info = json_metadata(metadata, "info", path, required=False)
    try:
        net = NumpyAegan(config, tensors)
    except (KeyError, ValueError) as error:
        raise CheckpointError(f"{path} does not fit its own config ({error}); the file is damaged.") from None
    return net, info

"""The VGGish network, with state-dict names of the widely used PyTorch port (harritaylor/torchvggish).

``features.N`` is the convolution stack, ``embeddings.N`` the 4096-4096-128 head
and ``pproc.pca_eigen_vectors`` / ``pproc.pca_means`` the optional PCA whitening
of the AudioSet release, so the port's released weights, and a state dict saved
from the port's own module, load as they are. The
layer widths are read from the checkpoint, so a small test model loads through
the same code as the real one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from a2i_studio.errors import CheckpointError

__all__ = ["POSTPROCESSING", "VGGish"]

POSTPROCESSING = ("raw", "pca", "quantized")
"""``raw`` head output; ``pca`` whitened; ``quantized`` as AudioSet's released 8-bit embeddings (0-255)."""

_REAL_CHANNELS = (64, 128, 256, 256, 512, 512)
_POOL_AFTER = (0, 1, 3, 5)  # max-pool after these convolutions: 96x64 -> 6x4
_QUANTIZE_RANGE = (-2.0, 2.0)


class Postprocessor(nn.Module):
    """PCA whitening and 8-bit quantisation of raw embeddings (AudioSet's release format)."""

    pca_eigen_vectors: torch.Tensor
    pca_means: torch.Tensor

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("pca_eigen_vectors", torch.eye(size))
        self.register_buffer("pca_means", torch.zeros(size, 1))

    def forward(self, embeddings: torch.Tensor, mode: str) -> torch.Tensor:
        """Apply ``mode`` (one of :data:`POSTPROCESSING`) to ``[n, size]`` embeddings."""
        if mode == "raw":
            return embeddings
        whitened = (embeddings - self.pca_means.T) @ self.pca_eigen_vectors.T
        if mode == "pca":
            return whitened
        low, high = _QUANTIZE_RANGE
        return torch.round((whitened.clamp(low, high) - low) * (255.0 / (high - low)))


class VGGish(nn.Module):
    """VGGish: ``[n, 96, 64]`` log-mel examples -> ``[n, embedding]`` (128 for the real model).

    Args:
        channels: Output channels of the six convolutions.
        hidden: Width of the two hidden layers of the head.
        embedding: Size of the embedding.
    """

    def __init__(self, channels: Sequence[int] = _REAL_CHANNELS, hidden: int = 4096, embedding: int = 128) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for index, width in enumerate(channels):
            layers += [nn.Conv2d(previous, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            if index in _POOL_AFTER:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            previous = width
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(
            nn.Linear(previous * 6 * 4, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, embedding),
            nn.ReLU(inplace=True),
        )
        self.pproc = Postprocessor(embedding)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, torch.Tensor]) -> VGGish:
        """Build a model whose widths fit ``state`` and load it (strictly).

        Raises:
            CheckpointError: If ``state`` is not a VGGish state dict.
        """
        try:
            convs = sorted(
                (int(key.split(".")[1]), tensor) for key, tensor in state.items()
                if key.startswith("features.") and key.endswith(".weight")
            )
            model = cls(
                channels=[tensor.shape[0] for _, tensor in convs],
                hidden=state["embeddings.0.weight"].shape[0],
                embedding=state["embeddings.4.weight"].shape[0],
            )
            model.load_state_dict(state)
        except (KeyError, RuntimeError, ValueError) as error:
            raise CheckpointError(f"The checkpoint is not a VGGish state dict ({error}).") from None
        return model

    def forward(self, log_mel: torch.Tensor, postprocess: str = "raw") -> torch.Tensor:
        """Embed ``[n, 96, 64]`` log-mel examples; ``postprocess`` is one of :data:`POSTPROCESSING`."""
        maps = self.features(log_mel.unsqueeze(1))
        # Flatten as TensorFlow did (height, width, channels), which the head's weights expect.
        flat = maps.permute(0, 2, 3, 1).flatten(1)
        return self.pproc(self.embeddings(flat), postprocess)

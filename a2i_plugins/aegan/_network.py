"""The AE-GAN networks in torch, for training: feature MLP, transposed-convolution generator, PatchGAN critics.

Imported only inside ``train()`` (it imports torch). :func:`save_model` writes
the trained network to one ``.safetensors`` with the config in its metadata;
the ``aegan`` generator reads it back and runs it in numpy
(:mod:`a2i_plugins.aegan._inference`).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn import functional

from a2i_plugins.aegan._config import FORMAT, SLOPE, AeganConfig

__all__ = ["AeganNet", "AttributeCritic", "MultiScaleDiscriminator", "PatchDiscriminator", "save_model"]


class AeganNet(nn.Module):
    """Normalised MFCC summary -> latent (5 linear layers) -> image (transposed convolutions).

    The feature mean and standard deviation of the training set are buffers, so
    they travel with the weights and the generator takes raw MFCC summaries.

    Args:
        config: The network's shape.
    """

    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, config: AeganConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("feature_mean", torch.zeros(config.features))
        self.register_buffer("feature_std", torch.ones(config.features))
        encoder: list[nn.Module] = []
        for width_in, width_out in itertools.pairwise(config.encoder_widths):
            encoder += [nn.Linear(width_in, width_out), nn.LeakyReLU(SLOPE)]
        self.encoder = nn.Sequential(*encoder)
        decoder: list[nn.Module] = []
        for index, (channels_in, channels_out) in enumerate(itertools.pairwise(config.decoder_channels)):
            last = index == config.layers - 1
            decoder.append(nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=last))
            if not last:
                decoder += [nn.BatchNorm2d(channels_out), nn.LeakyReLU(SLOPE)]
        decoder.append(nn.Tanh())
        self.generator = nn.Sequential(*decoder)

    def set_normalisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store the training set's feature statistics (std is floored to avoid division by zero)."""
        self.feature_mean.copy_(mean)
        self.feature_std.copy_(std.clamp_min(1e-6))

    def normalise(self, features: torch.Tensor) -> torch.Tensor:
        """Raw feature vectors ``[batch, features]`` -> zero mean, unit variance over the training set."""
        return (features - self.feature_mean) / self.feature_std

    def forward(self, features: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Raw features ``[batch, features]`` -> images ``[batch, 3, size, size]`` in [-1, 1].

        ``noise``, if given, is added to the normalised features (in units of the
        training set's standard deviation), as the generator's ``variation`` does.
        """
        normalised = self.normalise(features)
        if noise is not None:
            normalised = normalised + noise
        latent = self.encoder(normalised)
        return self.generator(latent[:, :, None, None])


class PatchDiscriminator(nn.Module):
    """A PatchGAN critic: one real/fake logit per overlapping patch (pix2pix's 70x70 design, scaled down).

    Args:
        size: Image size it judges; sets the depth so patches stay about a quarter of the image.
        channels: Channels of the first convolution, doubled at each following one.
    """

    def __init__(self, size: int, channels: int = 64) -> None:
        super().__init__()
        depth = max(2, min(3, int(math.log2(size)) - 3))
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 4, 2, 1), nn.LeakyReLU(SLOPE)]
        width = channels
        for _ in range(depth - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.LeakyReLU(SLOPE)
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``[batch, 3, size, size]`` -> patch logits ``[batch, 1, h, w]``."""
        return self.layers(images)

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The activations after each LeakyReLU, then the patch logits (what feature matching compares)."""
        outputs = []
        for layer in self.layers:
            images = layer(images)
            if isinstance(layer, nn.LeakyReLU):
                outputs.append(images)
        return [*outputs, images]


class MultiScaleDiscriminator(nn.Module):
    """PatchGAN critics of the image at full size and at successive halvings (pix2pixHD's multi-scale critic).

    The full-size critic judges texture and edges, the smaller ones larger
    structures with the same patch size.

    Args:
        size: Image size at full scale.
        scales: Number of critics; critic ``k`` sees the image average-pooled ``2**k`` times smaller.
        channels: Channels of each critic's first convolution.
    """

    def __init__(self, size: int, scales: int = 1, channels: int = 64) -> None:
        super().__init__()
        self.critics = nn.ModuleList(PatchDiscriminator(size >> scale, channels) for scale in range(scales))

    def features(self, images: torch.Tensor) -> list[list[torch.Tensor]]:
        """Each critic's :meth:`PatchDiscriminator.features`, full size first; the last of each list is its logits."""
        outputs = []
        for index, critic in enumerate(self.critics):
            assert isinstance(critic, PatchDiscriminator)  # for the type checker: the list holds nothing else
            if index:
                images = functional.avg_pool2d(images, 2)
            outputs.append(critic.features(images))
        return outputs


class AttributeCritic(nn.Module):
    """Reads a picture's attributes (rain intensity, number of birds, where the source is) from it and its class.

    The auxiliary regressor of an AC-GAN: trained on real pictures only, it
    tells the generator how far its picture is from showing the sound's
    attributes. Four strided convolutions over the picture (area-pooled to
    128 px if larger: birds are a few pixels), then the map (8x8 at 128 px)
    flattened (a horizontal position survives, which a
    global pool would lose) beside the class one-hot.

    Args:
        size: Image size it is given.
        classes: Number of classes; class ``-1`` enters as all zeros.
        outputs: Number of attributes.
        channels: Channels of the first convolution, doubled (up to 4x) at each following one.
    """

    def __init__(self, size: int, classes: int, outputs: int, channels: int = 32) -> None:
        super().__init__()
        self.classes = classes
        self.pool = max(1, size // 128)
        widths = (3, channels, channels * 2, channels * 4, channels * 4)
        layers: list[nn.Module] = []
        for width_in, width_out in itertools.pairwise(widths):
            layers += [nn.Conv2d(width_in, width_out, 4, 2, 1), nn.LeakyReLU(SLOPE)]
        self.trunk = nn.Sequential(*layers)
        side = max(1, (size // self.pool) >> 4)
        self.head = nn.Sequential(
            nn.Linear(widths[-1] * side * side + classes, 128), nn.LeakyReLU(SLOPE), nn.Linear(128, outputs)
        )

    def forward(self, images: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """Images ``[batch, 3, size, size]`` and class indices ``[batch]`` -> attributes ``[batch, outputs]``."""
        if self.pool > 1:
            images = functional.avg_pool2d(images, self.pool)
        one_hot = (classes[:, None] == torch.arange(self.classes, device=classes.device)[None]).to(images.dtype)
        return self.head(torch.cat([self.trunk(images).flatten(1), one_hot], dim=1))


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

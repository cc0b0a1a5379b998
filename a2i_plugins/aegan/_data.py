"""Turning dataset rows into the tensors the AE-GAN trains on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from a2i_plugins.features import MfccEncoder, MfccStereoEncoder
from a2i_studio.core import Encoder, RunContext
from a2i_studio.datasets import MIRRORED_ATTRIBUTE, PICTURE_ATTRIBUTES, PairedDataset
from a2i_studio.errors import DatasetError

__all__ = ["ATTRIBUTES", "ENCODERS", "Attributes", "load_attributes", "load_pairs"]

ENCODERS: dict[str, type[Encoder]] = {"mfcc": MfccEncoder, "mfcc-stereo": MfccStereoEncoder}
"""The weight-free encoders an AE-GAN can be trained on, by the trainer's ``features`` setting."""

ATTRIBUTES = PICTURE_ATTRIBUTES
"""The ``metadata.csv`` columns the attribute critic learns to read from a picture, where a dataset has them."""


@dataclass(frozen=True)
class Attributes:
    """What each row's picture should show, standardised, for the attribute critic.

    Attributes:
        names: The :data:`ATTRIBUTES` the dataset has, in column order.
        classes: ``[N]`` each row's label index (``-1``: no label).
        values: ``[N, A]`` standardised by the rows that have each attribute (0 where missing).
        present: ``[N, A]`` 1 where the row has the attribute, else 0.
        mean: ``[A]`` the mean each column was standardised by.
        std: ``[A]`` its standard deviation.
    """

    names: tuple[str, ...]
    classes: torch.Tensor
    values: torch.Tensor
    present: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def mirrored(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` (standardised, ``[B, A]``) of the same rows' pictures flipped left to right."""
        if MIRRORED_ATTRIBUTE not in self.names:
            return values
        column = self.names.index(MIRRORED_ATTRIBUTE)
        flipped = values.clone()
        # x -> 1 - x in raw units is (1 - 2 mean) / std - z in standardised ones
        flipped[:, column] = float((1 - 2 * self.mean[column]) / self.std[column]) - values[:, column]
        return flipped


def load_pairs(
    dataset: PairedDataset, size: int, features: str = "mfcc", on_item: Callable[[int, int], None] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature vectors and target images of every row, as the chosen encoder sees the clips at generation time.

    Args:
        dataset: Rows with audio and image.
        size: Images are resized (area-averaged) to ``size`` x ``size``.
        features: A key of :data:`ENCODERS`: ``mfcc`` (104 values) or ``mfcc-stereo`` (136).
        on_item: Called with ``(done, total)`` after each row.

    Returns:
        ``features [N, F]`` (float32) and ``images [N, 3, size, size]`` in [-1, 1].

    Raises:
        DatasetError: Naming a row whose image cannot be read.
    """
    dataset.require("audio", "image")
    encoder = ENCODERS[features]()
    context = RunContext(device="cpu", dtype="float32", seeds=(0,))
    vectors, images = [], []
    for index, item in enumerate(dataset):
        assert item.audio is not None and item.image is not None  # checked by require()
        clip = encoder.read(item.audio)  # decoded and padded as the engine does before encoding
        vectors.append(torch.from_numpy(np.asarray(encoder.encode(clip.samples, {}, context))))
        try:
            with Image.open(item.image) as picture:
                resized = picture.convert("RGB").resize((size, size), Image.Resampling.BOX)
        except OSError as error:
            raise DatasetError(f"Image {item.image} cannot be read ({error}); replace it or drop its row.") from None
        images.append(torch.from_numpy(np.asarray(resized, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1)
        if on_item is not None:
            on_item(index + 1, len(dataset))
    return torch.stack(vectors), torch.stack(images)


def load_attributes(dataset: PairedDataset, labels: list[str], mean: torch.Tensor | None = None,
                    std: torch.Tensor | None = None, names: tuple[str, ...] | None = None) -> Attributes:
    """Each row's class and :data:`ATTRIBUTES` (those the rows have), standardised.

    Args:
        dataset: The rows.
        labels: Class ``i`` is ``labels[i]``; another label is class ``-1``.
        mean: Standardise by these (the training split's) instead of the rows' own.
        std: Likewise.
        names: The attributes to read (the training split's), instead of those the rows have.
    """
    items = list(dataset)
    if names is None:
        names = tuple(name for name in ATTRIBUTES if any(name in item.attributes for item in items))
    raw = torch.tensor([[item.attributes.get(name, float("nan")) for name in names] for item in items],
                       dtype=torch.float32).reshape(len(items), len(names))
    present = ~torch.isnan(raw)
    if mean is None or std is None:
        filled = torch.where(present, raw, torch.zeros_like(raw))
        counts = present.sum(0).clamp_min(1)
        mean = filled.sum(0) / counts
        spread = torch.where(present, raw - mean, torch.zeros_like(raw))
        std = ((spread**2).sum(0) / counts).sqrt().clamp_min(1e-6)
    values = torch.where(present, (raw - mean) / std, torch.zeros_like(raw))
    classes = torch.tensor([labels.index(item.label) if item.label in labels else -1 for item in items])
    return Attributes(names, classes, values, present.float(), mean, std)

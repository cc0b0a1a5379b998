"""A small CNN that estimates a picture's numeric attributes, for the attribute-following metrics.

Trained on a dataset's real pictures and their ``metadata.csv`` attributes
(:data:`ATTRIBUTES`), then asked what it sees in generated pictures: if a
model draws heavier rain for louder rain, the regressor's ``intensity`` of its
pictures rises with the sound's. One network serves every class: the class
enters its head as a one-hot vector, so ``intensity`` can mean streak density
for rain and flame size for fire, while the convolutional trunk (the scene
classifier's) learns edges and blobs from all ~800 pictures instead of ~100 per
class. Half of each training batch is blurred the way generated pictures are;
horizontal flips mirror ``source_x``. Saved as ``.safetensors`` and cached like
the scene classifier.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional

from a2i_studio.datasets import MIRRORED_ATTRIBUTE, PICTURE_ATTRIBUTES, PairedDataset
from a2i_studio.errors import DatasetError
from a2i_studio.evaluation._classifier import (
    _load_network,
    _load_weights,
    _read_pictures,
    _recalibrate_batch_norm,
    _save_network,
    _tensor,
    _trunk,
    degrade,
)

__all__ = ["ATTRIBUTES", "SIZE", "AttributeRegressor", "regressor_attributes", "regressor_key", "train_regressor"]

_FORMAT = "a2i-attribute-regressor/2"
ATTRIBUTES = PICTURE_ATTRIBUTES
"""The ``metadata.csv`` columns the regressor learns, where a dataset has them."""
SIZE = 128
"""The side pictures are area-resized to: a bird in a 256 px soundscape is a few pixels at 128, none at 64."""

_COLUMNS = 4
"""Beside the trunk's global average (what counts and densities need), the head gets its map averaged over
``_COLUMNS`` vertical strips, so it knows where things are across the width: the average alone, as the classifier
takes, leaves ``source_x`` to the padding's faint trace."""


class _Network(nn.Module):
    def __init__(self, classes: int, outputs: int) -> None:
        super().__init__()
        self.classes = classes
        self.features = _trunk()
        self.head = nn.Sequential(nn.Linear(64 * (1 + _COLUMNS) + classes, 64), nn.ReLU(), nn.Linear(64, outputs))

    def forward(self, images: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        one_hot = (classes[:, None] == torch.arange(self.classes)[None]).float()  # class -1: all zeros
        features = self.features(images)
        strips = functional.adaptive_avg_pool2d(features, (1, _COLUMNS)).flatten(1)
        return self.head(torch.cat([features.mean(dim=(2, 3)), strips, one_hot], dim=1))


class AttributeRegressor:
    """Estimates :data:`ATTRIBUTES` from a picture and its class.

    Args:
        labels: The classes it was trained on; another label enters as no class.
        attributes: What it estimates, in output order.
        mean: Per attribute, the training mean (outputs are standardised).
        std: Per attribute, the training standard deviation.
        size: Pictures are area-resized to ``size`` x ``size`` first.
    """

    def __init__(
        self, labels: Sequence[str], attributes: Sequence[str], mean: Sequence[float], std: Sequence[float],
        size: int = SIZE,
    ) -> None:
        self.labels = list(labels)
        self.attributes = list(attributes)
        self.mean = np.asarray(mean, np.float64)
        self.std = np.asarray(std, np.float64)
        self.size = size
        self.network = _Network(len(self.labels), len(self.attributes)).eval()

    def _classes(self, labels: Sequence[str]) -> torch.Tensor:
        return torch.tensor([self.labels.index(label) if label in self.labels else -1 for label in labels])

    def predict(self, images: Sequence[Image.Image], labels: Sequence[str]) -> dict[str, np.ndarray]:
        """Each attribute of each picture, in the attribute's own units (e.g. ``source_x`` on [0, 1]).

        Args:
            images: The pictures.
            labels: The class of each picture (its clip's label).
        """
        outputs = []
        with torch.no_grad():
            for start in range(0, len(images), 256):
                inputs = _tensor(images[start : start + 256], self.size)
                outputs.append(self.network(inputs, self._classes(labels[start : start + 256])).double().numpy())
        values = np.concatenate(outputs) * self.std + self.mean if outputs else np.zeros((0, len(self.attributes)))
        return {name: values[:, index] for index, name in enumerate(self.attributes)}

    def save(self, path: Path) -> None:
        """Write the weights, classes, attributes and scaling to a ``.safetensors`` file."""
        _save_network(path, self.network, {
            "format": _FORMAT, "labels": json.dumps(self.labels), "attributes": json.dumps(self.attributes),
            "mean": json.dumps(self.mean.tolist()), "std": json.dumps(self.std.tolist()), "size": str(self.size)})

    @classmethod
    def load(cls, path: Path) -> AttributeRegressor:
        """Read a regressor written by :meth:`save`.

        Raises:
            CheckpointError: If the file is not an attribute regressor.
        """
        metadata, tensors = _load_network(path, _FORMAT, "attribute regressor")
        regressor = cls(json.loads(metadata["labels"]), json.loads(metadata["attributes"]),
                        json.loads(metadata["mean"]), json.loads(metadata["std"]), int(metadata["size"]))
        _load_weights(regressor.network, tensors, path, "attribute regressor")
        return regressor


def regressor_attributes(dataset: PairedDataset) -> list[str]:
    """Those of :data:`ATTRIBUTES` that the pictures of ``dataset`` can teach: in some rows, not constant."""
    names = []
    for name in ATTRIBUTES:
        values = {item.attributes[name] for item in dataset if item.image is not None and name in item.attributes}
        if len(values) > 1:
            names.append(name)
    return names


def regressor_key(dataset: PairedDataset, size: int = SIZE) -> str:
    """A short hash of the pictures, labels and attributes a regressor for ``dataset`` would train on, and its size."""
    digest = hashlib.sha256(f"{_FORMAT} {size}".encode())
    for item in dataset:
        values = ",".join(f"{name}={item.attributes[name]!r}" for name in ATTRIBUTES if name in item.attributes)
        digest.update(f"{item.image}\t{item.label}\t{values}\n".encode())
    return digest.hexdigest()[:16]


def train_regressor(
    dataset: PairedDataset,
    *,
    epochs: int = 20,
    size: int = SIZE,
    seed: int = 0,
    on_epoch: Callable[[int, int, float], None] | None = None,
) -> AttributeRegressor:
    """Train an :class:`AttributeRegressor` on the pictures of ``dataset`` and their attributes.

    The loss is the mean squared error of the standardised attributes a row has (a row
    without ``count`` teaches only the others). Everything is seeded by ``seed``.

    Args:
        dataset: Rows with an image; labels and :data:`ATTRIBUTES` where they have them.
        epochs: Passes over the pictures.
        size: Input size of the network.
        seed: Seed of the initial weights, batch order and augmentation.
        on_epoch: Called with ``(epoch, epochs, training loss)`` after each epoch.

    Raises:
        DatasetError: If rows lack images, or no attribute of :data:`ATTRIBUTES` varies in the data.
    """
    dataset.require("image")
    attributes = regressor_attributes(dataset)
    if not attributes:
        raise DatasetError(f"The {dataset.name} of {dataset.root} has no varying {', '.join(ATTRIBUTES)} column in "
                           "metadata.csv; the attribute metrics need one.")
    raw = np.array([[item.attributes.get(name, np.nan) for name in attributes] for item in dataset])
    mean, std = np.nanmean(raw, axis=0), np.nanstd(raw, axis=0)
    torch.manual_seed(seed)
    regressor = AttributeRegressor(dataset.labels, attributes, mean, std, size)
    inputs = _read_pictures(dataset, size)
    classes = regressor._classes([item.label for item in dataset])
    targets = torch.from_numpy(raw).float()
    mirrored = attributes.index(MIRRORED_ATTRIBUTE) if MIRRORED_ATTRIBUTE in attributes else None
    scale_mean, scale_std = torch.from_numpy(mean).float(), torch.from_numpy(std).float()  # std > 0: they vary
    network = regressor.network.train()
    optimizer = torch.optim.Adam(network.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(targets)))
        total = 0.0
        for start in range(0, len(order), 32):
            batch = order[start : start + 32]
            x, y = inputs[batch], targets[batch].clone()
            flips = torch.from_numpy(rng.random(len(batch)) < 0.5)
            x = torch.where(flips[:, None, None, None], x.flip(-1), x)
            if mirrored is not None:
                y[:, mirrored] = torch.where(flips, 1 - y[:, mirrored], y[:, mirrored])
            blurred = torch.from_numpy(rng.random(len(batch)) < 0.5)
            x = torch.where(blurred[:, None, None, None], degrade(x, "blur", rng), x)
            known = ~torch.isnan(y)
            error = (network(x, classes[batch]) - (y.nan_to_num() - scale_mean) / scale_std) ** 2
            loss = (error * known).sum() / known.sum().clamp(min=1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if on_epoch is not None:
            on_epoch(epoch + 1, epochs, total / len(targets))
    _recalibrate_batch_norm(network.features, inputs)
    network.eval()
    return regressor

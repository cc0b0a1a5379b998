"""A small CNN that names the class of a picture, for the AIC metric.

Trained on a dataset's own training images (so it knows that dataset's
classes), saved as ``.safetensors`` and reused: AIC is then the share of
generated images it assigns to their audio's label. Generated pictures are
blurrier, coarser and off-colour next to the real ones; a judge that saw only
clean pictures under-reports them, so half of every training batch is degraded
the way generated pictures are (:data:`DEGRADATIONS`), and ``a2i eval`` reports
the accuracy on degraded real pictures beside the clean one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn
from torch.nn import functional

from a2i_studio.datasets import PairedDataset
from a2i_studio.errors import CheckpointError, DatasetError
from a2i_studio.evaluation._metrics import as_array

__all__ = ["DEGRADATIONS", "SceneClassifier", "classifier_accuracies", "classifier_key", "degrade", "train_classifier"]

_FORMAT = "a2i-scene-classifier/2"  # /2: trained with degradations; older cached files are retrained
DEGRADATIONS = ("blur", "low-res", "colour-shift")
"""What generated pictures show: soft edges, few pixels, shifted colours."""


def degrade(images: torch.Tensor, kind: str, rng: np.random.Generator) -> torch.Tensor:
    """``images`` (``[n, 3, h, w]`` in [-1, 1]) with one degradation each, of random strength.

    - ``blur``: a box blur 3 to 7 pixels wide;
    - ``low-res``: area-resized down to 6-25% of the side, then bilinearly back up;
    - ``colour-shift``: per-channel gain in [0.7, 1.3] and offset in [-0.3, 0.3].

    Raises:
        ValueError: For a kind not in :data:`DEGRADATIONS`.
    """
    size = images.shape[-1]
    if kind == "blur":
        width = int(rng.choice([3, 5, 7]))
        padded = functional.pad(images, (width // 2,) * 4, mode="reflect")
        return functional.avg_pool2d(padded, width, stride=1)
    if kind == "low-res":
        small = max(2, round(size * float(rng.uniform(0.06, 0.25))))
        down = functional.interpolate(images, size=(small, small), mode="area")
        return functional.interpolate(down, size=(size, size), mode="bilinear", align_corners=False)
    if kind == "colour-shift":
        gain = torch.from_numpy(rng.uniform(0.7, 1.3, (len(images), 3, 1, 1))).float()
        offset = torch.from_numpy(rng.uniform(-0.3, 0.3, (len(images), 3, 1, 1))).float()
        return (images * gain + offset).clamp(-1, 1)
    raise ValueError(f"unknown degradation {kind!r}; use one of {DEGRADATIONS}")


def _degrade_half(images: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Each picture kept clean with probability 1/2, else degraded by one or two random kinds."""
    out = images.clone()
    for index in np.flatnonzero(rng.random(len(images)) < 0.5):
        picture = out[index : index + 1]
        for kind in rng.choice(DEGRADATIONS, size=int(rng.integers(1, 3)), replace=False):
            picture = degrade(picture, str(kind), rng)
        out[index] = picture[0]
    return out


def _trunk() -> nn.Sequential:
    """Four conv blocks, 3 -> 64 channels, each halving the side; the attribute regressor shares it."""
    layers: list[nn.Module] = []
    for width_in, width_out in ((3, 16), (16, 32), (32, 64), (64, 64)):
        layers += [nn.Conv2d(width_in, width_out, 3, padding=1), nn.BatchNorm2d(width_out), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers)


class _Network(nn.Module):
    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = _trunk()
        self.head = nn.Linear(64, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean(dim=(2, 3)))


def _tensor(images: Sequence[Image.Image], size: int) -> torch.Tensor:
    arrays = np.stack([as_array(image, size) for image in images]).astype(np.float32)
    return torch.from_numpy(arrays).permute(0, 3, 1, 2) / 127.5 - 1


class SceneClassifier:
    """Predicts a label for each picture.

    Args:
        labels: Class names; output ``i`` is ``labels[i]``.
        size: Pictures are area-resized to ``size`` x ``size`` first.
    """

    def __init__(self, labels: Sequence[str], size: int = 64) -> None:
        self.labels = list(labels)
        self.size = size
        self.network = _Network(len(self.labels)).eval()

    def predict(self, images: Sequence[Image.Image], degradation: str | None = None, seed: int = 0) -> list[str]:
        """The most likely label of each picture, optionally after a :func:`degrade` seeded by ``seed``."""
        inputs = _tensor(images, self.size)
        if degradation is not None:
            inputs = degrade(inputs, degradation, np.random.default_rng(seed))
        with torch.no_grad():
            logits = self.network(inputs)
        return [self.labels[int(index)] for index in logits.argmax(dim=1)]

    def save(self, path: Path) -> None:
        """Write the weights and labels to a ``.safetensors`` file."""
        metadata = {"format": _FORMAT, "labels": json.dumps(self.labels), "size": str(self.size)}
        _save_network(path, self.network, metadata)

    @classmethod
    def load(cls, path: Path) -> SceneClassifier:
        """Read a classifier written by :meth:`save`.

        Raises:
            CheckpointError: If the file is not a scene classifier.
        """
        metadata, tensors = _load_network(path, _FORMAT, "scene classifier")
        classifier = cls(json.loads(metadata["labels"]), int(metadata["size"]))
        _load_weights(classifier.network, tensors, path, "scene classifier")
        return classifier


def _save_network(path: Path, network: nn.Module, metadata: dict[str, str]) -> None:
    """Write ``network``'s weights and ``metadata`` (with its ``format``) to a ``.safetensors`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: value.contiguous() for key, value in network.state_dict().items()}, str(path), metadata)


def _load_network(path: Path, file_format: str, what: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and tensors of a file :func:`_save_network` wrote with ``file_format``.

    Raises:
        CheckpointError: If the file is of another format (``what`` names the expected kind).
    """
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 - not a mapping
    if metadata.get("format") != file_format:
        raise CheckpointError(f"{path} is not a current {what}; delete it to train a new one.")
    return metadata, tensors


def _load_weights(network: nn.Module, tensors: dict[str, torch.Tensor], path: Path, what: str) -> None:
    """Put ``tensors`` into ``network``.

    Raises:
        CheckpointError: If their names or shapes are not the network's (a damaged or foreign file).
    """
    try:
        network.load_state_dict(tensors)
    except RuntimeError:
        raise CheckpointError(f"{path} does not fit this version's {what}; delete it to train a new one.") from None


def classifier_accuracies(
    classifier: SceneClassifier, images: Sequence[Image.Image], labels: Sequence[str], seed: int = 0
) -> dict[str, float]:
    """The classifier's accuracy on real pictures, clean and under each of :data:`DEGRADATIONS`.

    A judge of generated pictures must hold up on degraded real ones; a large drop
    here means its AIC under-reports blurry or off-colour generators.
    """
    accuracies = {}
    for kind in (None, *DEGRADATIONS):
        predicted = classifier.predict(images, degradation=kind, seed=seed)
        accuracies[kind or "clean"] = float(np.mean([p == label for p, label in zip(predicted, labels, strict=True)]))
    return accuracies


def classifier_key(dataset: PairedDataset) -> str:
    """A short hash of the images and labels a classifier for ``dataset`` would train on."""
    digest = hashlib.sha256(_FORMAT.encode())  # a new training recipe is a new classifier
    for item in dataset:
        digest.update(f"{item.image}\t{item.label}\n".encode())
    return digest.hexdigest()[:16]


def train_classifier(
    dataset: PairedDataset,
    *,
    epochs: int = 10,
    size: int = 64,
    seed: int = 0,
    on_epoch: Callable[[int, int, float], None] | None = None,
) -> SceneClassifier:
    """Train a :class:`SceneClassifier` on the labelled images of ``dataset``.

    Training uses random horizontal flips and degrades half of each batch (:data:`DEGRADATIONS`);
    everything is seeded by ``seed``.

    Args:
        dataset: Rows with an image and a label (at least two labels).
        epochs: Passes over the images.
        size: Input size of the network.
        seed: Seed of the initial weights and batch order.
        on_epoch: Called with ``(epoch, epochs, training accuracy)`` after each epoch.

    Raises:
        DatasetError: If rows lack images or labels, or there are fewer than two labels.
    """
    dataset.require("image", "label")
    if len(dataset.labels) < 2:
        raise DatasetError(f"The {dataset.name} of {dataset.root} has fewer than two labels; AIC needs classes.")
    torch.manual_seed(seed)
    classifier = SceneClassifier(dataset.labels, size)
    inputs = _read_pictures(dataset, size)
    targets = torch.tensor([classifier.labels.index(item.label) for item in dataset])
    network = classifier.network.train()
    optimizer = torch.optim.Adam(network.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(targets)))
        correct = 0
        for start in range(0, len(order), 32):
            batch = order[start : start + 32]
            flips = torch.from_numpy(rng.random(len(batch)) < 0.5)
            x = _degrade_half(torch.where(flips[:, None, None, None], inputs[batch].flip(-1), inputs[batch]), rng)
            logits = network(x)
            loss = functional.cross_entropy(logits, targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += int((logits.argmax(dim=1) == targets[batch]).sum())
        if on_epoch is not None:
            on_epoch(epoch + 1, epochs, correct / len(targets))
    _recalibrate_batch_norm(network, inputs)
    return classifier


def _read_pictures(dataset: PairedDataset, size: int) -> torch.Tensor:
    """Every row's picture, area-resized to ``size`` and batched as :func:`_tensor` makes it."""
    images = []
    for item in dataset:
        assert item.image is not None  # the caller required images
        with Image.open(item.image) as picture:
            images.append(picture.convert("RGB").resize((size, size), Image.Resampling.BOX))
    return _tensor(images, size)


def _recalibrate_batch_norm(network: nn.Module, inputs: torch.Tensor) -> None:
    """Set batch-norm statistics to their exact training-set values, then switch to eval mode.

    The running averages lag behind the weights after few steps; exact statistics
    make eval-mode predictions match what the network learned.
    """
    for layer in network.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.reset_running_stats()
            layer.momentum = None  # cumulative average over the batches below
    with torch.no_grad():
        for start in range(0, len(inputs), 256):
            network(inputs[start : start + 256])
    network.eval()

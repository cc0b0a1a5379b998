"""Paired audio/image items and the deterministic train/val/test split."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from a2i_studio.errors import DatasetError

__all__ = ["MIRRORED_ATTRIBUTE", "PICTURE_ATTRIBUTES", "PairedDataset", "PairedItem"]

_FIELDS = ("audio", "image", "label", "prompt")

PICTURE_ATTRIBUTES = ("intensity", "count", "source_x")
"""The ``metadata.csv`` columns that say what a row's picture shows (a soundscape's sound parameters): what the
attribute metrics and the AE-GAN's attribute critic learn to read from a picture, where a dataset has them."""

MIRRORED_ATTRIBUTE = "source_x"
"""The picture attribute a horizontal flip maps from ``x`` to ``1 - x``."""


@dataclass(frozen=True)
class PairedItem:
    """One row of a paired dataset.

    Attributes:
        audio: Absolute path of the audio clip, or ``None`` where the row has none.
        image: Absolute path of the image, or ``None`` where the row has none.
        label: Class name; ``""`` when the dataset is unlabelled.
        prompt: A caption of the scene; ``""`` when there is none.
        attributes: Numbers describing the row, by column name: every other
            ``metadata.csv`` column whose cell is a number (a procedural
            dataset's sound parameters, e.g. ``intensity`` or ``pan``); a
            column missing or empty in a row is missing here.
    """

    audio: Path | None
    image: Path | None
    label: str = ""
    prompt: str = ""
    attributes: dict[str, float] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class PairedDataset:
    """An ordered, immutable collection of :class:`PairedItem` read from one folder.

    Attributes:
        root: The dataset folder; paths in ``metadata.csv`` are relative to it.
        items: The rows, in file order.
        name: What error messages call this collection (``"dataset"``, ``"train split"``, ...).
    """

    root: Path
    items: tuple[PairedItem, ...]
    name: str = "dataset"

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[PairedItem]:
        return iter(self.items)

    def __getitem__(self, index: int) -> PairedItem:
        return self.items[index]

    @property
    def labels(self) -> list[str]:
        """The distinct non-empty labels, sorted; class ``i`` of a classifier is ``labels[i]``."""
        return sorted({item.label for item in self.items if item.label})

    def require(self, *fields: str) -> None:
        """Check that every item has each of ``fields`` (``audio``, ``image``, ``label``, ``prompt``).

        Raises:
            DatasetError: Naming the first item that lacks one, or an empty collection.
        """
        if not self.items:
            raise DatasetError(f"The {self.name} of {self.root} is empty; add pairs or use a larger dataset.")
        for name in fields:
            if name not in _FIELDS:
                raise ValueError(f"unknown field {name!r}; use one of {_FIELDS}")
            for index, item in enumerate(self.items):
                if getattr(item, name) in (None, ""):
                    raise DatasetError(
                        f"Item {index} of the {self.name} of {self.root} has no {name}; "
                        f"this trainer needs a {name} in every row of metadata.csv."
                    )

    def split(
        self, seed: int, val: float = 0.1, test: float = 0.1
    ) -> tuple[PairedDataset, PairedDataset, PairedDataset]:
        """Split into train, validation and test sets, the same way for the same ``seed``.

        Labelled datasets are split per label (stratified), so every class appears
        in each split in about the same proportion. Each split keeps file order.

        Args:
            seed: Chooses which items go where.
            val: Fraction of the items (of each label) for validation.
            test: Fraction of the items (of each label) for testing.

        Returns:
            ``(train, val, test)``.

        Raises:
            DatasetError: If a split with a non-zero fraction would be empty.
        """
        if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
            raise DatasetError(f"Split fractions val={val} and test={test} must be in [0, 1) and sum below 1.")
        groups: dict[str, list[int]] = {}
        for index, item in enumerate(self.items):
            groups.setdefault(item.label, []).append(index)
        rng = random.Random(seed)
        chosen: dict[str, list[int]] = {"train": [], "val": [], "test": []}
        for label in sorted(groups):
            indices = groups[label]
            rng.shuffle(indices)
            n_val = round(len(indices) * val)
            n_test = round(len(indices) * test)
            chosen["val"] += indices[:n_val]
            chosen["test"] += indices[n_val : n_val + n_test]
            chosen["train"] += indices[n_val + n_test :]
        wanted = {"train": 1.0, "val": val, "test": test}
        for part, indices in chosen.items():
            if wanted[part] > 0 and not indices:
                raise DatasetError(
                    f"The {part} split of {self.root} would be empty ({len(self.items)} items); "
                    "add more pairs or raise its fraction."
                )
        train, val_set, test_set = (self._subset(chosen[part], f"{part} split") for part in ("train", "val", "test"))
        return train, val_set, test_set

    def _subset(self, indices: Sequence[int], name: str) -> PairedDataset:
        return PairedDataset(self.root, tuple(self.items[index] for index in sorted(indices)), name)

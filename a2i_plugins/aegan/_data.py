"""Turning dataset rows into the tensors the AE-GAN trains on."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from a2i_studio import audio
from a2i_studio.audio.features_numpy import MFCC_MIN_SAMPLES, mfcc_summary_numpy
from a2i_studio.datasets import PairedDataset
from a2i_studio.errors import DatasetError

__all__ = ["SAMPLE_RATE", "load_pairs"]

SAMPLE_RATE = 16_000
"""Rate the clips are decoded at; the ``mfcc`` encoder uses the same."""


def load_pairs(
    dataset: PairedDataset, size: int, on_item: Callable[[int, int], None] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """MFCC summaries and target images of every row, as the ``mfcc`` encoder would see the clips.

    Args:
        dataset: Rows with audio and image.
        size: Images are resized (area-averaged) to ``size`` x ``size``.
        on_item: Called with ``(done, total)`` after each row.

    Returns:
        ``features [N, 104]`` (float32) and ``images [N, 3, size, size]`` in [-1, 1].

    Raises:
        DatasetError: Naming a row whose image cannot be read.
    """
    dataset.require("audio", "image")
    features, images = [], []
    for index, item in enumerate(dataset):
        assert item.audio is not None and item.image is not None  # checked by require()
        samples = audio.load(item.audio, sample_rate=SAMPLE_RATE).samples
        if samples.size < MFCC_MIN_SAMPLES:  # shorter clips are padded, as the engine pads them
            samples = np.pad(samples, (0, MFCC_MIN_SAMPLES - samples.size))
        features.append(torch.from_numpy(mfcc_summary_numpy(samples, SAMPLE_RATE)))
        try:
            with Image.open(item.image) as picture:
                resized = picture.convert("RGB").resize((size, size), Image.Resampling.BOX)
        except OSError as error:
            raise DatasetError(f"Image {item.image} cannot be read ({error}); replace it or drop its row.") from None
        images.append(torch.from_numpy(np.asarray(resized, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1)
        if on_item is not None:
            on_item(index + 1, len(dataset))
    return torch.stack(features), torch.stack(images)

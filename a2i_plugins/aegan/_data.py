"""Turning dataset rows into the tensors the AE-GAN trains on."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from a2i_plugins.features import MfccEncoder, MfccStereoEncoder
from a2i_studio.core import Encoder, RunContext
from a2i_studio.datasets import PairedDataset
from a2i_studio.errors import DatasetError

__all__ = ["ENCODERS", "load_pairs"]

ENCODERS: dict[str, type[Encoder]] = {"mfcc": MfccEncoder, "mfcc-stereo": MfccStereoEncoder}
"""The weight-free encoders an AE-GAN can be trained on, by the trainer's ``features`` setting."""


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

"""Pairs as tensors: FFT frames from clips, pixel tokens from pictures, and back to pictures.

The frames come from the ``fft`` encoder itself, so training sees exactly the
features the ``fft>pixel`` chain gives the generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from a2i_plugins.features import FftFramesEncoder
from a2i_plugins.pixel_transformer._config import PixelConfig
from a2i_plugins.pixel_transformer._model import log_magnitudes
from a2i_studio.core import RunContext
from a2i_studio.datasets import PairedDataset
from a2i_studio.errors import DatasetError

__all__ = ["PairTensors", "augment", "clip_frames", "image_tokens", "load_pairs", "tokens_to_image"]


def clip_frames(path: Path) -> torch.Tensor:
    """``[500, 220]`` FFT magnitudes of a whole clip, as the ``fft`` encoder computes them."""
    encoder = FftFramesEncoder()
    clip = encoder.read(path)
    frames: torch.Tensor = encoder.encode(clip.samples, {}, RunContext("cpu", "float32", (0,)))
    return frames


def image_tokens(image: Image.Image, config: PixelConfig) -> np.ndarray:
    """A picture as ``sequence_length`` uint8 tokens: area-downscaled to the model's size, row by row.

    RGB tokens interleave the channels (``r g b`` of each pixel in turn);
    grayscale uses PIL's ITU-R 601 luma of the downscaled colours.
    """
    small = image.convert("RGB").resize((config.image_size, config.image_size), Image.Resampling.BOX)
    return np.array(small.convert(config.mode), dtype=np.uint8).reshape(-1)


def tokens_to_image(tokens: torch.Tensor, config: PixelConfig) -> Image.Image:
    """The picture of ``tokens`` (a prefix is fine: rows not drawn yet stay mid-grey)."""
    pixels = np.full(config.sequence_length, 128, dtype=np.uint8)
    pixels[: tokens.shape[0]] = tokens.to("cpu", torch.uint8).numpy()
    shape = (config.image_size, config.image_size) + ((3,) if config.channels == 3 else ())
    return Image.fromarray(pixels.reshape(shape), mode=config.mode)


@dataclass(frozen=True)
class PairTensors:
    """A dataset split held in memory.

    Attributes:
        logs: ``[pairs, sections, bins]`` float16 :func:`log_magnitudes`.
        tokens: ``[pairs, sequence_length]`` uint8 pixel tokens.
        labels: The class of each pair (``""`` when unlabelled).
    """

    logs: torch.Tensor
    tokens: torch.Tensor
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.tokens.shape[0])


def load_pairs(
    dataset: PairedDataset, config: PixelConfig, on_item: Callable[[int, int], None] | None = None
) -> PairTensors:
    """Read every clip and picture of ``dataset``.

    Raises:
        DatasetError: If a row lacks its audio or image, or a picture cannot be read.
    """
    dataset.require("audio", "image")
    logs = torch.empty(len(dataset), config.sections, config.bins, dtype=torch.float16)
    tokens = torch.empty(len(dataset), config.sequence_length, dtype=torch.uint8)
    for index, item in enumerate(dataset):
        assert item.audio is not None and item.image is not None
        logs[index] = log_magnitudes(clip_frames(item.audio), config).half()
        try:
            with Image.open(item.image) as picture:
                tokens[index] = torch.from_numpy(image_tokens(picture, config))
        except OSError as error:
            raise DatasetError(f"Image {item.image} cannot be read ({error}); replace it or drop its row.") from None
        if on_item is not None:
            on_item(index + 1, len(dataset))
    return PairTensors(logs, tokens, tuple(item.label for item in dataset))


def augment(
    logs: torch.Tensor, tokens: torch.Tensor, config: PixelConfig, generator: torch.Generator, *,
    flip: bool = True, audio: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random variations of a batch that keep its meaning.

    With ``audio``, each clip is rolled in time by a random number of sections
    (scenes are steady textures, so where a sound starts says nothing about the
    picture) and scaled by a random gain of -6 to +6 dB; with ``flip``, each
    picture is mirrored left to right with probability 1/2 (turn it off where a
    mirror image means something else: digits, text). The random numbers are
    drawn whichever are on, so turning one off leaves the other's draws as they were.

    Args:
        logs: ``[batch, sections, bins]`` :func:`log_magnitudes` (float32).
        tokens: ``[batch, sequence_length]`` int64 tokens.
        config: The model's shape.
        generator: CPU generator; the same state gives the same variations.
        flip: Mirror pictures.
        audio: Shift and scale the audio.

    Returns:
        The augmented ``(logs, tokens)``.
    """
    batch = logs.shape[0]
    shifts = torch.randint(0, config.sections, (batch,), generator=generator)
    gains = 2.0 ** torch.empty(batch, 1, 1).uniform_(-1.0, 1.0, generator=generator)
    mirrored = torch.rand(batch, generator=generator) < 0.5
    if audio:
        index = (torch.arange(config.sections).unsqueeze(0) + shifts.unsqueeze(1)) % config.sections
        logs = logs.gather(1, index.unsqueeze(-1).expand_as(logs))
        logs = torch.log1p(torch.expm1(logs) * gains)
    if flip:
        grid = tokens.view(batch, config.image_size, config.image_size, config.channels)
        tokens = torch.where(mirrored.view(batch, 1, 1, 1), grid.flip(2), grid).reshape(batch, -1)
    return logs, tokens

"""CLIP towers for the field's metrics (transformers' CLIP classes; no torchvision needed).

:class:`ImageEmbedder` is an image tower alone (``CLIPVisionModelWithProjection``):
the image side of AIS, and the feature network of FID and KID.
:class:`ClipJudge` adds the text tower (``CLIPTextModelWithProjection``) for the
CLIP score and zero-shot AIC. Both read a saved ``CLIPModel`` folder (the towers
take their own weights from it) found through the weights manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

import numpy as np
import torch

from a2i_studio import weights
from a2i_studio.core import WeightSpec
from a2i_studio.errors import CheckpointError
from a2i_studio.evaluation._weights import CLIP_WEIGHTS

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["ClipJudge", "ImageEmbedder"]

_BATCH = 32


def _normalised(values: torch.Tensor) -> np.ndarray:
    array = values.detach().double().cpu().numpy()
    return np.asarray(array / np.linalg.norm(array, axis=-1, keepdims=True))


class ImageEmbedder:
    """Unit-length CLIP image embeddings.

    Args:
        folder: A saved ``CLIPModel`` or ``CLIPVisionModelWithProjection`` with its
            ``preprocessor_config.json``.
        device: Where to run it.

    Raises:
        CheckpointError: If the folder holds no CLIP image tower.
    """

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        from transformers import CLIPImageProcessorPil, CLIPVisionModelWithProjection

        self.device = device
        try:
            self.vision = CLIPVisionModelWithProjection.from_pretrained(folder).eval().to(device)
            self.processor = CLIPImageProcessorPil.from_pretrained(folder)
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{folder} holds no CLIP image model ({error}); fetch it again.") from None

    @classmethod
    def find(cls, spec: WeightSpec = CLIP_WEIGHTS, explicit: Path | str | None = None, device: str = "cpu") -> Self:
        """Load the model ``spec`` names (default: CLIP ViT-L/14) through the weights manager, or from ``explicit``.

        Raises:
            WeightsMissing: If it is nowhere to be found, with the command that fetches it.
        """
        return cls(weights.find(spec, explicit), device)

    @property
    def dimension(self) -> int:
        """Width of the embeddings."""
        return int(self.vision.config.projection_dim)

    def image_embeddings(self, images: Sequence[Image]) -> np.ndarray:
        """``[n, dimension]`` float64 rows of unit length, one per picture."""
        rows = []
        for start in range(0, len(images), _BATCH):
            batch = [image.convert("RGB") for image in images[start : start + _BATCH]]
            pixels = self.processor(images=batch, return_tensors="pt")["pixel_values"].to(self.device)
            with torch.inference_mode():
                rows.append(_normalised(self.vision(pixel_values=pixels).image_embeds))
        return np.concatenate(rows) if rows else np.zeros((0, self.dimension))


class ClipJudge(ImageEmbedder):
    """CLIP's image and text towers: CLIP score and zero-shot classification.

    Args:
        folder: A saved ``CLIPModel`` with its tokenizer and image processor.
        device: Where to run it.
    """

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        super().__init__(folder, device)
        from transformers import CLIPTextModelWithProjection, CLIPTokenizer

        try:
            self.text = CLIPTextModelWithProjection.from_pretrained(folder).eval().to(device)
            self.tokenizer = CLIPTokenizer.from_pretrained(folder)
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{folder} holds no CLIP text model ({error}); fetch it again.") from None

    def text_embeddings(self, texts: Sequence[str]) -> np.ndarray:
        """``[n, dimension]`` float64 rows of unit length; long texts are cut at CLIP's context length."""
        length = self.text.config.max_position_embeddings
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, max_length=length, return_tensors="pt")
        with torch.inference_mode():
            embeds = self.text(input_ids=tokens["input_ids"].to(self.device),
                               attention_mask=tokens["attention_mask"].to(self.device)).text_embeds
        return _normalised(embeds)

    def clip_scores(self, images: Sequence[Image], texts: Sequence[str]) -> np.ndarray:
        """CLIP score of each picture with its text: ``max(100 * cos(image, text), 0)`` (Hessel et al. 2021)."""
        cosine = (self.image_embeddings(images) * self.text_embeddings(texts)).sum(axis=1)
        return np.asarray(np.maximum(100.0 * cosine, 0.0))

    def zero_shot(self, images: Sequence[Image], labels: Sequence[str], template: str = "{label}") -> list[str]:
        """The label whose text (``template`` filled in) is closest to each picture, as SonicDiffusion's AIC."""
        texts = self.text_embeddings([template.format(label=label) for label in labels])
        nearest = (self.image_embeddings(images) @ texts.T).argmax(axis=1)
        return [labels[int(index)] for index in nearest]

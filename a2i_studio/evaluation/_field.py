"""The field's metrics over one chain's scored pairs: CLIP score, IIS, AIS, zero-shot AIC, FID and KID.

Each metric adds its keys to a summary, with a per-label mean where it is a
per-image number, so ``a2i eval`` and the app can show them beside the seed
papers' metrics and other modules can add theirs the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from a2i_studio.evaluation._clip import ClipJudge, ImageEmbedder
from a2i_studio.evaluation._distribution import distribution_distances
from a2i_studio.evaluation._evaluate import PairScore
from a2i_studio.evaluation._ranked import ranked_similarity

__all__ = ["FieldJudges", "field_metrics", "per_label"]


@dataclass
class FieldJudges:
    """The models and references the field's metrics use; each metric runs when what it needs is given.

    Attributes:
        clip: CLIP for the CLIP score, IIS and zero-shot AIC (and FID/KID features).
        template: The text of a label for the CLIP score (when the pair has no prompt) and zero-shot AIC.
        ais_images: The image encoder sharing a space with the audio embeddings (AIS).
        audio_embeddings: ``[n, d]`` audio embeddings of the scored pairs, in order (AIS).
        reference_features: ``[m, d]`` CLIP features of the FID/KID reference pictures.
    """

    clip: ClipJudge | None = None
    template: str = "{label}"
    ais_images: ImageEmbedder | None = None
    audio_embeddings: np.ndarray | None = None
    reference_features: np.ndarray | None = None


def per_label(values: Sequence[float], labels: Sequence[str]) -> dict[str, float]:
    """The mean of ``values`` for each label, sorted by label."""
    return {label: float(np.mean([value for value, own in zip(values, labels, strict=True) if own == label]))
            for label in sorted(set(labels)) if label}


def field_metrics(scores: Sequence[PairScore], judges: FieldJudges) -> dict[str, Any]:
    """The field's metrics of one chain's generated images (in ``scores[i].image``).

    Returns:
        ``clip_score``, ``iis``, ``aic_zero_shot``, ``fid``, ``kid``, ``kid_std`` and ``ais`` for
        what ``judges`` allows, and ``per_label`` means of the per-image ones.
    """
    images = [score.image for score in scores if score.image is not None]
    if len(images) != len(scores) or not scores:
        return {}
    labels = [score.item.label for score in scores]
    per_image: dict[str, Sequence[float]] = {}
    summary: dict[str, Any] = {}
    if judges.clip is not None:
        clip = judges.clip
        texts = [score.item.prompt or judges.template.format(label=score.item.label) for score in scores]
        generated = clip.image_embeddings(images)
        per_image["clip_score"] = clip.clip_scores(images, texts).tolist()
        truths = [_open(score) for score in scores]
        per_image["iis"] = ranked_similarity(generated, clip.image_embeddings(truths)).tolist()
        if all(labels):
            names = sorted(set(labels))
            guessed = clip.zero_shot(images, names, judges.template)
            per_image["aic_zero_shot"] = [float(g == label) for g, label in zip(guessed, labels, strict=True)]
        if judges.reference_features is not None:
            summary.update(distribution_distances(generated, judges.reference_features))
    if judges.ais_images is not None and judges.audio_embeddings is not None:
        per_image["ais"] = ranked_similarity(judges.ais_images.image_embeddings(images),
                                             judges.audio_embeddings).tolist()
    summary.update({name: float(np.mean(values)) for name, values in per_image.items()})
    if all(labels):
        summary["per_label"] = {name: per_label(values, labels) for name, values in per_image.items()}
    return summary


def _open(score: PairScore) -> Image.Image:
    assert score.item.image is not None  # evaluate_pairs scored it against this image
    with Image.open(score.item.image) as picture:
        return picture.convert("RGB")

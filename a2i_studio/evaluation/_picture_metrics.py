"""Issue 20's figures of one chain: sharpness against the real pictures, diversity across seeds,
and how well the pictures follow the sound's parameters and pan.

Each function returns summary keys (with ``per_label`` means where they are
per-picture numbers), the way :func:`a2i_studio.evaluation.field_metrics` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from a2i_studio.datasets import PairedItem
from a2i_studio.evaluation._correlation import pearson, spearman
from a2i_studio.evaluation._evaluate import PairScore
from a2i_studio.evaluation._regressor import AttributeRegressor
from a2i_studio.evaluation._sharpness import mean_pairwise_distance, sharpness

__all__ = ["FOLLOWING_GOAL", "attribute_following", "diversity_metrics", "real_diversity", "sharpness_metrics"]

FOLLOWING_GOAL = 0.5
"""Issue 20's goal: a class follows its sound when one attribute's Spearman reaches it."""
_FOLLOWED = ("intensity", "count")  # sound parameters drawn as the same attribute of the picture
_REAL_PER_CLASS = 16  # real pictures per class for the reference diversity: 120 pairs


def _label(item: PairedItem) -> str:
    return item.label or "all"


def _open(path: Any) -> Image.Image:
    with Image.open(path) as picture:
        return picture.convert("RGB")


def sharpness_metrics(scores: Sequence[PairScore]) -> dict[str, Any]:
    """``sharpness_generated`` and ``sharpness_real`` (means of :func:`sharpness`), their ratio
    ``sharpness_ratio`` (issue 20's goal: at least 0.8), and per-label ratios."""
    generated = np.array([sharpness(score.image) for score in scores if score.image is not None])
    real = np.array([sharpness(_open(score.item.image)) for score in scores if score.image is not None])
    if not len(generated) or real.mean() == 0:
        return {}
    labels = np.array([_label(score.item) for score in scores if score.image is not None])
    return {
        "sharpness_generated": float(generated.mean()),
        "sharpness_real": float(real.mean()),
        "sharpness_ratio": float(generated.mean() / real.mean()),
        "per_label": {"sharpness_ratio": {
            label: float(generated[labels == label].mean() / real[labels == label].mean())
            for label in sorted(set(labels)) if real[labels == label].mean() > 0
        }},
    }


def diversity_metrics(items: Sequence[PairedItem], seed_images: Sequence[Sequence[Image.Image]]) -> dict[str, Any]:
    """``diversity_seeds``: the mean over clips of :func:`mean_pairwise_distance` between one clip's
    pictures from different seeds (0: the seed changes nothing), with per-label means.

    Args:
        items: The clips.
        seed_images: Per clip, its pictures from two or more seeds.
    """
    if not items:
        return {}
    distances = [mean_pairwise_distance(images) for images in seed_images]
    labels = [_label(item) for item in items]
    return {
        "diversity_seeds": float(np.mean(distances)),
        "diversity_seeds_k": len(seed_images[0]),
        "per_label": {"diversity_seeds": {label: float(np.mean([d for d, own in zip(distances, labels, strict=True)
                                                                if own == label]))
                                          for label in sorted(set(labels))}},
    }


def real_diversity(items: Sequence[PairedItem]) -> dict[str, Any]:
    """``diversity_real``: :func:`mean_pairwise_distance` between real pictures of different clips of
    one class (the first 16 of each), averaged over classes; the reference for ``diversity_seeds``."""
    by_label: dict[str, list[Image.Image]] = {}
    for item in items:
        members = by_label.setdefault(_label(item), [])
        if len(members) < _REAL_PER_CLASS:
            members.append(_open(item.image))
    per_label = {label: mean_pairwise_distance(images) for label, images in sorted(by_label.items())
                 if len(images) > 1}
    if not per_label:
        return {}
    return {"diversity_real": float(np.mean(list(per_label.values()))),
            "per_label": {"diversity_real": per_label}}


def attribute_following(
    items: Sequence[PairedItem], images: Sequence[Image.Image], regressor: AttributeRegressor
) -> dict[str, Any]:
    """How the attributes the regressor sees in ``images`` follow the rows' sound parameters.

    - ``attribute_following``: ``{attribute: {label: Spearman}}`` between the row's ``intensity``
      (or ``count``) and the one estimated from its picture, per class;
    - ``attribute_following_mean``: the mean of those; ``attribute_following_pass``: the share of
      classes with at least one attribute at :data:`FOLLOWING_GOAL` or more;
    - ``pan_correlation``: Pearson between the rows' ``pan`` and the estimated ``source_x``.

    A figure is left out where it is undefined (under three rows, or constant values).

    Args:
        items: The rows (with their attributes).
        images: One picture per row: generated ones, or the real ones for the regressor's ceiling.
        regressor: A regressor trained on real pictures.
    """
    labels = [_label(item) for item in items]
    estimated = regressor.predict(images, [item.label for item in items])
    following: dict[str, dict[str, float]] = {}
    for name in _FOLLOWED:
        if name not in estimated:
            continue
        for label in sorted(set(labels)):
            rows = [index for index, item in enumerate(items) if labels[index] == label and name in item.attributes]
            rho = spearman([items[index].attributes[name] for index in rows], estimated[name][rows].tolist())
            if rho is not None:
                following.setdefault(name, {})[label] = rho
    summary: dict[str, Any] = {}
    if following:
        values = [rho for per_class in following.values() for rho in per_class.values()]
        classes = sorted({label for per_class in following.values() for label in per_class})
        best = [max(per_class.get(label, -1.0) for per_class in following.values()) for label in classes]
        summary["attribute_following"] = following
        summary["attribute_following_mean"] = float(np.mean(values))
        summary["attribute_following_pass"] = float(np.mean([rho >= FOLLOWING_GOAL for rho in best]))
    if "source_x" in estimated:
        rows = [index for index, item in enumerate(items) if "pan" in item.attributes]
        correlation = pearson([items[index].attributes["pan"] for index in rows], estimated["source_x"][rows].tolist())
        if correlation is not None:
            summary["pan_correlation"] = correlation
    return summary

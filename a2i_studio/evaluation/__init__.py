"""Scoring generated images: the seed papers' metrics and the ones the field reports.

- SSIM and histogram correlation against the ground-truth frame (the seed AE-GAN paper);
- AIC: the share of images a classifier assigns to their audio's label, with the
  built-in scene classifier (trained with the degradations generated pictures show),
  a second, simple judge beside it, or CLIP zero-shot over the dataset's labels;
- CLIP score, and SonicDiffusion's AIS and IIS;
- FID and KID against a folder of reference images (torchmetrics, on CLIP features);
- sharpness against the real pictures, diversity across seeds, and how pictures follow their
  sound's parameters and pan (an attribute regressor trained on real pictures).

The models the metrics need are declared as weights (:data:`METRIC_WEIGHTS`) and
found like any component's. Names load on first use, so importing this package
(for :data:`METRIC_WEIGHTS`, as ``a2i models list`` does) imports no torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2i_studio.evaluation._classifier import (
        DEGRADATIONS,
        SceneClassifier,
        classifier_accuracies,
        classifier_key,
        degrade,
        train_classifier,
    )
    from a2i_studio.evaluation._clip import ClipJudge, ImageEmbedder
    from a2i_studio.evaluation._correlation import pearson, spearman
    from a2i_studio.evaluation._distribution import distribution_distances
    from a2i_studio.evaluation._evaluate import EvaluationReport, PairScore, evaluate_pairs
    from a2i_studio.evaluation._field import FieldJudges, field_metrics, per_label
    from a2i_studio.evaluation._html import write_html_report
    from a2i_studio.evaluation._metrics import HISTOGRAM_BINS, as_array, histogram_correlation, ssim
    from a2i_studio.evaluation._picture_metrics import (
        FOLLOWING_GOAL,
        attribute_following,
        diversity_metrics,
        real_diversity,
        sharpness_metrics,
    )
    from a2i_studio.evaluation._ranked import ranked_similarity
    from a2i_studio.evaluation._regressor import (
        ATTRIBUTES,
        AttributeRegressor,
        regressor_attributes,
        regressor_key,
        train_regressor,
    )
    from a2i_studio.evaluation._sharpness import COMMON_SIZE, mean_pairwise_distance, sharpness
    from a2i_studio.evaluation._simple_judge import SimpleJudge
    from a2i_studio.evaluation._weights import (
        CLIP_WEIGHTS,
        IMAGE_ENCODER_WEIGHTS,
        METRIC_WEIGHTS,
        OPENCLIP_VIT_H_WEIGHTS,
    )

__all__ = [
    "ATTRIBUTES",
    "CLIP_WEIGHTS",
    "COMMON_SIZE",
    "DEGRADATIONS",
    "FOLLOWING_GOAL",
    "HISTOGRAM_BINS",
    "IMAGE_ENCODER_WEIGHTS",
    "METRIC_WEIGHTS",
    "OPENCLIP_VIT_H_WEIGHTS",
    "AttributeRegressor",
    "ClipJudge",
    "EvaluationReport",
    "FieldJudges",
    "ImageEmbedder",
    "PairScore",
    "SceneClassifier",
    "SimpleJudge",
    "as_array",
    "attribute_following",
    "classifier_accuracies",
    "classifier_key",
    "degrade",
    "distribution_distances",
    "diversity_metrics",
    "evaluate_pairs",
    "field_metrics",
    "histogram_correlation",
    "mean_pairwise_distance",
    "pearson",
    "per_label",
    "ranked_similarity",
    "real_diversity",
    "regressor_attributes",
    "regressor_key",
    "sharpness",
    "sharpness_metrics",
    "spearman",
    "ssim",
    "train_classifier",
    "train_regressor",
    "write_html_report",
]

_MODULES = {
    "DEGRADATIONS": "_classifier",
    "SceneClassifier": "_classifier",
    "classifier_accuracies": "_classifier",
    "classifier_key": "_classifier",
    "degrade": "_classifier",
    "train_classifier": "_classifier",
    "ClipJudge": "_clip",
    "ImageEmbedder": "_clip",
    "distribution_distances": "_distribution",
    "EvaluationReport": "_evaluate",
    "PairScore": "_evaluate",
    "evaluate_pairs": "_evaluate",
    "FieldJudges": "_field",
    "field_metrics": "_field",
    "per_label": "_field",
    "write_html_report": "_html",
    "HISTOGRAM_BINS": "_metrics",
    "as_array": "_metrics",
    "histogram_correlation": "_metrics",
    "ssim": "_metrics",
    "ranked_similarity": "_ranked",
    "SimpleJudge": "_simple_judge",
    "CLIP_WEIGHTS": "_weights",
    "IMAGE_ENCODER_WEIGHTS": "_weights",
    "METRIC_WEIGHTS": "_weights",
    "OPENCLIP_VIT_H_WEIGHTS": "_weights",
    "pearson": "_correlation",
    "spearman": "_correlation",
    "FOLLOWING_GOAL": "_picture_metrics",
    "attribute_following": "_picture_metrics",
    "diversity_metrics": "_picture_metrics",
    "real_diversity": "_picture_metrics",
    "sharpness_metrics": "_picture_metrics",
    "ATTRIBUTES": "_regressor",
    "AttributeRegressor": "_regressor",
    "regressor_attributes": "_regressor",
    "regressor_key": "_regressor",
    "train_regressor": "_regressor",
    "COMMON_SIZE": "_sharpness",
    "mean_pairwise_distance": "_sharpness",
    "sharpness": "_sharpness",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)

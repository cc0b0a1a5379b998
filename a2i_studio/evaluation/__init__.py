"""Scoring generated images: SSIM, histogram correlation and AIC against held-out pairs.

The seed AE-GAN paper reports SSIM and histogram correlation (OpenCV's
``HISTCMP_CORREL``) against the ground-truth frame; AIC is the accuracy of a
small CNN, trained on the dataset's own training images, on the generated
images against their audio's label. ``a2i eval`` drives this through the
engine; :func:`evaluate_pairs` takes any ``generate(item) -> image`` callable.

Importing this package imports torch (for the classifier).
"""

from __future__ import annotations

from a2i_studio.evaluation._classifier import SceneClassifier, classifier_key, train_classifier
from a2i_studio.evaluation._evaluate import EvaluationReport, PairScore, evaluate_pairs
from a2i_studio.evaluation._metrics import HISTOGRAM_BINS, as_array, histogram_correlation, ssim

__all__ = [
    "HISTOGRAM_BINS",
    "EvaluationReport",
    "PairScore",
    "SceneClassifier",
    "as_array",
    "classifier_key",
    "evaluate_pairs",
    "histogram_correlation",
    "ssim",
    "train_classifier",
]

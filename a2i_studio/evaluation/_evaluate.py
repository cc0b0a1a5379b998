"""Scoring generated images against their ground truth and their audio's class."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from a2i_studio.datasets import PairedItem
from a2i_studio.errors import DatasetError
from a2i_studio.evaluation._classifier import SceneClassifier
from a2i_studio.evaluation._metrics import HISTOGRAM_BINS, as_array, histogram_correlation, ssim
from a2i_studio.evaluation._simple_judge import SimpleJudge

__all__ = ["EvaluationReport", "PairScore", "evaluate_pairs"]


@dataclass(frozen=True)
class PairScore:
    """The scores of one generated image.

    Attributes:
        item: The pair it was generated for.
        ssim: SSIM against the ground truth, at the generated image's size.
        histogram_correlation: Colour-histogram correlation against the ground truth.
        predicted: The classifier's label for the generated image (``""`` without a classifier).
        predicted_real: The classifier's label for the ground-truth image.
        judged: The simple judge's label for the generated image (``""`` without one).
        image: The generated image (for the metrics that look at all images at once, and the report).
    """

    item: PairedItem
    ssim: float
    histogram_correlation: float
    predicted: str = ""
    predicted_real: str = ""
    judged: str = ""
    image: Image.Image | None = None


@dataclass
class EvaluationReport:
    """Per-pair scores and their summary.

    Attributes:
        scores: One per pair, in order.
        bins: Histogram bins per channel used for the histogram correlation.
    """

    scores: list[PairScore] = field(default_factory=list)
    bins: int = HISTOGRAM_BINS

    def summary(self) -> dict[str, Any]:
        """Means over the pairs; AIC overall, per label and as ``confusion[label][predicted] = count``;
        the classifier's accuracy on the real images."""
        if not self.scores:
            return {"pairs": 0}
        summary: dict[str, Any] = {
            "pairs": len(self.scores),
            "ssim": float(np.mean([score.ssim for score in self.scores])),
            "histogram_correlation": float(np.mean([score.histogram_correlation for score in self.scores])),
            "histogram_bins": self.bins,
        }
        classified = [score for score in self.scores if score.predicted]
        if classified:
            summary["aic"] = float(np.mean([score.predicted == score.item.label for score in classified]))
            summary["classifier_accuracy_real"] = float(
                np.mean([score.predicted_real == score.item.label for score in classified])
            )
            labels = sorted({score.item.label for score in classified})
            summary["aic_per_label"] = {
                label: float(np.mean([s.predicted == label for s in classified if s.item.label == label]))
                for label in labels
            }
            summary["confusion"] = {
                label: dict(Counter(s.predicted for s in classified if s.item.label == label)) for label in labels
            }
        judged = [score for score in self.scores if score.judged]
        if judged:
            summary["aic_simple_judge"] = float(np.mean([score.judged == score.item.label for score in judged]))
        return summary


def evaluate_pairs(
    items: Sequence[PairedItem],
    generate: Callable[[PairedItem], Image.Image],
    classifier: SceneClassifier | None = None,
    on_item: Callable[[int, int], None] | None = None,
    bins: int = HISTOGRAM_BINS,
    judge: SimpleJudge | None = None,
) -> EvaluationReport:
    """Generate an image for each pair and score it.

    SSIM and histogram correlation compare the generated image with the pair's
    image, area-resized to the generated size (so a 64 px model is judged at 64 px).

    Args:
        items: Pairs with audio and image (and labels, for AIC).
        generate: Makes the image of one pair (e.g. through the engine).
        classifier: Names the class of each image; ``None`` skips AIC.
        on_item: Called with ``(done, total)`` after each pair.
        bins: Histogram bins per channel (OpenCV-style; 256 is one per 8-bit level).
        judge: A second, simple judge of the generated images' class (``aic_simple_judge``).

    Raises:
        DatasetError: If a pair has no image, or no label while a classifier is given.
    """
    report = EvaluationReport(bins=bins)
    for index, item in enumerate(items):
        if item.image is None or (classifier is not None and not item.label):
            raise DatasetError(f"Pair {index} ({item.audio}) needs an image and a label to be evaluated.")
        generated = generate(item)
        with Image.open(item.image) as picture:
            truth = picture.convert("RGB")
        size = generated.size[0]
        generated_array, truth_array = as_array(generated), as_array(truth, size)
        predicted, predicted_real = classifier.predict([generated, truth]) if classifier is not None else ("", "")
        report.scores.append(
            PairScore(
                item=item,
                ssim=ssim(generated_array, truth_array),
                histogram_correlation=histogram_correlation(generated_array, truth_array, bins),
                predicted=predicted,
                predicted_real=predicted_real,
                judged=judge.predict([generated])[0] if judge is not None else "",
                image=generated,
            )
        )
        if on_item is not None:
            on_item(index + 1, len(items))
    return report

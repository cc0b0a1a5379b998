"""SSIM and histogram correlation against independent references, the AIC classifier, and scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from a2i_studio.datasets import PairedDataset, PairedItem
from a2i_studio.datasets.soundscapes import make_soundscapes
from a2i_studio.errors import DatasetError
from a2i_studio.evaluation import (
    SceneClassifier,
    classifier_key,
    evaluate_pairs,
    histogram_correlation,
    ssim,
    train_classifier,
)


def _reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """skimage's algorithm written out: per-channel Gaussian moments, crop the border, mean."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    c1, c2, pad = (0.01 * 255) ** 2, (0.03 * 255) ** 2, 5
    values = []
    for channel in range(x.shape[-1]):
        a, b = x[..., channel], y[..., channel]

        def blur(v: np.ndarray) -> np.ndarray:
            return gaussian_filter(v, sigma=1.5, truncate=3.5)

        ma, mb = blur(a), blur(b)
        va, vb, cov = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(a * b) - ma * mb
        s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
        values.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(values))


def _reference_histogram_correlation(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    return float(np.mean([
        np.corrcoef(np.bincount(x[..., c].ravel().astype(int) * bins // 256, minlength=bins),
                    np.bincount(y[..., c].ravel().astype(int) * bins // 256, minlength=bins))[0, 1]
        for c in range(3)
    ]))


def test_ssim_matches_the_skimage_algorithm_and_is_one_for_equal_images() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (40, 48, 3)).astype(np.uint8)
    noisy = np.clip(base + rng.normal(0, 40, base.shape), 0, 255).astype(np.uint8)
    smooth = gaussian_filter(base.astype(float), (2, 2, 0)).astype(np.uint8)
    for other in (noisy, smooth):
        assert ssim(other, base) == pytest.approx(_reference_ssim(other, base), abs=1e-10)
    assert ssim(base, base) == pytest.approx(1.0)
    assert 0.0 < ssim(noisy, base) < 0.9
    with pytest.raises(ValueError, match="same shape"):
        ssim(base, base[:-1])


def test_histogram_correlation_is_pearson_over_bins_per_channel() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    y = np.clip(x.astype(int) + 30, 0, 255).astype(np.uint8)
    for bins in (256, 32):
        assert histogram_correlation(x, y, bins) == pytest.approx(_reference_histogram_correlation(x, y, bins))
    assert histogram_correlation(x, x[::-1]) == pytest.approx(1.0)  # same colours, other layout
    flat = np.zeros((8, 8, 3), np.uint8)
    flat[:, :4] = 255  # two bins of 32 pixels per channel
    assert histogram_correlation(flat, 255 - flat, bins=2) == pytest.approx(1.0)  # OpenCV: flat histograms are equal


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> PairedDataset:
    return make_soundscapes(tmp_path_factory.mktemp("scenes"), n=48, seed=2, seconds=0.5, workers=1)


@pytest.fixture(scope="module")
def trained(scenes: PairedDataset) -> tuple[SceneClassifier, list[float]]:
    """A classifier trained on 32 of the 48 pictures, and its training accuracy per epoch."""
    accuracies: list[float] = []
    train = scenes.split(seed=0, val=0.0, test=0.34)[0]
    classifier = train_classifier(train, epochs=12, size=32, on_epoch=lambda e, n, acc: accuracies.append(acc))
    return classifier, accuracies


def test_the_classifier_learns_the_scene_pictures_and_round_trips(
    scenes: PairedDataset, trained: tuple[SceneClassifier, list[float]], tmp_path: Path
) -> None:
    classifier, accuracies = trained
    train, _, test = scenes.split(seed=0, val=0.0, test=0.34)
    assert len(accuracies) == 12 and accuracies[-1] > accuracies[0]
    pictures = [Image.open(item.image or "") for item in test]
    predicted = classifier.predict(pictures)
    assert np.mean([p == item.label for p, item in zip(predicted, test, strict=True)]) >= 0.75
    classifier.save(tmp_path / "c.safetensors")
    assert SceneClassifier.load(tmp_path / "c.safetensors").predict(pictures) == predicted
    assert classifier_key(train) == classifier_key(scenes.split(seed=0, val=0.0, test=0.34)[0]) != classifier_key(test)


def test_scores_of_ground_truth_images_are_perfect_and_aic_counts_labels(
    scenes: PairedDataset, trained: tuple[SceneClassifier, list[float]]
) -> None:
    classifier, _ = trained
    items = scenes.split(seed=0, val=0.0, test=0.34)[2]
    def ground_truth(item: PairedItem) -> Image.Image:
        return Image.open(item.image or "").resize((64, 64), Image.Resampling.BOX)

    report = evaluate_pairs(list(items), ground_truth, classifier)
    summary = report.summary()
    assert summary["pairs"] == 16 and summary["histogram_bins"] == 256
    assert summary["ssim"] == pytest.approx(1.0) and summary["histogram_correlation"] == pytest.approx(1.0)
    correct = [score.predicted == score.item.label for score in report.scores]
    assert summary["aic"] == pytest.approx(np.mean(correct)) and summary["aic"] >= 0.75
    assert summary["aic"] == pytest.approx(summary["classifier_accuracy_real"], abs=0.07)
    assert np.mean(list(summary["aic_per_label"].values())) == pytest.approx(summary["aic"])  # 2 pairs per label
    assert sum(sum(row.values()) for row in summary["confusion"].values()) == 16
    for label in scenes.labels:
        assert summary["confusion"][label].get(label, 0) == 2 * summary["aic_per_label"][label]
    grey = evaluate_pairs(list(items)[:2], lambda item: Image.new("RGB", (64, 64), (128, 128, 128)), bins=32).summary()
    assert grey["ssim"] < 0.5 and grey["histogram_correlation"] < 0.2 and "aic" not in grey
    assert grey["histogram_bins"] == 32


def test_pairs_without_images_or_labels_cannot_be_scored() -> None:
    with pytest.raises(DatasetError, match="needs an image and a label"):
        evaluate_pairs([PairedItem(Path("a.wav"), None)], lambda item: Image.new("RGB", (16, 16)))


def test_simple_judge_matches_scikit_learns_logistic_regression(scenes: PairedDataset) -> None:
    from sklearn.linear_model import LogisticRegression

    from a2i_studio.evaluation import SimpleJudge
    from a2i_studio.evaluation._simple_judge import _features

    train, test = scenes.split(seed=0, val=0.0, test=0.34)[0::2]
    pictures = [Image.open(item.image) for item in train]  # type: ignore[arg-type]
    judge = SimpleJudge.fit(pictures, [item.label for item in train], c=0.5)
    features = _features(pictures)
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        (features - judge.mean) / judge.scale, [item.label for item in train]
    )
    held_out = [Image.open(item.image) for item in test]  # type: ignore[arg-type]
    expected = reference.predict_proba((_features(held_out) - judge.mean) / judge.scale)
    assert list(reference.classes_) == judge.labels
    np.testing.assert_allclose(judge.probabilities(held_out), expected, atol=2e-3)
    assert judge.predict(held_out) == list(reference.predict((_features(held_out) - judge.mean) / judge.scale))


def test_degradations_change_pictures_as_named_and_the_classifier_survives_them(
    trained: tuple[SceneClassifier, list[float]], scenes: PairedDataset
) -> None:
    import torch

    from a2i_studio.evaluation import DEGRADATIONS, degrade

    rng = np.random.default_rng(0)
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    blurred = degrade(images, "blur", rng)
    assert blurred.shape == images.shape and blurred.diff(dim=-1).abs().mean() < images.diff(dim=-1).abs().mean() / 2
    coarse = degrade(images, "low-res", np.random.default_rng(1))
    assert coarse.diff(dim=-1).abs().mean() < images.diff(dim=-1).abs().mean() / 2
    shifted = degrade(images, "colour-shift", rng)
    assert not torch.allclose(shifted.mean(dim=(2, 3)), images.mean(dim=(2, 3)), atol=0.05)
    with pytest.raises(ValueError, match="unknown degradation"):
        degrade(images, "sepia", rng)

    classifier, _ = trained
    test = scenes.split(seed=0, val=0.0, test=0.34)[2]
    pictures = [Image.open(item.image) for item in test]  # type: ignore[arg-type]
    labels = [item.label for item in test]
    for kind in DEGRADATIONS:
        predicted = classifier.predict(pictures, degradation=kind, seed=3)
        assert np.mean([p == label for p, label in zip(predicted, labels, strict=True)]) >= 0.6, kind

"""The field's metrics on tiny random CLIPs, each against a reference implementation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from clip_fixtures import LABELS, save_tiny_clip
from PIL import Image

from a2i_studio import weights
from a2i_studio.errors import WeightsMissing
from a2i_studio.evaluation import (
    CLIP_WEIGHTS,
    ClipJudge,
    ImageEmbedder,
    distribution_distances,
    ranked_similarity,
)


def _pictures(count: int, seed: int, size: int = 40) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (size, size + 8, 3), dtype=np.uint8)) for _ in range(count)]


@pytest.fixture
def clip_folder(app_dirs: dict[str, Path]) -> Path:
    """A tiny CLIP where the weights manager looks for CLIP ViT-L/14 (the models dir's encoders/)."""
    return save_tiny_clip(weights.user_path(CLIP_WEIGHTS))


def test_missing_clip_names_the_download_command() -> None:
    with pytest.raises(WeightsMissing, match="a2i models download clip-vit-l14"):
        ClipJudge.find()


def test_clip_score_matches_clip_models_own_logits(clip_folder: Path) -> None:
    # torchmetrics' clip_score would be the natural reference, but 1.9 breaks on transformers 5
    # (get_image_features returns an output object); CLIPModel's logits are cosine x logit scale.
    from transformers import CLIPModel, CLIPProcessor

    images, texts = _pictures(4, seed=1), ["rain", "fire", "forest", "a beach at dawn"]
    ours = ClipJudge.find().clip_scores(images, texts)
    model, processor = CLIPModel.from_pretrained(clip_folder).eval(), CLIPProcessor.from_pretrained(clip_folder)
    inputs = processor(text=texts, images=images, return_tensors="pt", padding=True)
    with torch.no_grad():
        output = model(**inputs)
    cosine = output.logits_per_image.diagonal() / model.logit_scale.exp()
    assert ours.tolist() == pytest.approx(torch.clamp(100 * cosine, min=0).tolist(), abs=1e-3)
    assert ours.shape == (4,) and (ours > 0).any()


def test_zero_shot_matches_clip_models_own_logits(clip_folder: Path) -> None:
    from transformers import CLIPModel, CLIPProcessor

    images = _pictures(12, seed=2)
    predicted = ClipJudge.find().zero_shot(images, LABELS, template="a picture of {label}")
    model, processor = CLIPModel.from_pretrained(clip_folder).eval(), CLIPProcessor.from_pretrained(clip_folder)
    inputs = processor(text=[f"a picture of {label}" for label in LABELS], images=images, return_tensors="pt",
                       padding=True)
    with torch.no_grad():
        logits = model(**inputs).logits_per_image
    assert predicted == [LABELS[int(index)] for index in logits.argmax(dim=1)]
    assert len(set(predicted)) > 1  # the tiny model does separate random pictures


def test_ranked_similarity_is_sonicdiffusions_loop() -> None:
    rng = np.random.default_rng(3)
    queries, positives, negatives = rng.normal(size=(7, 5)), rng.normal(size=(7, 5)), rng.normal(size=(11, 5))

    def loop(query_rows: np.ndarray, positive_rows: np.ndarray, negative_rows: np.ndarray) -> list[float]:
        # evaluation.py: normalise, then for each image count the references its own pair beats
        q = query_rows / np.linalg.norm(query_rows, axis=1, keepdims=True)
        p = positive_rows / np.linalg.norm(positive_rows, axis=1, keepdims=True)
        n = negative_rows / np.linalg.norm(negative_rows, axis=1, keepdims=True)
        scores = []
        for i in range(len(q)):
            pair = float(q[i] @ p[i])
            scores.append(sum(1 if pair > float(q[i] @ n[k]) else 0 for k in range(len(n))) / len(n))
        return scores

    assert ranked_similarity(queries, positives, negatives).tolist() == pytest.approx(loop(queries, positives,
                                                                                           negatives))
    assert ranked_similarity(queries, positives).tolist() == pytest.approx(loop(queries, positives, positives))
    assert ranked_similarity(positives, positives).tolist() == pytest.approx([6 / 7] * 7)  # the ceiling
    with pytest.raises(ValueError, match="do not fit"):
        ranked_similarity(queries, positives[:3])


def _scipy_fid(first: np.ndarray, second: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = first.mean(axis=0), second.mean(axis=0)
    sigma1, sigma2 = np.cov(first, rowvar=False), np.cov(second, rowvar=False)
    root = linalg.sqrtm(sigma1 @ sigma2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * root))


def _numpy_kid(first: np.ndarray, second: np.ndarray) -> float:
    """Unbiased MMD^2 with the cubic polynomial kernel (x.y / d + 1)^3 (Binkowski et al. 2018)."""
    d = first.shape[1]
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((first, first), (second, second), (first, second)))
    m = len(first)
    return float((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())


def test_fid_and_kid_of_two_folders_match_the_reference_math(clip_folder: Path, tmp_path: Path) -> None:
    for name, seed in (("generated", 4), ("reference", 5)):
        (tmp_path / name).mkdir()
        for index, image in enumerate(_pictures(24, seed)):
            image.save(tmp_path / name / f"{index}.png")
    embedder = ImageEmbedder.find()
    features = {
        name: embedder.image_embeddings([Image.open(path) for path in sorted((tmp_path / name).glob("*.png"))])
        for name in ("generated", "reference")
    }
    assert features["generated"].shape == (24, 16)
    scores = distribution_distances(features["generated"], features["reference"], kid_subsets=1,
                                    kid_subset_size=24)
    assert scores["fid"] == pytest.approx(_scipy_fid(features["generated"], features["reference"]), rel=1e-4)
    assert scores["kid"] == pytest.approx(_numpy_kid(features["generated"], features["reference"]), rel=1e-6)
    same = distribution_distances(features["generated"], features["generated"])
    assert abs(same["fid"]) < 1e-6 and abs(same["kid"]) < 1e-3
    with pytest.raises(ValueError, match="at least 2 rows"):
        distribution_distances(features["generated"][:1], features["reference"])

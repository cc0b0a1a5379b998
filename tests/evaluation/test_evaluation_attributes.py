"""Issue 20's figures: correlations, sharpness, diversity and the attribute regressor."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from attribute_fixtures import make_attribute_dataset
from PIL import Image, ImageFilter

from a2i_studio.datasets import read_dataset
from a2i_studio.errors import CheckpointError, DatasetError
from a2i_studio.evaluation import (
    AttributeRegressor,
    attribute_following,
    diversity_metrics,
    mean_pairwise_distance,
    pearson,
    real_diversity,
    regressor_attributes,
    regressor_key,
    sharpness,
    spearman,
    train_regressor,
)


def test_spearman_averages_tied_ranks_as_computed_by_hand() -> None:
    # ranks of y: 1, 2, 3.5, 5, 3.5; against 1..5: 8 / sqrt(10 * 9.5)
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2, 3, 4], [10, 20, 30, 1000]) == pytest.approx(1.0)  # ranks, not values
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_pearson_matches_a_hand_computation_and_is_left_out_where_undefined() -> None:
    # deviations (-1, 0, 1) and (-4/3, -1/3, 5/3): 3 / sqrt(2 * 42/9)
    assert pearson([1, 2, 3], [1, 2, 4]) == pytest.approx(3 / math.sqrt(2 * 42 / 9))
    assert pearson([1, 2, 3], [5, 5, 5]) is None
    assert spearman([1, 2], [1, 2]) is None
    with pytest.raises(ValueError, match="paired"):
        pearson([1, 2, 3], [1, 2])


def _texture(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize((128, 128), Image.Resampling.NEAREST)


def test_sharpness_of_a_step_edge_is_half_a_level_on_two_columns() -> None:
    step = np.zeros((128, 128, 3), np.uint8)
    step[:, 64:] = 255
    # Sobel / 8 gives 0.5 on the two columns beside the edge, 0 elsewhere, over 126 x 126 pixels.
    assert sharpness(Image.fromarray(step)) == pytest.approx(2 * 126 * 0.5 / 126**2)
    assert sharpness(Image.new("RGB", (128, 128), (90, 20, 200))) == 0.0


def test_sharpness_ratio_of_a_picture_to_itself_is_one_and_to_its_blurred_copy_below_one() -> None:
    picture = _texture()
    blurred = picture.filter(ImageFilter.GaussianBlur(2))
    assert sharpness(picture) / sharpness(picture) == 1.0
    assert sharpness(blurred) / sharpness(picture) == pytest.approx(0.70, abs=0.02)  # measured: 0.699
    # measured at 128 px whatever the size: a 64 px copy loses detail, a 256 px one hardly any
    assert sharpness(picture.resize((64, 64), Image.Resampling.BOX)) < sharpness(picture)
    assert sharpness(picture.resize((256, 256), Image.Resampling.NEAREST)) == pytest.approx(sharpness(picture),
                                                                                             rel=0.05)


def test_mean_pairwise_distance_is_zero_for_identical_pictures_and_one_for_black_and_white() -> None:
    black, white = Image.new("RGB", (32, 32)), Image.new("RGB", (32, 32), (255, 255, 255))
    assert mean_pairwise_distance([black, white]) == 1.0
    assert mean_pairwise_distance([black, white, black]) == pytest.approx(2 / 3)
    assert mean_pairwise_distance([_texture(1)] * 4) == 0.0
    with pytest.raises(ValueError, match="at least two"):
        mean_pairwise_distance([black])


def test_diversity_is_zero_for_identical_seeds_and_real_diversity_compares_clips_of_a_class(tmp_path: Path) -> None:
    items = list(read_dataset(make_attribute_dataset(tmp_path / "data", 3)))
    same = diversity_metrics(items, [[_texture(index)] * 4 for index in range(len(items))])
    assert same["diversity_seeds"] == 0.0 and same["diversity_seeds_k"] == 4
    assert same["per_label"]["diversity_seeds"] == {"birds": 0.0, "sun": 0.0}
    varied = diversity_metrics(items, [[_texture(index), _texture(index + 100)] for index in range(len(items))])
    assert 0.2 < varied["diversity_seeds"] < 0.5  # uniform random levels differ by 1/3 on average
    real = real_diversity(items)
    assert set(real["per_label"]["diversity_real"]) == {"birds", "sun"}
    assert 0 < real["diversity_real"] < 0.2  # the same dark sky, different discs


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[AttributeRegressor, list, list]:
    """A regressor trained on 90 real pictures, and the 30 held-out rows with their pictures."""
    folder = make_attribute_dataset(tmp_path_factory.mktemp("attributes") / "data", 60)
    train, _, test = read_dataset(folder).split(0, 0, 0.25)
    pictures = [Image.open(item.image).convert("RGB") for item in test]
    return train_regressor(train, epochs=20, size=32), list(test), pictures


def test_the_regressor_recovers_source_x_intensity_and_count_from_held_out_real_pictures(
    trained: tuple[AttributeRegressor, list, list],
) -> None:
    regressor, items, pictures = trained
    assert regressor.attributes == ["intensity", "count", "source_x"]
    estimated = regressor.predict(pictures, [item.label for item in items])
    sun = [index for index, item in enumerate(items) if item.label == "sun"]
    truth = [items[index].attributes["source_x"] for index in sun]
    assert pearson(truth, estimated["source_x"][sun].tolist()) > 0.9
    assert np.abs(estimated["source_x"][sun] - truth).mean() < 0.1  # in the attribute's own units
    figures = attribute_following(items, pictures, regressor)
    assert figures["attribute_following"]["intensity"]["sun"] > 0.9  # brightness
    assert figures["attribute_following"]["count"]["birds"] > 0.8
    assert set(figures["attribute_following"]["count"]) == {"birds"}  # the sun has no count
    assert figures["pan_correlation"] > 0.9 and figures["attribute_following_pass"] == 1.0


def test_pictures_that_ignore_the_sound_do_not_follow_it(trained: tuple[AttributeRegressor, list, list]) -> None:
    regressor, items, pictures = trained
    same = attribute_following(items, [pictures[0]] * len(items), regressor)
    assert "attribute_following" not in same and "pan_correlation" not in same  # constant estimates: undefined
    shuffled = attribute_following(items, pictures[::-1], regressor)
    assert shuffled["attribute_following_mean"] < 0.5


def test_the_regressor_round_trips_through_safetensors(
    trained: tuple[AttributeRegressor, list, list], tmp_path: Path
) -> None:
    regressor, items, pictures = trained
    regressor.save(tmp_path / "regressor.safetensors")
    loaded = AttributeRegressor.load(tmp_path / "regressor.safetensors")
    labels = [item.label for item in items]
    for name, values in regressor.predict(pictures, labels).items():
        np.testing.assert_allclose(loaded.predict(pictures, labels)[name], values, rtol=1e-6)
    with pytest.raises(CheckpointError, match="not a current attribute regressor"):
        AttributeRegressor.load(_other_file(tmp_path))
    # the right format with the wrong shapes (a file from a development build): one sentence, not a crash
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(tmp_path / "regressor.safetensors"), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(tmp_path / "regressor.safetensors"))
    tensors["head.0.weight"] = torch.zeros(64, 3)
    save_file(tensors, str(tmp_path / "shapes.safetensors"), metadata)
    with pytest.raises(CheckpointError, match=r"shapes\.safetensors does not fit this version's attribute regressor; "
                                              "delete it"):
        AttributeRegressor.load(tmp_path / "shapes.safetensors")


def _other_file(tmp_path: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"), {"format": "something-else"})
    return tmp_path / "other.safetensors"


def test_the_regressor_needs_a_varying_attribute_and_its_key_follows_the_attributes(tmp_path: Path) -> None:
    dataset = read_dataset(make_attribute_dataset(tmp_path / "data", 3))
    assert regressor_attributes(dataset) == ["intensity", "count", "source_x"]
    metadata = tmp_path / "data" / "metadata.csv"
    key = regressor_key(dataset)
    assert regressor_key(dataset, size=64) != key  # another input size is another regressor
    lines = metadata.read_text().splitlines()
    metadata.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[3], "0.5"), *lines[2:]]) + "\n")
    assert regressor_key(read_dataset(tmp_path / "data")) != key  # a changed intensity retrains
    bare = [line.split(",")[:3] for line in lines]
    metadata.write_text("\n".join(",".join(cells) for cells in bare) + "\n")
    plain = read_dataset(tmp_path / "data")
    assert regressor_attributes(plain) == []
    with pytest.raises(DatasetError, match="no varying intensity, count, source_x column"):
        train_regressor(plain)


def test_an_unlabelled_dataset_trains_one_regressor_for_all_pictures(tmp_path: Path) -> None:
    folder = make_attribute_dataset(tmp_path / "data", 4)
    lines = (folder / "metadata.csv").read_text().splitlines()
    (folder / "metadata.csv").write_text("\n".join(line.replace(",birds,", ",,").replace(",sun,", ",,")
                                                   for line in lines) + "\n")
    dataset = read_dataset(folder)
    assert dataset.labels == []
    regressor = train_regressor(dataset, epochs=1, size=32)
    pictures = [Image.open(item.image).convert("RGB") for item in dataset]
    estimated = regressor.predict(pictures, [""] * len(pictures))
    assert {name: values.shape for name, values in estimated.items()} == {
        "intensity": (8,), "count": (8,), "source_x": (8,)}
    figures = attribute_following(list(dataset), pictures, regressor)
    assert set(figures["attribute_following"]["intensity"]) == {"all"}


def test_a_classifier_file_is_not_read_as_a_regressor_nor_the_other_way(tmp_path: Path) -> None:
    import torch

    from a2i_studio.evaluation import AttributeRegressor, SceneClassifier

    classifier = SceneClassifier(["rain", "city"], size=32)
    classifier.save(tmp_path / "classifier.safetensors")
    again = SceneClassifier.load(tmp_path / "classifier.safetensors")
    assert again.labels == ["rain", "city"] and again.size == 32
    for key, value in classifier.network.state_dict().items():
        assert torch.equal(value, again.network.state_dict()[key])
    with pytest.raises(CheckpointError, match="is not a current attribute regressor; delete it"):
        AttributeRegressor.load(tmp_path / "classifier.safetensors")

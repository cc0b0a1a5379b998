"""The AE-GAN's attribute critic: what it is taught, that it can read a position, and that training uses it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from a2i_plugins.aegan import AeganTrainer
from a2i_plugins.aegan._data import load_attributes
from a2i_plugins.aegan._network import AttributeCritic
from a2i_studio.datasets import read_dataset, write_metadata
from a2i_studio.datasets.soundscapes import make_item
from a2i_studio.errors import DatasetError

TINY = {"size": "32", "channels": 16, "batch_size": 4, "val_fraction": 0.34, "test_fraction": 0.0, "precision": "no",
        "discriminator_channels": 8}


@pytest.fixture(scope="module")
def stereo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six one-second stereo soundscapes, forest (with a bird count) and rain (without): 4 train, 2 validation."""
    root = tmp_path_factory.mktemp("stereo")
    write_metadata(root, [make_item(root, index, seed=4, seconds=1.0, stereo=True) for index in (0, 1, 8, 9, 16, 17)])
    return root


def test_attributes_are_standardised_masked_where_missing_and_mirrored_by_a_flip(stereo: Path) -> None:
    dataset = read_dataset(stereo)
    items = list(dataset)
    attributes = load_attributes(dataset, dataset.labels)
    assert attributes.names == ("intensity", "count", "source_x")
    assert attributes.classes.tolist() == [dataset.labels.index(item.label) for item in items]
    for column, name in enumerate(attributes.names):
        rows = [row for row, item in enumerate(items) if name in item.attributes]
        assert attributes.present[:, column].nonzero().flatten().tolist() == rows
        raw = torch.tensor([items[row].attributes[name] for row in rows])
        assert torch.allclose(attributes.values[rows, column] * attributes.std[column] + attributes.mean[column], raw,
                              atol=1e-5)
        assert abs(attributes.values[rows, column].mean().item()) < 1e-5
        assert torch.all(attributes.values[attributes.present[:, column] == 0, column] == 0)
    assert {item.label for item in items if "count" not in item.attributes} == {"rain"}
    # a flipped picture shows the source at 1 - x; the other attributes do not move
    flipped = attributes.mirrored(attributes.values)
    x = attributes.names.index("source_x")
    raw_x = torch.tensor([item.attributes["source_x"] for item in items])
    assert torch.allclose(flipped[:, x] * attributes.std[x] + attributes.mean[x], 1 - raw_x, atol=1e-5)
    assert torch.equal(flipped[:, :x], attributes.values[:, :x])
    # the validation split is standardised by the training split's statistics
    again = load_attributes(dataset, dataset.labels, attributes.mean * 0, attributes.std * 0 + 1, attributes.names)
    assert torch.allclose(again.values[:, x], raw_x)


def test_the_attribute_critic_learns_where_a_bright_square_stands() -> None:
    """The flattened 4x4 map keeps a horizontal position (a global pool would not): held-out r > 0.9."""
    generator = torch.Generator().manual_seed(0)

    def pictures(count: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.rand(count, generator=generator) * 0.8 + 0.1
        images = torch.full((count, 3, 64, 64), -1.0)
        for index, centre in enumerate(x.tolist()):
            left = round(centre * 64) - 6
            images[index, :, 26:38, max(left, 0):left + 12] = 1.0
        return images, x

    torch.manual_seed(0)
    critic = AttributeCritic(64, classes=1, outputs=1, channels=8)
    optimizer = torch.optim.Adam(critic.parameters(), lr=2e-3)
    train, train_x = pictures(64)
    classes = torch.zeros(64, dtype=torch.long)
    for _ in range(150):
        optimizer.zero_grad()
        loss = ((critic(train, classes)[:, 0] - (train_x - 0.5) * 4) ** 2).mean()
        loss.backward()
        optimizer.step()
    test, test_x = pictures(32)
    with torch.no_grad():
        estimated = critic(test, classes[:32])[:, 0]
    assert np.corrcoef(estimated.numpy(), test_x.numpy())[0, 1] > 0.9


def test_training_with_the_attribute_critic_reports_its_error_and_resumes_exactly(stereo: Path, tmp_path: Path) -> None:
    settings: dict[str, Any] = {**TINY, "preset": "sharp", "epochs": 3, "seed": 2, "attribute_weight": 2.0,
                                "export": "last"}
    metrics = AeganTrainer().train(stereo, tmp_path / "straight", settings)
    assert metrics["val_attributes"] > 0 and metrics["val_attributes_real"] > 0
    AeganTrainer().train(stereo, tmp_path / "resumed", {**settings, "epochs": 2})
    AeganTrainer().train(stereo, tmp_path / "resumed", settings)
    from safetensors.torch import load_file

    straight = load_file(str(tmp_path / "straight" / "aegan.safetensors"))
    resumed = load_file(str(tmp_path / "resumed" / "aegan.safetensors"))
    assert all(torch.equal(straight[key], resumed[key]) for key in straight)
    # the critic changes what the generator learns
    without = AeganTrainer().train(stereo, tmp_path / "without", {**settings, "attribute_weight": 0.0})
    assert "val_attributes" not in without
    plain = load_file(without["model"])
    assert not torch.equal(plain["encoder.0.weight"], straight["encoder.0.weight"])


def test_a_dataset_without_attribute_columns_is_refused_with_what_to_do(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    items = [make_item(bare, index, seed=4, seconds=1.0) for index in (0, 1, 8, 9, 16, 17)]
    write_metadata(bare, [dataclasses.replace(item, attributes={}) for item in items])
    with pytest.raises(DatasetError, match=r"attribute_weight needs intensity, count, source_x columns in .*bare"
                                           r".*set attribute_weight=0"):
        AeganTrainer().train(bare, tmp_path / "out", {**TINY, "epochs": 1, "attribute_weight": 1.0})


def test_the_attribute_terms_of_two_processes_average_to_the_one_process_terms(stereo: Path) -> None:
    """Each process's share is scaled so that, weighted by Step.weight and averaged, it is the batch's mean."""
    from types import SimpleNamespace

    from a2i_plugins.aegan._training import AeganLoop
    from a2i_studio.training import Step

    dataset = read_dataset(stereo)
    attributes = load_attributes(dataset, dataset.labels)
    torch.manual_seed(0)
    critic = AttributeCritic(32, len(dataset.labels), len(attributes.names), channels=4)
    start = {key: value.clone() for key, value in critic.state_dict().items()}
    images, targets = torch.rand(6, 3, 32, 32) * 2 - 1, torch.rand(6, 3, 32, 32) * 2 - 1
    batch = [5, 0, 3, 1, 4, 2]  # rain (no count) and forest rows mixed

    def terms(process: int, processes: int) -> tuple[float, float]:
        critic.load_state_dict(start)
        optimizer = torch.optim.SGD(critic.parameters(), lr=0.0)  # no move: the same critic for every share
        losses: list[float] = []

        def backward(loss: torch.Tensor) -> None:
            losses.append(loss.item())
            loss.backward()

        loop = SimpleNamespace(train_attributes=attributes, attribute_critic=critic, attribute_optimizer=optimizer,
                               run=SimpleNamespace(device="cpu", accelerator=SimpleNamespace(backward=backward)))
        step = Step(index=0, round=0, batch=batch, process=process, processes=processes)
        rows = [batch.index(row) for row in step.share(batch)]
        error = AeganLoop._attribute_loss(loop, step, targets[rows], images[rows])  # type: ignore[arg-type]
        return losses[0], error.item() * step.weight(batch)

    one = terms(0, 1)
    halves = [terms(process, 2) for process in (0, 1)]
    assert one[0] > 0 and one[1] > 0
    assert sum(half[0] for half in halves) / 2 == pytest.approx(one[0], rel=1e-5)  # the critic's loss
    assert sum(half[1] for half in halves) / 2 == pytest.approx(one[1], rel=1e-5)  # the generator's term
    assert halves[0][1] != pytest.approx(halves[1][1], rel=1e-3)  # the shares differ; only their mean is fixed

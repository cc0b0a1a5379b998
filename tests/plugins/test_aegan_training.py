"""The ``aegan`` trainer: a step lowers the loss, presets, reports, and bit-exact resumption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch.nn import functional

from a2i_plugins.aegan import PRESETS, AeganSharpGenerator, AeganTrainer
from a2i_plugins.aegan._config import AeganConfig
from a2i_plugins.aegan._inference import load_model
from a2i_plugins.aegan._network import AeganNet
from a2i_studio.core import CancelToken, Progress, RunContext, resolve_params
from a2i_studio.datasets import write_metadata
from a2i_studio.datasets.soundscapes import make_item
from a2i_studio.errors import Cancelled, CheckpointError

TINY = {"size": "32", "channels": 16, "batch_size": 4, "val_fraction": 0.34, "test_fraction": 0.0, "precision": "no"}


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six one-second soundscapes, forest and rain: 4 train, 2 validation pairs."""
    root = tmp_path_factory.mktemp("pairs")
    write_metadata(root, [make_item(root, index, seed=3, seconds=1.0) for index in (0, 1, 8, 9, 16, 17)])
    return root


def _train(data: Path, out: Path, **settings: Any) -> dict[str, Any]:
    return AeganTrainer().train(data, out, {**TINY, **settings})


def test_one_adam_step_lowers_the_reconstruction_loss() -> None:
    torch.manual_seed(0)
    net = AeganNet(AeganConfig(size=32, channels=16)).train()
    features, targets = torch.randn(8, 104), torch.rand(8, 3, 32, 32) * 2 - 1
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.999))
    before = functional.mse_loss(net(features), targets)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = functional.mse_loss(net(features), targets)
    assert after.item() < before.item() - 1e-3


def test_training_writes_model_reports_and_metrics_and_the_loss_falls(pairs: Path, tmp_path: Path) -> None:
    reports: list[Progress] = []
    metrics = AeganTrainer().train(pairs, tmp_path, {**TINY, "epochs": 4, "learning_rate": 0.002}, reports.append)
    report = json.loads((tmp_path / "metrics.json").read_text())
    history = report.pop("history")
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    best = min(history, key=lambda row: row["val_mse"])
    assert metrics["val_mse"] == best["val_mse"] < metrics["val_mse_before"]
    assert (metrics["train_pairs"], metrics["val_pairs"], metrics["best_epoch"]) == (4, 2, best["epoch"])
    assert {key: value for key, value in report.items() if key != "losses"} == metrics
    assert (tmp_path / "loss_curve.png").stat().st_size > 1000
    net, info = load_model(tmp_path / "aegan.safetensors")
    assert net.config.size == 32 and info["labels"] == ["forest", "rain"]
    evaluations = [report for report in reports if report.stage.startswith("epoch") and "val_mse" in report.stage]
    assert [(report.step, report.total) for report in evaluations] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert evaluations[-1].stage.startswith("epoch 4/4: train_loss")


def test_the_seed_preset_fills_what_was_not_given(pairs: Path, tmp_path: Path) -> None:
    _train(pairs, tmp_path, preset="seed", epochs=1)
    settings = load_model(tmp_path / "aegan.safetensors")[1]["settings"]
    assert settings["learning_rate"] == PRESETS["seed"]["learning_rate"] == 0.0625
    assert settings["mse_times_batch"] is True and settings["ssim_weight"] == 0.0
    assert (settings["epochs"], settings["size"], settings["batch_size"]) == (1, "32", 4)  # given ones win


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path))


@pytest.mark.parametrize("preset", ["no critic", "critic", "sharp"])
def test_an_interrupted_run_resumes_to_the_same_weights(pairs: Path, tmp_path: Path, preset: str) -> None:
    settings: dict[str, Any] = {"epochs": 3, "discriminator": preset == "critic", "ssim_weight": 0.5, "seed": 9}
    if preset == "sharp":  # two critics, feature matching, training noise, stereo features: all resume exactly
        settings = {"preset": "sharp", "epochs": 3, "seed": 9, "discriminator_channels": 8}
    _train(pairs, tmp_path / "straight", **settings, export="last")
    _train(pairs, tmp_path / "resumed", **{**settings, "epochs": 2}, export="last")
    _train(pairs, tmp_path / "resumed", **settings, export="last")  # the same command, more epochs: it resumes
    straight = _weights(tmp_path / "straight" / "aegan.safetensors")
    resumed = _weights(tmp_path / "resumed" / "aegan.safetensors")
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[key], resumed[key]) for key in straight)
    other_seed = _train(pairs, tmp_path / "other", **{**settings, "seed": 10})
    assert not torch.equal(_weights(Path(other_seed["model"]))["encoder.0.weight"], straight["encoder.0.weight"])


def test_a_checkpoint_is_continued_only_with_the_same_settings(pairs: Path, tmp_path: Path) -> None:
    _train(pairs, tmp_path, epochs=1)
    with pytest.raises(CheckpointError, match=r"trained with learning_rate=0\.0005, not 0\.001.*add --fresh"):
        _train(pairs, tmp_path, epochs=2, learning_rate=0.001)
    fresh = AeganTrainer().train(pairs, tmp_path, AeganTrainer().resolve_settings(
        {**TINY, "epochs": 1, "learning_rate": 0.001}), fresh=True)
    assert fresh["steps"] == 1


def test_cancelling_stops_before_the_next_batch(pairs: Path, tmp_path: Path) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled, match="no checkpoint was saved; run the same command again to resume"):
        AeganTrainer().train(pairs, tmp_path, {**TINY, "epochs": 1}, cancel=cancel)
    assert not (tmp_path / "aegan.safetensors").exists()


def test_the_sharp_preset_trains_a_stereo_model_the_sharp_generator_runs(pairs: Path, tmp_path: Path) -> None:
    metrics = _train(pairs, tmp_path, preset="sharp", epochs=2, discriminator_channels=8)
    net, info = load_model(tmp_path / "aegan.safetensors")
    assert (net.config.size, net.config.features, net.config.channels) == (32, 136, 16)  # TINY's size, channels
    assert info["encoder"] == "mfcc-stereo" and info["settings"]["gan_loss"] == "hinge"
    assert info["settings"]["discriminator_scales"] == 2 and info["settings"]["feature_matching_weight"] == 10.0
    assert info["settings"]["attribute_weight"] == 2.0 and metrics["val_attributes"] > 0
    assert metrics["exported_epoch"] == 2  # the preset exports the last epoch, not the lowest MSE
    assert metrics["val_sharpness"] > 0 and metrics["val_sharpness_before"] < 0.05  # a fresh net paints ~flat
    generator = AeganSharpGenerator()
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "aegan.safetensors")}, generator.id)
    value = net.mean + net.std  # one training std above the mean, as a clip's summary would be
    ctx = RunContext("cpu", "float32", (1, 2))
    images = np.stack([np.asarray(image) for image in generator.generate(value, params, ctx)])
    noise = np.stack([rng.standard_normal(136, dtype=np.float32) for rng in ctx.numpy_generators()]) * 0.2
    expected = np.round((np.clip(net(np.stack([value, value]), noise), -1, 1) + 1) * 127.5)
    assert images.shape == (2, 32, 32, 3) and np.array_equal(images, expected)


def test_stereo_pairs_hold_the_encoders_values(pairs: Path) -> None:
    from a2i_plugins.aegan._data import load_pairs
    from a2i_plugins.features import MfccStereoEncoder
    from a2i_studio.datasets import read_dataset

    dataset = read_dataset(pairs)
    features, images = load_pairs(dataset, 32, "mfcc-stereo")
    assert features.shape == (6, 136) and images.shape == (6, 3, 32, 32)
    encoder = MfccStereoEncoder()
    first = next(iter(dataset))
    assert first.audio is not None
    expected = encoder.encode(encoder.read(first.audio).samples, {}, RunContext("cpu", "float32", (0,)))
    assert torch.equal(features[0], torch.from_numpy(expected))

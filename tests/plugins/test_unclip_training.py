"""SounDiff fine-tuning: a step lowers the loss, LoRA and full results load into the generator, resume is exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from _unclip_fixtures import (  # noqa: F401 (fixture)
    install_tiny_imagebind,
    install_unclip,
    tiny_unclip_fixture,
    write_audio,
    write_image,
)

import a2i_plugins.imagebind
import a2i_plugins.unclip
from a2i_plugins.unclip import UnclipGenerator
from a2i_studio.core import CancelToken, Progress, Registry, RunContext, resolve_params
from a2i_studio.datasets import PairedItem, write_metadata
from a2i_studio.errors import Cancelled, DatasetError
from a2i_studio.testing import load_plugins

TINY = {"resolution": 32, "batch_size": 2, "epochs": 1, "preview_every": 1, "preview_steps": 2, "clips": 1,
        "precision": "no"}


@pytest.fixture
def registry() -> Registry:
    return load_plugins(a2i_plugins.imagebind, a2i_plugins.unclip).registry


@pytest.fixture
def pairs(tiny_unclip: Path, app_dirs: dict[str, Path], tmp_path: Path) -> Path:
    """Two (sound, picture) pairs, with the tiny ImageBind and unCLIP models where the trainer looks."""
    install_tiny_imagebind(app_dirs["models"])
    install_unclip(app_dirs["models"], tiny_unclip)
    folder = tmp_path / "pairs"
    folder.mkdir()
    items = [
        PairedItem(write_audio(folder / "train.wav", 2.5, 180.0), write_image(folder / "rails.png", (90, 90, 100))),
        PairedItem(write_audio(folder / "sea.wav", 2.5, 900.0, seed=1), write_image(folder / "sea.png", (20, 60, 200))),
    ]
    write_metadata(folder, items)
    return folder


def test_one_lora_step_lowers_the_loss_and_the_lora_loads_into_the_generator(
    pairs: Path, registry: Registry, app_dirs: dict[str, Path], tmp_path: Path
) -> None:
    trainer = registry.get("trainer", "unclip")
    metrics = trainer.train(pairs, tmp_path / "run", {**TINY, "learning_rate": 1e-3})
    assert metrics["pairs"] == 2 and metrics["epochs"] == 1
    assert metrics["eval_loss"] < metrics["eval_loss_before"]
    lora = app_dirs["models"] / "loras" / "soundiff-L.safetensors"
    assert metrics["weights"] == str(lora)
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert [row["epoch"] for row in report["history"]] == [1]
    assert (tmp_path / "run" / "loss_curve.png").is_file()
    assert (tmp_path / "run" / "samples" / "step-000001-0.png").is_file()

    generator = UnclipGenerator()
    ctx = RunContext("cpu", "float32", (1,))
    embedding = torch.randn(1024, generator=torch.Generator().manual_seed(2))
    small = {"width": 32, "height": 32, "steps": 2}
    plain = generator.generate(embedding, resolve_params(generator.params, small, "u"), ctx)[0]
    tuned_params = {**small, "loras": "soundiff-L"}
    tuned = generator.generate(embedding, resolve_params(generator.params, tuned_params, "u"), ctx)[0]
    assert np.abs(np.asarray(plain, np.int16) - np.asarray(tuned, np.int16)).max() > 0


def test_full_fine_tuning_resumes_exactly_and_saves_a_unet_the_generator_loads(
    pairs: Path, registry: Registry, app_dirs: dict[str, Path], tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    trainer = registry.get("trainer", "unclip")
    settings = {**TINY, "full": True, "variant": "S", "learning_rate": 1e-4, "batch_size": 1, "preview_every": 0}
    straight = trainer.train(pairs, tmp_path / "straight", {**settings, "epochs": 2, "name": "straight"})
    token = CancelToken()

    def stop_after_the_first_epoch(progress: Progress) -> None:
        if progress.stage.startswith("epoch 1/2: train_loss"):
            token.cancel()

    with pytest.raises(Cancelled):
        trainer.train(pairs, tmp_path / "halves", {**settings, "epochs": 2, "name": "halves"},
                      stop_after_the_first_epoch, token)
    resumed = trainer.train(pairs, tmp_path / "halves", {**settings, "epochs": 2, "name": "halves"})
    assert resumed["eval_loss"] == straight["eval_loss"]
    assert resumed["eval_loss"] < resumed["eval_loss_before"]
    first, second = (load_file(app_dirs["models"] / "checkpoints" / f"{name}.safetensors") for name in ("straight",
                                                                                                      "halves"))
    assert all(torch.equal(first[key], second[key]) for key in first)

    generator = UnclipGenerator()
    params = resolve_params(generator.params, {"width": 32, "height": 32, "steps": 2, "model": "halves.safetensors"},
                            "u")
    image = generator.generate(torch.zeros(1024), params, RunContext("cpu", "float32", (0,)))[0]
    assert image.size == (32, 32)


def test_pairs_without_images_are_refused(pairs: Path, registry: Registry, tmp_path: Path) -> None:
    write_metadata(pairs, [PairedItem(pairs / "train.wav", None)])
    with pytest.raises(DatasetError, match=r"Item 0 of the dataset of .* has no image"):
        registry.get("trainer", "unclip").train(pairs, tmp_path / "run", TINY)

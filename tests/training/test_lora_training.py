"""LoRA training on a tiny real SD pipeline: learning, the saved file, resume, cancel and the NaN guard."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _lora_fixtures import build_tiny_sd, image_folder
from safetensors import safe_open

from a2i_studio.core import (
    CancelToken,
    RunContext,
    SampleEvent,
    StepEvent,
    TrainingEvent,
    TrainingEvents,
    resolve_params,
)
from a2i_studio.errors import Cancelled
from a2i_studio.training.lora import LoraTrainer, TrainingDiverged

FAST = {"resolution": 32, "rank": 4, "alpha": 8.0, "learning_rate": 1e-2, "lr_scheduler": "constant",
        "warmup_steps": 0, "caption_dropout": 0.0, "sample_steps": 2, "sample_every": 0, "checkpoint_every": 2,
        "precision": "no"}


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture
def birds(tmp_path: Path) -> Path:
    return image_folder(tmp_path / "birds")


def _settings(base: Path, **given: Any) -> dict[str, Any]:
    return {**FAST, "base": str(base), **given}


def train_lora(data: Path, out: Path, settings: dict[str, Any], on_event: Any = None,
               cancel: CancelToken | None = None) -> dict[str, Any]:
    return LoraTrainer().train(data, out, settings, events=TrainingEvents(on_event), cancel=cancel)


def _pixels(image: Any) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_a_run_learns_and_saves_a_lora_that_diffusers_and_our_generator_load(
    tiny_sd: Path, birds: Path, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    from diffusers import StableDiffusionPipeline

    from a2i_plugins.diffusion import StableDiffusion15Generator

    steps: list[StepEvent] = []
    samples: list[tuple[int, int]] = []

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, StepEvent):
            steps.append(event)
        elif isinstance(event, SampleEvent):
            samples.append((event.step, len(event.images)))

    settings = _settings(tiny_sd, name="birds", max_steps=8, sample_every=4, sample_prompts="a red bird|a blue bird")
    metrics = train_lora(birds, tmp_path / "run", settings, on_event)

    # It learnt: every loss is finite, and the loss on a fixed batch at fixed noise fell.
    assert [step.step for step in steps] == list(range(1, 9))
    assert all(math.isfinite(step.loss) and step.total == 8 for step in steps)
    assert metrics["fixed_loss"] < metrics["fixed_loss_before"] * 0.97
    assert samples == [(4, 2), (8, 2)]
    assert sorted(path.name for path in (tmp_path / "run" / "samples").iterdir())[0] == "step-000004-0.png"
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    best = min(history, key=lambda row: row["fixed_loss"])
    assert [row["step"] for row in history] == [2, 4, 6, 8] and metrics["fixed_loss"] == best["fixed_loss"]
    assert [path.name for path in sorted((tmp_path / "run" / "checkpoints").iterdir())] == sorted(
        {f"step-{best['step']:08d}", "step-00000008"}
    )
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["losses"][0] == pytest.approx(steps[0].loss)

    # The file: diffusers key names, the settings in its metadata.
    path = app_dirs["models"] / "loras" / "birds.safetensors"
    assert metrics["lora"] == str(path)
    with safe_open(str(path), framework="pt") as handle:
        keys, metadata = list(handle.keys()), handle.metadata()
    assert keys and all(key.startswith("unet.") for key in keys)
    assert any(key.endswith(".lora.up.weight") for key in keys)
    record = json.loads(metadata["a2i.lora"])
    assert record["settings"]["rank"] == 4 and record["steps"] == 8 and record["family"] == "sd15"

    # diffusers' own loader reads it, and it changes the image.
    pipeline = StableDiffusionPipeline.from_pretrained(tiny_sd, safety_checker=None)
    pipeline.set_progress_bar_config(disable=True)

    def render() -> np.ndarray:
        latents = torch.randn((1, 4, 16, 16), generator=torch.Generator().manual_seed(3))
        images = pipeline("a red bird", latents=latents, num_inference_steps=2, output_type="np").images
        return np.asarray(images[0])

    before = render()
    pipeline.load_lora_weights(str(path.parent), weight_name=path.name)
    assert np.abs(render() - before).mean() > 1e-3

    # Our sd15 generator loads it by name from loras/, with a scale.
    generator = StableDiffusion15Generator()
    params = resolve_params(generator.params, {"model": str(tiny_sd), "width": 32, "height": 32, "steps": 2,
                                                "scheduler": "ddim"}, "sd15")
    ctx = RunContext("cpu", "float32", (5,))
    value = torch.randn(77, 768, generator=torch.Generator().manual_seed(1))
    base = _pixels(generator.generate(value, params, ctx)[0])
    with_lora = _pixels(generator.generate(value, {**params, "loras": "birds:1.0"}, ctx)[0])
    off = _pixels(generator.generate(value, {**params, "loras": "birds:0"}, ctx)[0])
    assert np.abs(with_lora - base).mean() > 0.5
    assert np.abs(off - base).max() <= 1


def test_cancel_keeps_the_last_checkpoint_and_a_rerun_resumes_from_it(
    tiny_sd: Path, birds: Path, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    settings = _settings(tiny_sd, max_steps=6)
    straight = train_lora(birds, tmp_path / "straight", _settings(tiny_sd, max_steps=6, name="straight"))
    straight_losses = json.loads((tmp_path / "straight" / "metrics.json").read_text())["losses"]

    cancel = CancelToken()
    first: list[int] = []

    def on_step(event: TrainingEvent) -> None:
        if isinstance(event, StepEvent):
            first.append(event.step)
            if event.step == 3:
                cancel.cancel()

    with pytest.raises(Cancelled, match=r"cancelled at step 3 of 6; the checkpoint at step 2 is kept in "
                                        r".*step-00000002"):
        train_lora(birds, tmp_path / "run", settings, on_step, cancel)
    assert first == [1, 2, 3]
    assert [path.name for path in (tmp_path / "run" / "checkpoints").iterdir()] == ["step-00000002"]
    assert not (app_dirs["models"] / "loras" / "birds.safetensors").exists()

    resumed: list[StepEvent] = []
    metrics = train_lora(birds, tmp_path / "run", settings,
                         lambda event: resumed.append(event) if isinstance(event, StepEvent) else None)
    assert [step.step for step in resumed] == [3, 4, 5, 6]
    # The resumed run takes exactly the steps the uninterrupted one took.
    assert [step.loss for step in resumed] == pytest.approx(straight_losses[2:], rel=1e-4)
    assert metrics["fixed_loss"] == pytest.approx(straight["fixed_loss"], rel=1e-4)

    with pytest.raises(Exception, match="was trained with rank=4, not 8"):
        train_lora(birds, tmp_path / "run", _settings(tiny_sd, max_steps=8, rank=8))


def test_a_nan_loss_stops_the_run_with_advice_and_saves_nothing(
    tmp_path: Path, birds: Path, app_dirs: dict[str, Path]
) -> None:
    broken = build_tiny_sd(tmp_path / "broken-sd", nan_weights=True)
    with pytest.raises(TrainingDiverged, match=r"step 1: the loss became nan; lower the learning rate, use mixed "
                                               r"precision bf16 or no instead of fp16"):
        train_lora(birds, tmp_path / "run", _settings(broken, max_steps=4))
    assert not (app_dirs["models"] / "loras").exists()
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_an_unclip_base_trains_on_each_images_own_embedding(tmp_path: Path, birds: Path,
                                                             app_dirs: dict[str, Path]) -> None:
    from _unclip_fixtures import build_tiny_unclip

    base = build_tiny_unclip(tmp_path / "tiny-unclip")
    settings = _settings(base, max_steps=3, name="unclip-birds", train_text_encoder=True, batch_size=2,
                         gradient_accumulation=2, buckets=False)
    metrics = train_lora(birds, tmp_path / "run", settings)
    assert metrics["family"] == "unclip" and metrics["steps"] == 3
    assert math.isfinite(metrics["final_loss"])
    assert (tmp_path / "run" / "samples" / "step-000003-0.png").is_file()
    with safe_open(str(app_dirs["models"] / "loras" / "unclip-birds.safetensors"), framework="pt") as handle:
        assert json.loads(handle.metadata()["a2i.lora"])["family"] == "unclip"
        prefixes = {key.partition(".")[0] for key in handle.keys()}  # noqa: SIM118 - safe_open is not a mapping
    assert prefixes == {"unet", "text_encoder"}

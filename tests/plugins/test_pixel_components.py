"""The ``pixel`` generator and trainer through their component interfaces, on tiny real models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_plugins.pixel_transformer import PixelGenerator, PixelTrainer, a2i_register_components, a2i_register_trainers
from a2i_plugins.pixel_transformer._checkpoint import load_model, save_model
from a2i_plugins.pixel_transformer._config import PixelConfig
from a2i_plugins.pixel_transformer._data import augment
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_plugins.pixel_transformer._presets import settings_from
from a2i_studio.core import CancelToken, Progress, Registry, RunContext, resolve_params
from a2i_studio.datasets.soundscapes import make_soundscapes
from a2i_studio.errors import Cancelled, CheckpointError, ShapeError


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models are all small ops: one thread avoids thread-pool waits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=[1, 3], ids=["grayscale", "rgb"])
def checkpoint(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    torch.manual_seed(0)
    config = PixelConfig(
        image_size=8, channels=request.param, audio_stride=50, d_model=32, heads=2, encoder_layers=1,
        decoder_layers=1, window=16, dropout=0.0, positions="grid",
    )
    return save_model(PixelTransformer(config), tmp_path / "tiny.safetensors")


def fft_frames() -> torch.Tensor:
    return torch.rand(500, 220, generator=torch.Generator().manual_seed(0)) * 0.05


def run_generator(checkpoint: Path, seeds: tuple[int, ...], **given: object) -> tuple[list, list[Progress]]:
    generator = PixelGenerator()
    generator.load("cpu", "float32")
    reports: list[Progress] = []
    ctx = RunContext("cpu", "float32", seeds, progress=reports.append)
    params = resolve_params(generator.params, {"checkpoint": str(checkpoint), **given}, generator.id)
    return generator.generate(fft_frames(), params, ctx), reports


def test_plugin_registers_the_generator_and_the_trainer() -> None:
    registry = Registry()
    a2i_register_components(registry)
    a2i_register_trainers(registry)
    assert [g.id for g in registry.generators] == ["pixel"]
    assert [t.id for t in registry.trainers] == ["pixel"]
    assert str(registry.generators[0].input_space) == "fft-frames (500, 220)"


def test_generator_returns_enlarged_rgb_images_that_differ_by_seed(checkpoint: Path) -> None:
    images, reports = run_generator(checkpoint, (1, 2), display_size=64)
    assert [(image.size, image.mode) for image in images] == [((64, 64), "RGB")] * 2
    first, second = (np.asarray(image) for image in images)
    assert not np.array_equal(first, second)
    # Nearest enlargement: every 8x8 block is one pixel of the 8x8 picture.
    assert np.array_equal(first, np.repeat(np.repeat(first[::8, ::8], 8, axis=0), 8, axis=1))
    grayscale = load_model(checkpoint)[0].config.channels == 1
    assert np.array_equal(first[..., 0], first[..., 1]) == grayscale
    rows = [report for report in reports if report.stage == "drawing rows"]
    assert [(report.step, report.total) for report in rows] == [(row, 8) for row in range(1, 9)]
    assert rows[-1].preview is not None and np.array_equal(np.asarray(rows[-1].preview), first)


def test_generator_reproduces_an_image_from_its_seed_alone(checkpoint: Path) -> None:
    together, _ = run_generator(checkpoint, (5, 6), guidance_scale=3.0)
    alone, _ = run_generator(checkpoint, (6,), guidance_scale=3.0)
    assert np.array_equal(np.asarray(together[1]), np.asarray(alone[0]))


def test_generator_refuses_frames_of_another_shape(tmp_path: Path) -> None:
    config = PixelConfig(image_size=4, sections=100, bins=220, audio_stride=50, d_model=16, heads=2,
                         encoder_layers=1, decoder_layers=1, window=4)
    path = save_model(PixelTransformer(config), tmp_path / "short.safetensors")
    with pytest.raises(ShapeError, match=r"\(100, 220\)"):
        run_generator(path, (0,))


def test_seed_preset_is_the_papers_transformer_and_options_override_presets() -> None:
    trainer = PixelTrainer()
    seed = settings_from(trainer.resolve_settings({"preset": "seed"}))
    shape = seed.config
    assert (shape.encoder_layers, shape.decoder_layers, shape.d_model, shape.heads) == (6, 6, 512, 8)
    assert (shape.image_size, shape.channels, shape.sections, shape.bins, shape.audio_tokens) == (32, 1, 500, 220, 500)
    assert (seed.epochs, seed.learning_rate, seed.warmup_steps, seed.cfg_dropout) == (300, 1e-7, 300, 0.0)
    assert (seed.flip, seed.audio_augment, seed.precision) == (False, False, "no")
    rgb = settings_from(trainer.resolve_settings({"preset": "seed", "image_mode": "rgb", "epochs": 2,
                                                 "image_size": 16}))
    assert (rgb.config.channels, rgb.config.window, rgb.config.image_size, rgb.epochs) == (3, 768, 16, 2)
    default = trainer.resolve_settings({})
    assert (default["image_mode"], default["flip"], default["precision"]) == ("rgb", True, "auto")


def test_the_flip_can_be_turned_off_without_changing_the_other_draws() -> None:
    config = PixelConfig(image_size=4, channels=1, d_model=32, heads=2, encoder_layers=1, decoder_layers=1,
                         audio_stride=50, window=4)
    logs = torch.rand(6, config.sections, config.bins)
    tokens = torch.arange(6 * 16).reshape(6, 16) % 256

    def draw(**flags: bool) -> tuple[torch.Tensor, torch.Tensor]:
        return augment(logs, tokens, config, torch.Generator().manual_seed(5), **flags)

    both, no_flip, neither = draw(), draw(flip=False), draw(flip=False, audio=False)
    assert torch.equal(no_flip[1], tokens) and torch.equal(neither[0], logs)
    assert torch.equal(both[0], no_flip[0])  # the audio draws do not depend on the flip being on
    mirrored = [row for row in range(6) if not torch.equal(both[1][row], tokens[row])]
    assert mirrored and all(torch.equal(both[1][row].view(4, 4), tokens[row].view(4, 4).flip(1)) for row in mirrored)


@pytest.fixture(scope="module")
def soundscapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("soundscapes")
    make_soundscapes(folder, n=24, seed=3, seconds=1.0, workers=1)
    return folder


def train(data: Path, out: Path, cancel_at: str | None = None) -> dict:
    cancel = CancelToken()

    def progress(report: Progress) -> None:
        if cancel_at is not None and report.stage.startswith(cancel_at):
            cancel.cancel()

    settings = {"preset": "tiny", "epochs": 3, "val_fraction": 0.25, "seed": 1}
    return PixelTrainer().train(data, out, settings, progress=progress, cancel=cancel)


def test_trainer_writes_a_model_that_loads_and_reports_bits_per_pixel(soundscapes: Path, tmp_path: Path) -> None:
    metrics = train(soundscapes, tmp_path / "run")
    assert metrics["train_pairs"] == 16 and metrics["val_pairs"] == 8 and metrics["epochs"] == 3
    assert 0 < metrics["val_bits_per_pixel"] < 8.5
    assert {"pixel-transformer.safetensors", "metrics.json", "loss_curve.png", "checkpoints"} <= {
        path.name for path in (tmp_path / "run").iterdir()
    }
    model, info = load_model(tmp_path / "run" / "pixel-transformer.safetensors")
    assert (model.config.image_size, model.config.channels) == (8, 1)
    assert info["metrics"]["val_bits_per_pixel"] == metrics["val_bits_per_pixel"]
    assert model.audio_std.min() < model.audio_std.max()  # statistics of the data, not the defaults


def test_trainer_resumes_where_a_cancelled_run_stopped(soundscapes: Path, tmp_path: Path) -> None:
    with pytest.raises(Cancelled):
        train(soundscapes, tmp_path / "resumed", cancel_at="epoch 2/")
    resumed_metrics = train(soundscapes, tmp_path / "resumed")
    straight_metrics = train(soundscapes, tmp_path / "straight")
    for metrics in (resumed_metrics, straight_metrics):
        assert metrics.pop("seconds") > 0 and metrics.pop("model").endswith("pixel-transformer.safetensors")
    assert resumed_metrics == straight_metrics
    resumed = load_model(tmp_path / "resumed" / "pixel-transformer.safetensors")[0].state_dict()
    straight = load_model(tmp_path / "straight" / "pixel-transformer.safetensors")[0].state_dict()
    assert all(torch.equal(resumed[name], straight[name]) for name in straight)


def test_trainer_refuses_to_resume_with_other_settings(soundscapes: Path, tmp_path: Path) -> None:
    with pytest.raises(Cancelled):
        train(soundscapes, tmp_path / "run", cancel_at="epoch 2/")
    with pytest.raises(CheckpointError, match="was trained with seed=1, not 0"):
        PixelTrainer().train(soundscapes, tmp_path / "run", {"preset": "tiny", "epochs": 5, "val_fraction": 0.25})

"""LoRA settings and presets, data checks, the ``a2i train lora`` command, and audio conditioning."""

from __future__ import annotations

import csv
import json
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from _lora_fixtures import COLOURS, build_tiny_sd, image_folder, write_image

from a2i_studio.cli import main
from a2i_studio.core import Registry
from a2i_studio.errors import ParamError
from a2i_studio.files import atomic_write_json
from a2i_studio.training.lora import PRESETS, LoraSettings, LoraTrainer, bucket_sizes, scan_data, settings_from


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


def test_presets_sit_under_the_values_given_and_every_setting_is_a_param() -> None:
    trainer = LoraTrainer()
    quick = settings_from(trainer.resolve_settings({"preset": "quick", "rank": "4"}))
    assert (quick.rank, quick.alpha, quick.max_steps) == (4, 8.0, 300)
    assert settings_from(trainer.resolve_settings({})) == LoraSettings()
    assert settings_from(trainer.resolve_settings({"preset": "quality"})).train_text_encoder is True
    assert {param.name for param in LoraTrainer.params} == {*LoraSettings().to_json(), "precision", "export"}
    assert all(set(values) <= set(LoraSettings().to_json()) for values in PRESETS.values())
    with pytest.raises(ParamError, match="lora has no parameter 'ranks'"):
        trainer.resolve_settings({"ranks": 4})
    with pytest.raises(ParamError, match="Parameter rank got 0: use a value of at least 1"):
        trainer.resolve_settings({"rank": 0})


def test_buckets_keep_the_area_and_stay_on_the_grid() -> None:
    buckets = bucket_sizes(512, True)
    assert (512, 512) in buckets and (640, 384) in buckets and (384, 640) in buckets
    assert all(w % 64 == 0 and h % 64 == 0 and 0.75 <= w * h / 512**2 <= 1.0 for w, h in buckets)
    assert bucket_sizes(512, False) == [(512, 512)]


def test_scan_finds_unreadable_uncaptioned_and_tiny_images(tmp_path: Path) -> None:
    folder = image_folder(tmp_path / "data")
    write_image(folder / "nocaption.png", (9, 9, 9))
    (folder / "broken.png").write_bytes(b"<html>not an image</html>")
    write_image(folder / "tiny.png", (1, 2, 3), size=(8, 8))
    (folder / "tiny.txt").write_text("a tiny bird")
    write_image(folder / "owls" / "owl.png", (90, 80, 70))
    report = scan_data(folder, conditioning="captions", template="a photo of a {label}", resolution=32)
    assert report.images == 7
    assert {(problem.path.name, problem.kind) for problem in report.problems} == {
        ("broken.png", "unreadable"), ("nocaption.png", "no caption"), ("tiny.png", "tiny")
    }
    captions = {example.image.name: example.caption for example in report.examples}
    assert captions == {"blue.png": "a blue bird", "green.png": "a green bird", "owl.png": "a photo of a owls",
                        "red.png": "a red bird", "tiny.png": "a tiny bird"}
    assert report.summary() == "7 images, 5 usable, 2 skipped, 3 problem(s)"


def test_the_cli_trains_from_a_wizard_settings_file(
    tiny_sd: Path, tmp_path: Path, app_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    if "lora" not in {entry.name for entry in entry_points(group="a2i_studio")}:  # until the package is reinstalled
        (app_dirs["config"] / "plugins").mkdir(parents=True)
        (app_dirs["config"] / "plugins" / "lora_door.py").write_text("from a2i_plugins.lora import *  # noqa\n")
    data = image_folder(tmp_path / "birds")
    settings = LoraTrainer().resolve_settings({"preset": "quick", "base": str(tiny_sd), "resolution": 32,
                                               "sample_steps": 1, "name": "cli-birds", "sample_every": 0,
                                               "precision": "no"})
    atomic_write_json(tmp_path / "lora.json", settings)
    code = main(["train", "lora", "--data", str(data), "--out", str(tmp_path / "run"),
                 "--settings", str(tmp_path / "lora.json"), "--max-steps", "2", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    metrics = json.loads(out[out.index("{"):])
    assert metrics["steps"] == 2 and metrics["lora"] == str(app_dirs["models"] / "loras" / "cli-birds.safetensors")
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(saved["losses"]) == 2


def test_audio_conditioning_trains_through_the_generation_chain(
    tiny_sd: Path, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    import a2i_plugins.diffusion
    import a2i_plugins.features
    import a2i_plugins.mlp_adapter
    from a2i_plugins.mlp_adapter import FORMAT
    from a2i_plugins.mlp_adapter._network import AdapterNetwork, input_dim, save_adapter
    from a2i_studio.core import CLIP_TEXT_SD15, FFT_FRAMES

    torch.manual_seed(1)
    adapter = {
        "format": FORMAT, "id": "mlp-fft-sd15", "input_space": "fft-frames", "output_space": "clip-text/sd15",
        "input_dim": input_dim(FFT_FRAMES), "hidden": [16], "dropout": 0.0, "norm": "layer",
        "target": "first-n", "tokens": 4, "padding": "zeros", "encoder": "fft", "encoder_params": {},
        "generator": "sd15", "generator_model": "", "captions": "", "metrics": {},
    }
    save_adapter(AdapterNetwork(adapter, CLIP_TEXT_SD15), app_dirs["models"] / "adapters")
    registry = Registry()
    for plugin in (a2i_plugins.features, a2i_plugins.mlp_adapter, a2i_plugins.diffusion):
        plugin.a2i_register_components(registry)
    data = tmp_path / "pairs"
    data.mkdir()
    rows = []
    for index, (name, colour) in enumerate(COLOURS.items()):
        tone = 0.4 * np.sin(2 * np.pi * 300 * (index + 1) * np.arange(16_000) / 16_000)
        soundfile.write(data / f"{name}.wav", tone.astype(np.float32), 16_000)
        write_image(data / f"{name}.png", colour)
        rows.append([f"{name}.wav", f"{name}.png", name, ""])
    with (data / "metadata.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["audio", "image", "label", "prompt"], *rows])

    settings = {"base": str(tiny_sd), "resolution": 32, "rank": 4, "max_steps": 2, "sample_steps": 1,
                "conditioning": "audio", "audio_chain": "fft>mlp-fft-sd15", "name": "heard", "precision": "no"}
    trainer = LoraTrainer(registry)
    metrics = trainer.train(data, tmp_path / "run", settings)
    assert metrics["steps"] == 2 and metrics["images"] == 3
    assert (tmp_path / "run" / "samples" / "step-000002-0.png").is_file()
    with pytest.raises(Exception, match="names adapter 'mlp-nothing', which is not installed"):
        trainer.train(data, tmp_path / "other", {**settings, "audio_chain": "fft>mlp-nothing"})


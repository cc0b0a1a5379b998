"""``imagebind>unclip`` end to end through the engine and the CLI, seeds, previews, model sources, errors."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
import torch
from _unclip_fixtures import install_tiny_imagebind, install_unclip, tiny_unclip_fixture, write_audio  # noqa: F401 (fixture)

import a2i_plugins.imagebind
import a2i_plugins.unclip
from a2i_plugins.unclip import UnclipGenerator
from a2i_studio.cli import main
from a2i_studio.core import Progress, Registry, RunContext, resolve_params
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.errors import ParamError
from a2i_studio.testing import load_plugins

CHAIN = "imagebind>unclip"
SMALL = {"width": 32, "height": 32, "steps": 2}
DROP_IN = '''"""Reaches the ImageBind and unCLIP built-ins until their entry points are installed."""
import a2i_plugins.imagebind
import a2i_plugins.unclip
from a2i_studio.hookspecs import hookimpl


@hookimpl
def a2i_register_components(registry):
    a2i_plugins.imagebind.a2i_register_components(registry)
    a2i_plugins.unclip.a2i_register_components(registry)
'''


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


@pytest.fixture
def registry() -> Registry:
    """The imagebind and unclip plugins' components, registered through their hooks."""
    return load_plugins(a2i_plugins.imagebind, a2i_plugins.unclip).registry


@pytest.fixture
def chain_models(tiny_unclip: Path, app_dirs: dict[str, Path]) -> Path:
    """A tiny ImageBind audio tower and the tiny pipeline where the chain's defaults look."""
    install_tiny_imagebind(app_dirs["models"])
    return install_unclip(app_dirs["models"], tiny_unclip)


def test_audio_to_image_through_the_engine_reproduces_each_seed_alone(
    chain_models: Path, registry: Registry, tmp_path: Path
) -> None:
    rain = write_audio(tmp_path / "rain.wav", 3.0, 440.0)
    engine = Engine(registry)
    reports: list[Progress] = []
    params = {"unclip": {**SMALL, "preview_every": 1}}
    batch = engine.generate(GenerationRequest(audio=rain, chain=CHAIN, seed=5, n=2, params=params), reports.append)
    assert [result.image.size for result in batch] == [(32, 32), (32, 32)]
    assert np.abs(_pixels(batch[0].image) - _pixels(batch[1].image)).mean() > 1
    steps = [report for report in reports if report.stage.startswith("image")]
    assert [(report.step, report.total) for report in steps] == [(step, 4) for step in range(1, 5)]
    assert [report.preview.size for report in steps if report.preview is not None] == [(16, 16)] * 2
    alone = engine.generate(GenerationRequest(audio=rain, chain=CHAIN, seed=6, params=params))
    assert np.array_equal(_pixels(alone[0].image), _pixels(batch[1].image))
    assert batch[0].recipe["params"]["unclip"]["model"] == "stabilityai/stable-diffusion-2-1-unclip"
    assert batch[0].recipe["params"]["imagebind"] == {"clips": 3, "channels": "first"}
    # Another sound gives another picture from the same seed.
    birds = write_audio(tmp_path / "birds.wav", 3.0, 2500.0, seed=1)
    other = engine.generate(GenerationRequest(audio=birds, chain=CHAIN, seed=5, params=params))
    assert np.abs(_pixels(other[0].image) - _pixels(batch[0].image)).mean() > 1


def test_a_unet_alone_loads_on_top_of_the_default_pipeline(chain_models: Path, tmp_path: Path) -> None:
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    unet = UNet2DConditionModel.from_pretrained(chain_models / "unet")
    unet.save_pretrained(tmp_path / "unet")
    save_file(unet.state_dict(), str(tmp_path / "soundiff-unet.safetensors"))
    generator = UnclipGenerator()
    ctx = RunContext("cpu", "float32", (3,))
    embedding = torch.randn(1024, generator=torch.Generator().manual_seed(0)) * 0.6
    images = []
    for model in ("stabilityai/stable-diffusion-2-1-unclip", str(tmp_path / "unet"), "soundiff-unet.safetensors"):
        if model.endswith(".safetensors"):
            (chain_models.parent / model).symlink_to(tmp_path / model)  # a name in checkpoints/
        params = resolve_params(generator.params, {**SMALL, "model": model}, "unclip")
        images.append(_pixels(generator.generate(embedding, params, ctx)[0]))
    assert np.array_equal(images[0], images[1]) and np.array_equal(images[0], images[2])
    with pytest.raises(ParamError, match="holds neither a diffusers pipeline"):
        generator.generate(embedding, resolve_params(generator.params, {**SMALL, "model": str(tmp_path)}, "u"), ctx)


def test_bad_sizes_and_cpu_offload_on_the_cpu_are_refused(chain_models: Path) -> None:
    generator = UnclipGenerator()
    ctx = RunContext("cpu", "float32", (0,))
    with pytest.raises(ParamError, match="Parameter width got 33: use a multiple of 2 for unclip"):
        generator.generate(torch.zeros(1024), resolve_params(generator.params, {**SMALL, "width": 33}, "u"), ctx)
    with pytest.raises(ParamError, match="cannot be used on cpu"):
        generator.generate(torch.zeros(1024), resolve_params(generator.params, {"cpu_offload": True}, "u"), ctx)


def test_missing_unclip_weights_fail_in_one_line_through_the_cli(
    chain_models: Path, app_dirs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    installed = {entry.value for entry in entry_points(group="a2i_studio")}
    if not {"a2i_plugins.imagebind", "a2i_plugins.unclip"} <= installed:
        (app_dirs["config"] / "plugins").mkdir(parents=True)
        (app_dirs["config"] / "plugins" / "imagebind_unclip.py").write_text(DROP_IN)
    chain_models.unlink()  # take the pipeline away again
    rain = write_audio(tmp_path / "rain.wav", 2.0, 440.0)
    code = main(["generate", str(rain), "--chain", CHAIN, "--param", "steps=2"])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert error == [
        "error: The Stable Diffusion 2.1 unCLIP (OpenCLIP ViT-H image embeddings) pipeline weights (sd21-unclip) are "
        f"missing: looked in {app_dirs['models'] / 'checkpoints' / 'stable-diffusion-2-1-unclip'} and the Hugging Face "
        "cache (stabilityai/stable-diffusion-2-1-unclip); run 'a2i models download sd21-unclip'."
    ]

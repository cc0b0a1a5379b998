"""SD 1.5 generator: the full tiny chain through the engine, seeds, previews, prompt mixing, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_plugins.diffusion import StableDiffusion15Generator
from a2i_studio.cli import main
from a2i_studio.core import CancelToken, Progress, Registry, RunContext, resolve_params
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.errors import Cancelled, ParamError

CHAIN = "vggish>mlp-vggish-sd15>sd15"
SMALL = {"width": 32, "height": 32, "steps": 2}


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


@pytest.fixture
def chain_models(
    tiny_vggish: torch.nn.Module,
    tiny_sd15: Path,
    write_adapter: Callable[..., Path],
    install_checkpoint: Callable[[Path, str], Path],
) -> Path:
    """Tiny VGGish, a random MLP adapter and the tiny SD 1.5 pipeline where the default model looks."""
    write_adapter("mlp-vggish-sd15", "vggish", "clip-text/sd15")
    return install_checkpoint(tiny_sd15, "stable-diffusion-v1-5")


def test_audio_to_image_through_the_engine_reproduces_each_seed_alone(
    chain_models: Path, registry: Registry, clip: Path
) -> None:
    engine = Engine(registry)
    reports: list[Progress] = []
    params = {"sd15": {**SMALL, "preview_every": 1}}
    batch = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=5, n=2, params=params), reports.append)
    assert [result.image.size for result in batch] == [(32, 32), (32, 32)]
    assert np.abs(_pixels(batch[0].image) - _pixels(batch[1].image)).mean() > 1
    step_reports = [report for report in reports if report.stage.startswith("image")]
    # PNDM runs 3 model calls for 2 steps; each is reported, with a latent-sized preview before the last.
    assert [(report.step, report.total) for report in step_reports] == [(step, 6) for step in range(1, 7)]
    previews = [report.preview for report in step_reports if report.preview is not None]
    assert [preview.size for preview in previews] == [(16, 16)] * 4
    alone = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=6, params=params))
    assert np.array_equal(_pixels(alone[0].image), _pixels(batch[1].image))
    assert batch[1].recipe["params"]["sd15"]["model"] == "stable-diffusion-v1-5/stable-diffusion-v1-5"


def test_prompt_weight_one_gives_the_pipelines_own_text_conditioning(tiny_sd15: Path) -> None:
    from diffusers import StableDiffusionPipeline

    generator = StableDiffusion15Generator()
    params = resolve_params(
        generator.params, {**SMALL, "model": str(tiny_sd15), "prompt": "a bird", "prompt_weight": 1.0}, "sd15"
    )
    ctx = RunContext("cpu", "float32", (3,))
    audio = torch.randn(77, 768, generator=torch.Generator().manual_seed(0))
    ours = generator.generate(audio, params, ctx)[0]
    audio_only = generator.generate(audio, {**params, "prompt_weight": 0.0}, ctx)[0]

    pipeline = StableDiffusionPipeline.from_pretrained(tiny_sd15, safety_checker=None, feature_extractor=None)
    latents = torch.randn((1, 4, 16, 16), generator=torch.Generator().manual_seed(3))
    theirs = pipeline("a bird", latents=latents, num_inference_steps=2, width=32, height=32).images[0]
    assert np.abs(_pixels(ours) - _pixels(theirs)).max() <= 1
    assert np.abs(_pixels(ours) - _pixels(audio_only)).mean() > 1


def test_scheduler_choice_changes_the_image_and_bad_sizes_are_refused(tiny_sd15: Path) -> None:
    generator = StableDiffusion15Generator()
    base = resolve_params(generator.params, {**SMALL, "model": str(tiny_sd15)}, "sd15")
    ctx = RunContext("cpu", "float32", (0,))
    audio = torch.randn(77, 768, generator=torch.Generator().manual_seed(1))
    pndm = generator.generate(audio, base, ctx)[0]
    euler = generator.generate(audio, {**base, "scheduler": "euler-a"}, ctx)[0]
    assert np.abs(_pixels(pndm) - _pixels(euler)).mean() > 1
    with pytest.raises(ParamError, match="Parameter width got 33: use a multiple of 2 for sd15"):
        generator.generate(audio, {**base, "width": 33}, ctx)
    with pytest.raises(ParamError, match=r"cpu_offload .* cannot be used on cpu"):
        generator.generate(audio, {**base, "cpu_offload": True}, ctx)


def test_cancel_stops_between_steps(tiny_sd15: Path) -> None:
    generator = StableDiffusion15Generator()
    params = resolve_params(generator.params, {**SMALL, "model": str(tiny_sd15)}, "sd15")
    token = CancelToken()
    steps: list[int] = []

    def progress(report: Progress) -> None:
        steps.append(report.step)
        token.cancel()

    ctx = RunContext("cpu", "float32", (0, 1), progress=progress, cancel=token)
    with pytest.raises(Cancelled):
        generator.generate(torch.zeros(77, 768), params, ctx)
    assert steps == [1]  # the first step's report cancels; the second never runs


def test_missing_sd_weights_fail_in_one_line_through_the_cli(
    chain_models: Path, app_dirs: dict[str, Path], clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain_models.unlink()  # take the pipeline away again
    code = main(["generate", str(clip), "--chain", CHAIN, "--out", str(app_dirs["data"] / "out")])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert error == [
        "error: The Stable Diffusion 1.5 pipeline weights (sd15) are missing: looked in "
        f"{app_dirs['models'] / 'checkpoints' / 'stable-diffusion-v1-5'} and the Hugging Face cache "
        "(stable-diffusion-v1-5/stable-diffusion-v1-5); run 'a2i models download sd15'."
    ]

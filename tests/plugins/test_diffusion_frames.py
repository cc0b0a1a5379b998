"""Video-frame continuity of the diffusion generators (SD 1.5, unCLIP): drift noise and the previous frame.

Tiny real pipelines, saved and loaded through the plugins' own loading code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _unclip_fixtures import install_unclip, tiny_unclip_fixture  # noqa: F401 (fixture)
from PIL import Image

from a2i_plugins.diffusion import StableDiffusion3Generator, StableDiffusion15Generator
from a2i_plugins.unclip import UnclipGenerator
from a2i_studio.core import FrameHints, Generator, RunContext, resolve_params

SMALL = {"width": 32, "height": 32, "steps": 4, "preview_every": 0}


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


@pytest.fixture
def sd15(tiny_sd15: Path, install_checkpoint: Callable[[Path, str], Path]) -> tuple[Generator, dict[str, Any], Any]:
    install_checkpoint(tiny_sd15, "stable-diffusion-v1-5")
    generator = StableDiffusion15Generator()
    value = torch.randn(77, 768, generator=torch.Generator().manual_seed(0))
    return generator, resolve_params(generator.params, {**SMALL, "guidance": 3.0}, "sd15"), value


@pytest.fixture
def unclip(tiny_unclip: Path, app_dirs: dict[str, Path]) -> tuple[Generator, dict[str, Any], Any]:
    install_unclip(app_dirs["models"], tiny_unclip)
    generator = UnclipGenerator()
    value = torch.randn(1024, generator=torch.Generator().manual_seed(0)) * 0.6
    return generator, resolve_params(generator.params, {**SMALL, "guidance": 3.0}, "unclip"), value


@pytest.fixture(params=["sd15", "unclip"])
def model(request: pytest.FixtureRequest) -> tuple[Generator, dict[str, Any], Any]:
    return request.getfixturevalue(request.param)


def _make(model: tuple[Generator, dict[str, Any], Any], seed: int, hints: FrameHints | None = None) -> np.ndarray:
    generator, params, value = model
    return _pixels(generator.generate(value, params, RunContext("cpu", "float32", (seed,), frame=hints))[0])


def test_a_seeds_own_draw_given_back_makes_the_seeds_image(model: tuple[Generator, dict[str, Any], Any]) -> None:
    generator, params, _ = model
    draw = generator.draw_noise(7, params, RunContext("cpu", "float32", (7,)))
    assert tuple(draw.shape) == (1, 4, 16, 16)
    assert np.array_equal(_make(model, 7, FrameHints(noise=draw)), _make(model, 7))
    # Another draw with the same seed's scheduler noise makes another picture.
    other = generator.draw_noise(8, params, RunContext("cpu", "float32", (8,)))
    assert np.abs(_make(model, 7, FrameHints(noise=other)) - _make(model, 7)).mean() > 1


@pytest.mark.parametrize("strength", [0.5, 1.0])
def test_sd_from_the_previous_frame_is_diffusers_image_to_image(
    sd15: tuple[Generator, dict[str, Any], Any], strength: float
) -> None:
    from diffusers import StableDiffusionImg2ImgPipeline

    from a2i_plugins.diffusion.families import SD15
    from a2i_plugins.diffusion.sampling import conditioning

    generator, params, value = sd15
    previous = Image.fromarray(_make(sd15, 1).astype(np.uint8))
    ours = _make(sd15, 2, FrameHints(previous=previous, strength=strength))
    pipeline = generator.pipeline(params, RunContext("cpu", "float32", (2,)))  # type: ignore[attr-defined]
    reference = StableDiffusionImg2ImgPipeline(**pipeline.components)
    with torch.no_grad():
        embeds = conditioning(pipeline, SD15, value, params)
    expected = reference(
        **embeds, image=previous, strength=strength, num_inference_steps=params["steps"],
        guidance_scale=params["guidance"], generator=torch.Generator().manual_seed(2),
    ).images[0]
    assert np.array_equal(ours, _pixels(expected))


def test_unclip_from_the_previous_frame_depends_on_it_and_on_strength(
    unclip: tuple[Generator, dict[str, Any], Any],
) -> None:
    previous = Image.fromarray(_make(unclip, 1).astype(np.uint8))
    made = _make(unclip, 2, FrameHints(previous=previous, strength=0.5))
    assert made.shape == (32, 32, 3)
    assert np.array_equal(made, _make(unclip, 2, FrameHints(previous=previous, strength=0.5)))
    shifted = Image.fromarray(np.roll(np.asarray(previous), 8, axis=1))
    assert np.abs(_make(unclip, 2, FrameHints(previous=shifted, strength=0.5)) - made).mean() > 1
    assert np.abs(_make(unclip, 2, FrameHints(previous=previous, strength=1.0)) - made).mean() > 1
    # Starting from a frame is not starting from the seed's noise.
    assert np.abs(_make(unclip, 2) - made).mean() > 1


def test_continuity_is_declared_where_it_is_implemented() -> None:
    assert StableDiffusion15Generator.continuity == ("fixed", "drift", "previous")
    assert UnclipGenerator.continuity == ("fixed", "drift", "previous")
    assert StableDiffusion3Generator.continuity == ("fixed", "drift")

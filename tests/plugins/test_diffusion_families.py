"""SD 2.1 and SD3 generators on tiny pipelines: input shapes, prompt mixing, text encoding, model lookup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_plugins.diffusion import StableDiffusion3Generator, StableDiffusion21Generator
from a2i_studio.core import CLIP_TEXT_SD21, SD3_TEXT, RunContext, resolve_params
from a2i_studio.errors import WeightsMissing

SMALL = {"width": 32, "height": 32, "steps": 2}
CTX = RunContext("cpu", "float32", (0, 1))


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_sd21_from_the_default_model_in_the_models_dir(
    tiny_sd21: Path, install_checkpoint: Callable[[Path, str], Path]
) -> None:
    install_checkpoint(tiny_sd21, "stable-diffusion-2-1")
    generator = StableDiffusion21Generator()
    params = resolve_params(generator.params, {**SMALL, "scheduler": "dpm++"}, "sd21")
    text = generator.encode_text("a dog", params, CTX)
    CLIP_TEXT_SD21.check(text, "sd21", "input")
    images = generator.generate(text, params, CTX)
    assert [image.size for image in images] == [(32, 32), (32, 32)]
    assert np.abs(_pixels(images[0]) - _pixels(images[1])).mean() > 1  # two seeds, two images
    mixed = generator.generate(torch.zeros(77, 1024), {**params, "prompt": "a dog", "prompt_weight": 1.0}, CTX)
    assert np.array_equal(_pixels(mixed[0]), _pixels(images[0]))  # weight 1: the prompt alone decides


def test_sd3_takes_pooled_and_sequence_and_mixes_a_prompt(tiny_sd3: Path) -> None:
    generator = StableDiffusion3Generator()
    params = resolve_params(generator.params, {**SMALL, "model": str(tiny_sd3)}, "sd3")
    text = generator.encode_text("a bird", params, CTX)
    SD3_TEXT.check(text, "sd3", "input")
    assert text["sequence"].shape == (333, 4096) and text["pooled"].shape == (2048,)
    audio = {"pooled": torch.randn(2048), "sequence": torch.randn(333, 4096) * 0.1}
    ctx = RunContext("cpu", "float32", (4,))
    plain = generator.generate(audio, params, ctx)[0]
    mixed = generator.generate(audio, {**params, "prompt": "a bird", "prompt_weight": 0.5}, ctx)[0]
    prompt_only = generator.generate(text, params, ctx)[0]
    assert plain.size == (32, 32)
    assert np.abs(_pixels(plain) - _pixels(mixed)).mean() > 0.5
    assert np.abs(_pixels(mixed) - _pixels(prompt_only)).mean() > 0.5


def test_a_repo_id_that_is_not_downloaded_says_how_to_fetch_it(app_dirs: dict[str, Path]) -> None:
    generator = StableDiffusion3Generator()
    params = resolve_params(generator.params, {"model": "someone/sd3-finetune"}, "sd3")
    with pytest.raises(WeightsMissing) as caught:
        generator.generate({"pooled": torch.zeros(2048), "sequence": torch.zeros(333, 4096)}, params, CTX)
    expected = app_dirs["models"] / "checkpoints" / "sd3-finetune"
    assert str(caught.value) == (
        f"The sd3 model someone/sd3-finetune is missing: looked in {expected} "
        "and the Hugging Face cache; fetch it with 'hf download someone/sd3-finetune' or point the model parameter "
        "at a local copy."
    )

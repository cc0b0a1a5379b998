"""Mixing: weighted means in one space, a reference image through unCLIP's image encoder, prompt weight."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _unclip_fixtures import tiny_unclip_fixture, write_image  # noqa: F401 (fixture)
from PIL import Image

from a2i_plugins.unclip import UnclipGenerator
from a2i_plugins.unclip._sampling import encode_image, image_embedding, text_embeddings
from a2i_studio.core import RunContext, resolve_params
from a2i_studio.core._mixing import mix_embeddings
from a2i_studio.errors import ParamError, ShapeError

SMALL = {"width": 32, "height": 32, "steps": 2}


def _rain_and_birds() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(1024, generator=generator), torch.randn(1024, generator=generator)


def test_weights_one_and_zero_reproduce_a_source_and_halves_give_the_mean() -> None:
    rain, birds = _rain_and_birds()
    assert torch.equal(mix_embeddings([rain, birds], [1.0, 0.0]), rain)
    assert torch.equal(mix_embeddings([rain, birds], [0.0, 1.0]), birds)
    torch.testing.assert_close(mix_embeddings([rain, birds], [0.5, 0.5]), (rain + birds) / 2)
    torch.testing.assert_close(mix_embeddings([rain, birds], [3.0, 1.0]), 0.75 * rain + 0.25 * birds)
    parts = mix_embeddings([{"pooled": rain, "sequence": rain[:8]}, {"pooled": birds, "sequence": birds[:8]}], [1, 1])
    torch.testing.assert_close(parts["sequence"], (rain[:8] + birds[:8]) / 2)
    assert np.allclose(mix_embeddings([np.ones(3), np.zeros(3)], [0.25, 0.75]), 0.25)


def test_bad_mixes_are_refused_in_one_sentence() -> None:
    rain, birds = _rain_and_birds()
    with pytest.raises(ParamError, match=r"Mixing weight -0\.2 is invalid"):
        mix_embeddings([rain, birds], [1.0, -0.2])
    with pytest.raises(ParamError, match="Every mixing weight is 0"):
        mix_embeddings([rain, birds], [0.0, 0.0])
    with pytest.raises(ParamError, match="one weight per embedding; got 2 embeddings and 1 weights"):
        mix_embeddings([rain, birds], [1.0])
    with pytest.raises(ShapeError, match=r"share one shape; got \[\(512,\), \(1024,\)\]"):
        mix_embeddings([rain, birds[:512]], [1.0, 1.0])


@pytest.fixture
def pipeline(tiny_unclip: Path) -> object:
    from diffusers import StableUnCLIPImg2ImgPipeline

    return StableUnCLIPImg2ImgPipeline.from_pretrained(tiny_unclip, local_files_only=True)


def test_reference_image_weight_moves_the_embedding_from_the_sound_to_the_image(
    pipeline: object, tmp_path: Path
) -> None:
    rain, _ = _rain_and_birds()
    path = write_image(tmp_path / "beach.png", (200, 180, 90))
    with torch.inference_mode(), Image.open(path) as image:
        reference = encode_image(pipeline, image)[0]
    assert reference.shape == (1024,)

    def mixed(weight: float, scale: float = 1.0) -> torch.Tensor:
        params = {"embedding_scale": scale, "image": str(path), "image_weight": weight}
        with torch.inference_mode():
            return image_embedding(pipeline, rain, params)[0]

    assert torch.equal(mixed(0.0), rain)
    torch.testing.assert_close(mixed(1.0), reference)
    torch.testing.assert_close(mixed(0.5), (rain + reference) / 2)
    torch.testing.assert_close(mixed(0.0, scale=2.0), 2 * rain)
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ParamError, match=r"notes\.png': the file cannot be read as an image\."):
        image_embedding(pipeline, rain, {"embedding_scale": 1.0, "image": str(tmp_path / "notes.png"),
                                         "image_weight": 0.5})


def test_prompt_weight_moves_the_text_states_from_the_empty_prompt_to_the_prompt(pipeline: object) -> None:
    def states(prompt: str, weight: float) -> torch.Tensor:
        params = {"prompt": prompt, "prompt_weight": weight, "negative_prompt": "", "guidance": 1.0}
        with torch.inference_mode():
            embeds, negative = text_embeddings(pipeline, params)
        assert negative is None  # no guidance, no negative states
        return embeds

    empty, rain = states("", 1.0), states("rain", 1.0)
    assert not torch.allclose(empty, rain)
    torch.testing.assert_close(states("rain", 0.0), empty)
    torch.testing.assert_close(states("rain", 0.5), (empty + rain) / 2)


def test_an_image_weight_of_one_draws_the_picture_the_image_alone_draws(
    tiny_unclip: Path, app_dirs: dict[str, Path], tmp_path: Path
) -> None:
    from _unclip_fixtures import install_unclip

    install_unclip(app_dirs["models"], tiny_unclip)
    path = write_image(tmp_path / "forest.png", (30, 120, 40))
    generator = UnclipGenerator()
    ctx = RunContext("cpu", "float32", (7,))
    rain, _ = _rain_and_birds()
    with_image = resolve_params(generator.params, {**SMALL, "image": str(path), "image_weight": 1.0}, "unclip")
    pictured = generator.generate(rain, with_image, ctx)[0]
    with torch.inference_mode(), Image.open(path) as image:
        reference = encode_image(generator.pipeline(with_image, ctx), image)[0]
    alone = generator.generate(reference, resolve_params(generator.params, SMALL, "unclip"), ctx)[0]
    sound_only = generator.generate(rain, resolve_params(generator.params, SMALL, "unclip"), ctx)[0]
    assert np.array_equal(np.asarray(pictured), np.asarray(alone))
    assert np.abs(np.asarray(pictured, np.int16) - np.asarray(sound_only, np.int16)).mean() > 1

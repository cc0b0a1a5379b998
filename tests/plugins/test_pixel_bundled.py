"""The bundled pixel transformer: it loads, it has learned the soundscapes, and its pictures depend on the seed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional

from a2i_plugins.pixel_transformer import BUNDLED_WEIGHTS
from a2i_plugins.pixel_transformer._checkpoint import load_model
from a2i_plugins.pixel_transformer._data import load_pairs
from a2i_studio import config
from a2i_studio.datasets import read_dataset
from a2i_studio.datasets.soundscapes import make_soundscapes
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.plugins import PluginManager

pytestmark = pytest.mark.skipif(
    BUNDLED_WEIGHTS.bundled is None or not BUNDLED_WEIGHTS.bundled.is_file(), reason="bundled weights not installed"
)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_bundled_model_predicts_new_soundscape_pictures_better_with_their_sound(tmp_path: Path) -> None:
    assert BUNDLED_WEIGHTS.bundled is not None
    model, info = load_model(BUNDLED_WEIGHTS.bundled)
    assert (model.config.image_size, model.config.channels) == (32, 3)
    make_soundscapes(tmp_path, n=16, seed=99, workers=1)  # pairs the model has never seen
    pairs = load_pairs(read_dataset(tmp_path), model.config)
    logs, tokens = pairs.logs.float(), pairs.tokens.long()

    def bits_per_value(without_audio: bool) -> float:
        drop = torch.full((len(tokens),), without_audio)
        with torch.no_grad():
            logits = model(logs, tokens, drop)
        return float(functional.cross_entropy(logits.flatten(0, 1), tokens.flatten())) / math.log(2)

    with_audio, without_audio = bits_per_value(False), bits_per_value(True)
    # A model that knows nothing needs 8 bits per value; the card reports the validation figure. (The
    # shaded, textured drawings of the scene-parameter soundscapes cost more bits than the flat ones did:
    # 3.16 on validation, where the flat drawings' model reached 1.68.)
    assert with_audio < 3.5
    assert with_audio == pytest.approx(info["metrics"]["val_bits_per_pixel"], abs=0.25)
    # The sound carries information about the picture: without it every picture costs more bits.
    assert without_audio - with_audio > 0.05


def test_bundled_chain_draws_a_different_picture_for_each_seed(app_dirs: dict[str, Path]) -> None:
    engine = Engine(PluginManager().load().registry)
    rain = config.resources_dir() / "sounds" / "rain.wav"
    request = GenerationRequest(audio=rain, chain="fft>pixel", seed=7, n=2, params={"pixel": {"display_size": 64}})
    first, second = (np.asarray(result.image) for result in engine.generate(request))
    assert first.shape == second.shape == (64, 64, 3)
    # 32x32 pixels enlarged 2x; different seeds differ in most pixels
    assert np.array_equal(first, np.repeat(np.repeat(first[::2, ::2], 2, axis=0), 2, axis=1))
    assert (first[::2, ::2] != second[::2, ::2]).any(axis=-1).mean() > 0.5

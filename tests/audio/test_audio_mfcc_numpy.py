"""The numpy MFCC summary against the torch one the AE-GAN was trained on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_studio import audio, config
from a2i_studio.audio.features import mfcc_summary
from a2i_studio.audio.features_numpy import MFCC_MIN_SAMPLES, mfcc_summary_numpy
from a2i_studio.datasets.soundscapes import make_item

SOUNDS = sorted((config.resources_dir() / "sounds").glob("*.wav"))

# The torch version runs in float32, this one in float64: MFCCs reach a few hundred and their float32 rounding
# through the power spectrum, dB and DCT stays under 1e-3 (6e-4 measured on the bundled sounds and soundscapes);
# the AE-GAN divides each feature by a training-set std of at least 0.1, so that moves its input by under 0.01 sigma.
ATOL = 2e-3


def _both(samples: np.ndarray, rate: int = 16_000) -> tuple[np.ndarray, np.ndarray]:
    return mfcc_summary_numpy(samples, rate), mfcc_summary(torch.from_numpy(samples).float(), rate).numpy()


@pytest.mark.parametrize("path", SOUNDS, ids=[path.stem for path in SOUNDS])
def test_bundled_sounds_give_the_torch_summary(path: Path) -> None:
    got, expected = _both(audio.load(path, sample_rate=16_000).samples)
    assert got.dtype == np.float32 and got.shape == (104,)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("index", [4, 6, 7])  # fire, city, church
def test_soundscapes_give_the_torch_summary(tmp_path: Path, index: int) -> None:
    item = make_item(tmp_path, index, seed=1, seconds=2.0)
    assert item.audio is not None
    got, expected = _both(audio.load(item.audio, sample_rate=16_000).samples)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_shortest_clip_other_rate_and_silence_give_the_torch_summary() -> None:
    rng = np.random.default_rng(0)
    shortest = (0.3 * rng.standard_normal(MFCC_MIN_SAMPLES)).astype(np.float32)
    np.testing.assert_allclose(*_both(shortest), rtol=0, atol=ATOL)
    t = np.arange(22_050 * 2) / 22_050
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    np.testing.assert_allclose(*_both(tone, 22_050), rtol=0, atol=ATOL)
    silent, silent_torch = _both(np.zeros(16_000, dtype=np.float32))
    np.testing.assert_allclose(silent, silent_torch, rtol=0, atol=ATOL)
    assert silent[0] == pytest.approx(-100 * np.sqrt(128), rel=1e-6)  # every band at the -100 dB floor
    np.testing.assert_allclose(silent[np.r_[13:26, 52:104]], 0, atol=1e-9)  # no spread over time, no change


def test_short_or_multichannel_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4096 samples"):
        mfcc_summary_numpy(np.zeros(MFCC_MIN_SAMPLES - 1, dtype=np.float32), 16_000)
    with pytest.raises(ValueError, match=r"got shape \(2, 8000\)"):
        mfcc_summary_numpy(np.zeros((2, 8000), dtype=np.float32), 16_000)


def test_importing_the_module_imports_no_torch() -> None:
    code = "import sys, a2i_studio.audio.features_numpy; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

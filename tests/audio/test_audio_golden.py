"""The golden inputs decode to the samples the reference pipelines read, and resample to their lengths."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from _golden import NAMES, audio_path, imagebind, vggish

from a2i_studio.audio import load
from a2i_studio.audio.features import imagebind_clip_bounds


@pytest.mark.parametrize("name", NAMES)
def test_golden_inputs_decode_to_the_reference_pcm(name: str) -> None:
    index = NAMES.index(name)
    clip = load(audio_path(name), keep_channels=True)
    assert clip.sample_rate == imagebind()["source_sample_rate"][index]
    assert clip.samples.shape == (imagebind()["source_channels"][index], imagebind()["source_frames"][index])
    pcm = np.round(clip.samples.T * 32768).astype("<i2")  # 16-bit FLAC: float32 = int16 / 32768 exactly
    assert hashlib.sha256(pcm.tobytes()).hexdigest() == imagebind()["pcm_sha256"][index]


@pytest.mark.parametrize("name", NAMES)
def test_reference_resamplers_give_the_official_lengths_and_clip_bounds(name: str) -> None:
    index = NAMES.index(name)
    torchaudio = load(audio_path(name), sample_rate=16_000, resampler="torchaudio", keep_channels=True)
    resampy = load(audio_path(name), sample_rate=16_000, resampler="resampy", dtype="float64")
    assert torchaudio.samples.shape[-1] == imagebind()["n16"][index]
    assert resampy.samples.shape[-1] == vggish()["n16"][index]
    bounds = imagebind_clip_bounds(torchaudio.samples.shape[-1])
    np.testing.assert_array_equal(bounds, imagebind()[f"{name}__clip_bounds"])

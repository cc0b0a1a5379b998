"""The resamplers: torchaudio's and resampy's algorithms without either library, streaming, and through load()."""

from __future__ import annotations

import math

import numpy as np
import pytest
import resampy
import soundfile
from audio_helpers import Corpus

from a2i_studio.audio import RESAMPLERS, _resample, load, resample
from a2i_studio.audio._resample import _kaiser_best_table, open_stream

RATES = [8_000, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000]


def _noise(frames: int, channels: int | None = None, seed: int = 0) -> np.ndarray:
    shape = (frames,) if channels is None else (frames, channels)
    return np.random.default_rng(seed).standard_normal(shape)


def _gain_db(method: str, orig: int, hz: float) -> float:
    """Gain of a sine at ``hz`` resampled to 16 kHz, measured away from the edges."""
    t = np.arange(orig) / orig
    out = resample(np.sin(2 * np.pi * hz * t), orig, 16_000, method)[2_000:-2_000]  # type: ignore[arg-type]
    return 20 * math.log10(np.sqrt(2 * np.mean(out**2)))


def test_torchaudio_sinc_resampler_is_the_hann_windowed_sinc_in_closed_form() -> None:
    """Dense float64 evaluation of torchaudio's formula, applied sample by sample, against the banded float32 rows."""
    orig, new = 441, 160  # 44.1 kHz -> 16 kHz after dividing by the gcd
    base = 0.99 * min(orig, new)
    width = math.ceil(6 * orig / base)
    x = _noise(4_410, seed=3)
    padded = np.pad(x, (width, width + orig))
    length = math.ceil(x.size * new / orig)
    expected = np.empty(length)
    for j in range(length):
        frame, phase = divmod(j, new)
        k = np.arange(2 * width + orig)
        t = np.clip(((k - width) / orig - phase / new) * base, -6, 6)
        kernel = np.sinc(t) * np.cos(np.pi * t / 12) ** 2 * base / orig
        expected[j] = kernel @ padded[frame * orig : frame * orig + k.size]
    got = resample(x, 44_100, 16_000, "torchaudio")
    assert got.shape == (length,)
    # torchaudio builds the kernel in float32: its sinc argument is off by up to ~1e-5, and that rounding is
    # part of what ImageBind saw (the golden-data tests hold it); the float64 formula differs by as much.
    np.testing.assert_allclose(got, expected, rtol=0, atol=5e-5)


def test_kaiser_best_table_is_rebuilt_exactly_from_its_parameters() -> None:
    shipped, per_crossing, rolloff = resampy.filters.get_filter("kaiser_best")
    assert per_crossing == 8192 and float(rolloff) == 0.9173473712608761
    np.testing.assert_allclose(_kaiser_best_table(), shipped, rtol=0, atol=2e-15)


@pytest.mark.slow  # resampy's numba JIT warm-up costs several seconds per process
@pytest.mark.parametrize("orig", [*RATES, 37_800, 11_127])
def test_resampy_resampler_matches_resampy(orig: int) -> None:
    x = _noise(orig * 2 + 17)
    expected = resampy.resample(x, orig, 16_000)
    got = resample(x, orig, 16_000, "resampy")
    assert got.shape == expected.shape == (x.size * 16_000 // orig,)
    # Only float rounding differs (resampy's time register drifts by ~1e-16 per output sample).
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", ["torchaudio", "resampy"])
@pytest.mark.parametrize("orig", RATES)
def test_reference_resamplers_pass_the_band_and_keep_the_length_rule(method: str, orig: int) -> None:
    x = _noise(orig // 4 + 5)
    expected_length = -(-x.size * 16_000 // orig) if method == "torchaudio" else x.size * 16_000 // orig
    assert resample(x, orig, 16_000, method).shape == (expected_length,)  # type: ignore[arg-type]
    assert abs(_gain_db(method, orig, 1_000.0)) < 0.01


def test_the_reference_resamplers_shape_the_top_of_the_band_unlike_soxr() -> None:
    """Why a faithful resampler matters: the models saw a top band that soxr shapes otherwise."""
    assert -6.5 < _gain_db("torchaudio", 44_100, 7_900.0) < -5.5  # its cut-off is 0.99 * 8 kHz
    assert _gain_db("soxr", 44_100, 7_900.0) < -50.0
    assert _gain_db("resampy", 44_100, 7_500.0) < -14.0  # VGGish's top mel band reaches 7.5 kHz
    assert _gain_db("soxr", 44_100, 7_500.0) > -0.5


@pytest.mark.parametrize("method", ["torchaudio", "resampy"])
@pytest.mark.parametrize(("orig", "channels"), [(44_100, None), (44_100, 2), (48_000, None), (8_000, 2)])
def test_streaming_in_any_blocks_gives_the_whole_signal_result(
    method: str, orig: int, channels: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = _noise(orig, channels, seed=1)
    whole = resample(x, orig, 16_000, method)  # type: ignore[arg-type]
    monkeypatch.setattr(_resample, "_CHUNK_ELEMENTS", 4_000)  # several matrix products per block, too
    stream = open_stream(method, orig, 16_000, channels, "float64")  # type: ignore[arg-type]
    parts, position = [], 0
    for size in (1, 999, 0, 20_000, 3):
        parts.append(stream.resample_chunk(x[position : position + size]))
        position += size
    parts.append(stream.resample_chunk(x[position:], last=True))
    streamed = np.concatenate(parts)
    assert streamed.dtype == np.float64
    np.testing.assert_allclose(streamed, whole, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", RESAMPLERS)
def test_load_resamples_block_by_block_like_the_whole_file(corpus: Corpus, method: str) -> None:
    path = corpus["stereo.wav"]  # 3 s at 44.1 kHz: three read blocks
    native, rate = soundfile.read(path, dtype="float32")
    mono = load(path, sample_rate=16_000, resampler=method)
    stereo = load(path, sample_rate=16_000, resampler=method, keep_channels=True, dtype="float64")
    assert mono.samples.dtype == np.float32 and stereo.samples.dtype == np.float64
    if method == "soxr":  # soxr's own streaming is tested with the decoder
        return
    np.testing.assert_allclose(mono.samples, resample(native.mean(axis=1), rate, 16_000, method), rtol=0, atol=1e-6)
    np.testing.assert_allclose(stereo.samples.T, resample(native.astype(np.float64), rate, 16_000, method),
                               rtol=0, atol=1e-12)

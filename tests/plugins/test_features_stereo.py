"""The ``mfcc-stereo`` encoder: the seed's 104 MFCC statistics, stereo balance, levels and event rates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from a2i_plugins.features import MfccEncoder, MfccStereoEncoder
from a2i_plugins.features._stereo import BANDS, STEREO_SUMMARY_SIZE, mfcc_stereo_summary
from a2i_studio.core import MFCC_STEREO_SUMMARY, RunContext

RATE = 16_000
BALANCE = slice(104, 104 + BANDS)
BALANCE_STD = slice(104 + BANDS, 104 + 2 * BANDS)
LEVELS = slice(104 + 2 * BANDS, 104 + 3 * BANDS)
PERCENTILES = slice(104 + 3 * BANDS, 104 + 3 * BANDS + 3)
ONSETS_STRICT = 104 + 3 * BANDS + 6
SLOW_EVENTS = 104 + 3 * BANDS + 7
CONTEXT = RunContext(device="cpu", dtype="float32", seeds=(0,))


def _birds(seconds: float = 4.0, calls: int = 6, seed: int = 0) -> np.ndarray:
    """Noise at -40 dB with ``calls`` short rising chirps, evenly spaced, from 1 to 7 kHz."""
    rng = np.random.default_rng(seed)
    samples = 0.01 * rng.standard_normal(int(seconds * RATE))
    t = np.arange(int(0.08 * RATE)) / RATE
    chirp = 0.5 * np.sin(2 * np.pi * (2000 * t + 10_000 * t**2)) * np.hanning(t.size)
    for start in np.linspace(0.2, seconds - 0.3, calls):
        begin = int(start * RATE)
        samples[begin : begin + t.size] += chirp
    return samples.astype(np.float32)


def _encode(encoder: MfccEncoder | MfccStereoEncoder, path: Path) -> np.ndarray:
    return np.asarray(encoder.encode(encoder.read(path).samples, {}, CONTEXT))


def _write(path: Path, samples: np.ndarray) -> Path:
    soundfile.write(path, samples.T if samples.ndim == 2 else samples, RATE, subtype="FLOAT")
    return path


def test_a_mono_file_gives_the_mfcc_encoders_values_then_zero_balance(tmp_path: Path) -> None:
    path = _write(tmp_path / "mono.wav", _birds())
    summary = _encode(MfccStereoEncoder(), path)
    assert summary.shape == MFCC_STEREO_SUMMARY.shape == (STEREO_SUMMARY_SIZE,) == (136,)
    assert summary.dtype == np.float32 and np.isfinite(summary).all()
    np.testing.assert_array_equal(summary[:104], _encode(MfccEncoder(), path))
    assert not summary[104 : 104 + 2 * BANDS].any()


@pytest.mark.parametrize(("gains", "sign"), [((0.9, 0.3), -1), ((0.3, 0.9), 1)])
def test_a_source_panned_left_or_right_gives_balance_of_that_sign(
    tmp_path: Path, gains: tuple[float, float], sign: int
) -> None:
    birds = _birds()
    path = _write(tmp_path / "panned.wav", np.stack([gains[0] * birds, gains[1] * birds]))
    summary = _encode(MfccStereoEncoder(), path)
    # The mono mix is what the mfcc encoder reads from the same stereo file.
    np.testing.assert_array_equal(summary[:104], _encode(MfccEncoder(), path))
    # The same sound, 3x louder on one side: 20 log10(3) = 9.54 dB in every band, constant over frames.
    np.testing.assert_allclose(summary[BALANCE], sign * 20 * np.log10(3), atol=1e-3)
    np.testing.assert_allclose(summary[BALANCE_STD], 0.0, atol=1e-3)


def test_a_source_moving_across_gives_balance_spread_and_a_centred_source_none() -> None:
    birds = _birds().astype(np.float64)
    sweep = np.linspace(0.0, 1.0, birds.size)
    moving = mfcc_stereo_summary(np.stack([np.sqrt(1 - sweep) * birds, np.sqrt(sweep) * birds]), RATE)
    centred = mfcc_stereo_summary(np.stack([birds, birds]), RATE)
    assert (moving[BALANCE_STD] > 3.0).all()
    assert not centred[104 : 104 + 2 * BANDS].any()


def test_a_louder_clip_raises_the_levels_by_its_gain_and_keeps_the_rest() -> None:
    quiet, loud = _birds(), 4 * _birds()
    quiet_summary, loud_summary = mfcc_stereo_summary(quiet, RATE), mfcc_stereo_summary(loud, RATE)
    gain = 20 * np.log10(4)  # 12.04 dB
    np.testing.assert_allclose(loud_summary[LEVELS] - quiet_summary[LEVELS], gain, atol=1e-3)
    np.testing.assert_allclose(loud_summary[PERCENTILES] - quiet_summary[PERCENTILES], gain, atol=1e-3)
    np.testing.assert_allclose(loud_summary[ONSETS_STRICT:], quiet_summary[ONSETS_STRICT:])


@pytest.mark.parametrize("calls", [2, 6, 12])
def test_onsets_per_second_count_the_calls(calls: int) -> None:
    summary = mfcc_stereo_summary(_birds(seconds=4.0, calls=calls), RATE)
    assert summary[ONSETS_STRICT] == pytest.approx(calls / 4.0)


def test_slow_events_count_loud_passes() -> None:
    t = np.arange(8 * RATE) / RATE
    noise = np.random.default_rng(1).standard_normal(t.size)
    passes = sum(np.exp(-(((t - centre) / 0.3) ** 2)) for centre in (1.5, 4.0, 6.5))  # three cars going by
    summary = mfcc_stereo_summary((0.02 + 0.5 * passes) * noise, RATE)
    assert summary[SLOW_EVENTS] == pytest.approx(3 / 8.0)


def test_silence_gives_floor_levels_and_no_events() -> None:
    summary = mfcc_stereo_summary(np.zeros((2, RATE), np.float32), RATE)
    assert np.isfinite(summary).all()
    assert not summary[104 : 104 + 2 * BANDS].any()
    assert (summary[LEVELS] == -100).all() and (summary[PERCENTILES] == -100).all()
    assert not summary[PERCENTILES.stop :].any()  # flux, onsets, slow events


def test_audio_too_short_or_of_three_dimensions_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4096 frames"):
        mfcc_stereo_summary(np.zeros((2, 100), np.float32), RATE)
    with pytest.raises(ValueError, match=r"got shape \(1, 2, 8000\)"):
        mfcc_stereo_summary(np.zeros((1, 2, 8000), np.float32), RATE)


def test_the_encoder_reads_every_channel_and_imports_no_torch() -> None:
    assert MfccStereoEncoder.keep_channels and MfccStereoEncoder.needs_torch is False
    assert MfccStereoEncoder.output_space == MFCC_STEREO_SUMMARY
    code = "import sys, a2i_plugins.features._stereo, a2i_plugins.features; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

"""Each feature against an independent reference on the same input."""

from __future__ import annotations

import kaldi_native_fbank as knf
import librosa
import numpy as np
import pytest
import torch

from a2i_studio.audio.features import (
    IMAGEBIND_MEAN,
    IMAGEBIND_STD,
    VGGISH_MIN_SAMPLES,
    fft_frames,
    imagebind_clip_bounds,
    imagebind_fbank,
    kaldi_fbank,
    mel_spectrogram_db,
    mfcc_summary,
    vggish_log_mel,
)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def signal(seconds: float, rate: int = 16_000, seed: int = 0) -> np.ndarray:
    """Two tones, a chirp and noise: energy in every band the features look at."""
    t = np.arange(round(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    chirp = np.sin(2 * np.pi * (300 + 2000 * t / seconds) * t)
    mix = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3100 * t) + 0.2 * chirp
    return (mix + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


# --- VGGish: a numpy transcription of torchvggish's mel_features.py ---------


def _frame(data: np.ndarray, window: int, hop: int) -> np.ndarray:
    count = 1 + (data.shape[0] - window) // hop
    return np.lib.stride_tricks.as_strided(
        data, shape=(count, window, *data.shape[1:]), strides=(data.strides[0] * hop, *data.strides)
    )


def _vggish_reference(samples: np.ndarray) -> np.ndarray:
    """waveform_to_examples at 16 kHz: STFT magnitude -> mel (HTK, mel-space triangles) -> log -> 0.96 s examples."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi / 400 * np.arange(400))  # periodic_hann(400)
    spectrogram = np.abs(np.fft.rfft(_frame(samples, 400, 160) * window, 512))

    def hz_to_mel(hz: np.ndarray) -> np.ndarray:
        return 1127.0 * np.log(1.0 + hz / 700.0)

    bins_mel = hz_to_mel(np.linspace(0.0, 8000.0, 257))
    edges = np.linspace(hz_to_mel(np.array(125.0)), hz_to_mel(np.array(7500.0)), 66)
    weights = np.empty((257, 64))
    for i in range(64):
        lower, center, upper = edges[i : i + 3]
        weights[:, i] = np.maximum(
            0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center))
        )
    weights[0, :] = 0.0
    log_mel = np.log(spectrogram @ weights + 0.01)
    return _frame(log_mel, 96, 96)


def test_vggish_log_mel_matches_the_torchvggish_algorithm() -> None:
    samples = signal(3.0).astype(np.float64)
    expected = _vggish_reference(samples)
    got = vggish_log_mel(torch.from_numpy(samples))
    assert got.shape == (3, 96, 64) == expected.shape
    # float64 on both sides: only FFT rounding differs (pocketfft vs torch).
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-9)
    # float32, as the encoder runs it: the + 0.01 inside the log keeps float32
    # rounding of the mel energies (relative 1e-6) from growing past ~1e-5.
    got32 = vggish_log_mel(torch.from_numpy(samples.astype(np.float32)))
    np.testing.assert_allclose(got32.numpy(), expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_vggish_log_mel_is_batched(device: str) -> None:
    batch = torch.from_numpy(np.stack([signal(2.0, seed=1), signal(2.0, seed=2)])).to(device)
    got = vggish_log_mel(batch.reshape(2, 1, -1))
    assert got.shape == (2, 1, 2, 96, 64)
    assert got.device.type == device
    for item in range(2):
        # Batched and single runs do the same float32 arithmetic (matmul blocking may differ).
        torch.testing.assert_close(got[item, 0], vggish_log_mel(batch[item]), rtol=0, atol=1e-5)


def test_vggish_needs_one_example() -> None:
    assert vggish_log_mel(torch.zeros(VGGISH_MIN_SAMPLES)).shape == (1, 96, 64)
    with pytest.raises(ValueError, match="vggish_log_mel needs at least 15600 samples, got 15599"):
        vggish_log_mel(torch.zeros(VGGISH_MIN_SAMPLES - 1))


# --- Kaldi fbank / ImageBind ------------------------------------------------


def _knf_fbank(samples: np.ndarray, bins: int) -> np.ndarray:
    options = knf.FbankOptions()
    options.frame_opts.samp_freq = 16_000
    options.frame_opts.dither = 0.0
    options.frame_opts.window_type = "hanning"
    options.mel_opts.num_bins = bins
    fbank = knf.OnlineFbank(options)
    fbank.accept_waveform(16_000, samples.tolist())
    fbank.input_finished()
    return np.stack([fbank.get_frame(i) for i in range(fbank.num_frames_ready)])


def _torchaudio_fbank_reference(samples: np.ndarray, bins: int) -> np.ndarray:
    """torchaudio.compliance.kaldi.fbank with ImageBind's options, transcribed to numpy (float64)."""
    frames = _frame(samples.astype(np.float64), 400, 160).copy()
    frames -= frames.mean(axis=1, keepdims=True)
    frames = frames - 0.97 * np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 399)  # symmetric Hann ("hanning")
    power = np.abs(np.fft.rfft(frames * window, 512)) ** 2

    def mel(hz: np.ndarray) -> np.ndarray:
        return 1127.0 * np.log(1.0 + hz / 700.0)

    low, high = mel(np.array(20.0)), mel(np.array(8000.0))
    delta = (high - low) / (bins + 1)
    bins_mel = mel(16_000 / 512 * np.arange(256))
    banks = np.zeros((bins, 257))
    for b in range(bins):
        left, center, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
        up = (bins_mel - left) / (center - left)
        down = (right - bins_mel) / (right - center)
        banks[b, :256] = np.maximum(0.0, np.minimum(up, down))
    return np.log(np.maximum(power @ banks.T, np.finfo(np.float32).eps))


@pytest.mark.parametrize("bins", [23, 80])
def test_kaldi_fbank_matches_kaldi_native_fbank(bins: int) -> None:
    samples = signal(2.0)
    expected = _knf_fbank(samples, bins)
    got = kaldi_fbank(torch.from_numpy(samples), num_mel_bins=bins).numpy()
    assert got.shape == expected.shape == (198, bins)
    # Both in float32 with different FFTs; the lowest bands hold one or two FFT
    # bins with small weights, where float32 differences show most after the log.
    np.testing.assert_allclose(got, expected, rtol=0, atol=3e-3)
    # The numpy transcription used for 128 bins below agrees with Kaldi too.
    np.testing.assert_allclose(_torchaudio_fbank_reference(samples, bins), expected, rtol=0, atol=3e-3)


def test_kaldi_fbank_keeps_the_empty_bands_torchaudio_keeps() -> None:
    """Kaldi refuses 128 bins at 16 kHz (some low bands contain no FFT bin); torchaudio and ImageBind do not."""
    samples = signal(2.0)
    with pytest.raises(Exception, match="num_mel_bins too large"):
        _knf_fbank(samples, 128)
    got = kaldi_fbank(torch.from_numpy(samples.astype(np.float64)), num_mel_bins=128).numpy()
    expected = _torchaudio_fbank_reference(samples, 128)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)  # both float64
    floor = np.log(float(np.finfo(np.float32).eps))
    empty_bands = np.flatnonzero(np.all(got == floor, axis=0))
    assert empty_bands.tolist() == [3]  # 97-141 mel (about 65-94 Hz) falls between the 62.5 and 93.75 Hz FFT bins


def test_imagebind_clip_bounds_follow_the_official_float_arithmetic() -> None:
    # 7.3 s at 44.1 kHz resampled: 116799 samples. (7.2999375 - 2) / 2 s is 2.64996875 s in exact
    # arithmetic, but the float subtraction lands a hair below, so int(t * 16000) gives 42399, not 42400.
    assert imagebind_clip_bounds(116_799) == [(0, 32_000), (42_399, 74_399), (84_799, 116_799)]
    assert imagebind_clip_bounds(80_000) == [(0, 32_000), (24_000, 56_000), (48_000, 80_000)]
    assert imagebind_clip_bounds(24_000) == [(0, 24_000)] * 3  # shorter than a clip: the whole waveform, clamped
    assert imagebind_clip_bounds(80_000, clips=1) == [(0, 32_000)]
    assert imagebind_clip_bounds(80_000, clips=4) == [(0, 32_000), (16_000, 48_000), (32_000, 64_000), (48_000, 80_000)]


def _imagebind_reference(waveform: np.ndarray, starts: list[int]) -> np.ndarray:
    """ImageBind's loop in float64: in-place mean removal over all channels, fbank of channel 0, pad, normalise."""
    waveform = np.atleast_2d(waveform).astype(np.float64)
    clips = []
    for start in starts:
        window = waveform[:, start : start + 32_000]
        window -= window.mean()  # a view: later overlapping windows see this
        fbank = _torchaudio_fbank_reference(window[0], 128).T  # [128, frames]
        fbank = np.pad(fbank, ((0, 0), (0, 204 - fbank.shape[1])))  # ImageBind pads with zeros in the log domain
        clips.append((fbank - IMAGEBIND_MEAN) / IMAGEBIND_STD)
    return np.stack(clips)


def test_imagebind_fbank_samples_three_clips_like_imagebind() -> None:
    samples = signal(5.0)
    got = imagebind_fbank(torch.from_numpy(samples))
    assert got.shape == (3, 1, 128, 204)
    # Starts at i * (5 s - 2 s) / 2; the clips overlap, so each sees the previous clips' mean removal.
    expected = _imagebind_reference(samples, [0, 24_000, 48_000])
    # float32 vs float64: 1e-3 on values of order 1 after dividing by the std of 9.1.
    np.testing.assert_allclose(got[:, 0].numpy(), expected, rtol=0, atol=1e-3)
    independent = _imagebind_reference(samples[None, 48_000:], [0])  # the last clip with only its own mean removed
    assert np.abs(got[2, 0].numpy() - independent[0]).max() > 1e-3


def test_imagebind_fbank_reads_channel_zero_after_removing_the_mean_of_all_channels() -> None:
    left, right = signal(3.0, seed=1), 0.5 + signal(3.0, seed=2)  # the right channel carries a DC offset
    stereo = np.stack([left, right])
    got = imagebind_fbank(torch.from_numpy(stereo), clips=2)
    np.testing.assert_allclose(got[:, 0].numpy(), _imagebind_reference(stereo, [0, 16_000]), rtol=0, atol=1e-3)
    alone = imagebind_fbank(torch.from_numpy(left), clips=2)
    assert torch.amax(torch.abs(got - alone)) > 0.01  # the shared mean is not the left channel's own
    assert np.array_equal(stereo[1], 0.5 + signal(3.0, seed=2))  # the caller's waveform is left as it was


def test_imagebind_fbank_of_a_short_clip_repeats_and_pads() -> None:
    samples = signal(1.0)
    got = imagebind_fbank(torch.from_numpy(samples))
    assert got.shape == (3, 1, 128, 204)
    # The same samples each time, but the in-place mean removal runs again on the already centred clip.
    torch.testing.assert_close(got[0], got[2], rtol=0, atol=1e-4)
    padding = torch.full((128, 106), -IMAGEBIND_MEAN / IMAGEBIND_STD)
    torch.testing.assert_close(got[0, 0, :, 98:], padding, rtol=0, atol=1e-6)


# --- MFCC summary and display mel -------------------------------------------


def _librosa_summary(samples: np.ndarray, rate: int) -> np.ndarray:
    mfcc = librosa.feature.mfcc(y=samples, sr=rate, n_mfcc=13)
    delta = librosa.feature.delta(mfcc)
    delta2 = librosa.feature.delta(mfcc, order=2)
    parts = [mfcc.mean(1), mfcc.std(1), mfcc.min(1), mfcc.max(1), delta.mean(1), delta.std(1)]
    return np.concatenate([*parts, delta2.mean(1), delta2.std(1)])


@pytest.mark.slow  # librosa's numba JIT warm-up costs about 25 s per process
@pytest.mark.parametrize("rate", [16_000, 22_050])
def test_mfcc_summary_matches_librosa(rate: int) -> None:
    samples = signal(3.0, rate)
    got = mfcc_summary(torch.from_numpy(samples), rate)
    assert got.shape == (104,)
    # float32 through dB and a DCT: MFCCs reach ~300, errors stay below 1e-3.
    np.testing.assert_allclose(got.numpy(), _librosa_summary(samples, rate), rtol=0, atol=2e-3)


@pytest.mark.slow  # librosa's numba JIT warm-up costs about 25 s per process
def test_mfcc_summary_per_second() -> None:
    samples = signal(3.4)
    got = mfcc_summary(torch.from_numpy(samples), 16_000, segment_seconds=1.0)
    assert got.shape == (3, 104)  # the trailing 0.4 s is dropped
    for second in range(3):
        expected = _librosa_summary(samples[second * 16_000 : (second + 1) * 16_000], 16_000)
        np.testing.assert_allclose(got[second].numpy(), expected, rtol=0, atol=2e-3)


def test_mfcc_summary_needs_nine_frames() -> None:
    with pytest.raises(ValueError, match="mfcc_summary needs at least 4096 samples"):
        mfcc_summary(torch.zeros(4095), 16_000)


@pytest.mark.slow  # librosa's numba JIT warm-up costs about 25 s per process
def test_mel_spectrogram_db_matches_librosa() -> None:
    samples = signal(2.0, 22_050)
    expected = librosa.power_to_db(
        librosa.feature.melspectrogram(y=samples, sr=22_050, n_fft=1024, hop_length=256, n_mels=80, fmax=8000.0),
        ref=1.0,
        top_db=80.0,
    )
    got = mel_spectrogram_db(torch.from_numpy(samples), 22_050, n_fft=1024, hop_length=256, n_mels=80, fmax=8000.0)
    assert got.shape == expected.shape == (80, 173)
    # dB of float32 power: 1e-3 dB is far below anything visible.
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-3)


# --- FFT frames --------------------------------------------------------------


def _numpy_fft_frames(samples: np.ndarray, sections: int, bins: int) -> np.ndarray:
    length = len(samples) // sections
    spectra = np.abs(np.fft.rfft(samples[: sections * length].reshape(sections, length), axis=1))
    magnitude = spectra[:, 1 : length // 2 + 1] / length
    count = magnitude.shape[1]
    if count == bins:
        return magnitude
    bands = [magnitude[:, (i * count) // bins : -((-(i + 1) * count) // bins)].mean(axis=1) for i in range(bins)]
    return np.stack(bands, axis=1)


@pytest.mark.parametrize(
    ("seconds", "rate"),
    [(10.0, 22_050), (10.0, 16_000), (3.0, 44_100), (30.0, 48_000)],
    ids=["seed-setup-441", "shorter-sections", "fewer-bins-than-220", "more-bins-than-220"],
)
def test_fft_frames_match_numpy(seconds: float, rate: int) -> None:
    samples = np.random.default_rng(3).standard_normal(round(seconds * rate) + 7)
    got = fft_frames(torch.from_numpy(samples))
    assert got.shape == (500, 220)
    # float64 throughout; only the FFT implementations differ.
    np.testing.assert_allclose(got.numpy(), _numpy_fft_frames(samples, 500, 220), rtol=0, atol=1e-12)


def test_fft_frames_of_a_tone_peak_at_its_bin() -> None:
    t = np.arange(220_500) / 22_050
    samples = torch.from_numpy(np.sin(2 * np.pi * 1000 * t)).reshape(1, -1).repeat(2, 1)
    got = fft_frames(samples)
    assert got.shape == (2, 500, 220)
    # 441-sample sections at 22.05 kHz: bin k is k * 50 Hz, so 1 kHz is bin 20 (column 19).
    assert (got.argmax(dim=-1) == 19).all()

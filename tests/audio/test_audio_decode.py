"""Decoding: every format, rate and channel layout; segments; resampling; padding."""

from __future__ import annotations

import hashlib
import tracemalloc

import numpy as np
import pytest
import soundfile
import soxr
from audio_helpers import RATE, Corpus, tone

from a2i_studio.audio import AudioInfo, Clip, file_sha256, load, pad_to, probe

# Quantisation of each WAV subtype: the largest error a correct decoder can
# show against the float signal that was written.
SUBTYPE_TOLERANCE = {
    "PCM_U8": 1 / 128,
    "PCM_16": 1 / 32768,
    "PCM_24": 1 / 2**23,
    "PCM_32": 1 / 2**31,
    "FLOAT": 0.0,
    "DOUBLE": 0.0,
    "ULAW": 0.02,  # 8-bit logarithmic: steps of up to ~1/64 near full scale
    "ALAW": 0.02,
}


@pytest.mark.parametrize("subtype", sorted(SUBTYPE_TOLERANCE))
def test_every_wav_subtype_decodes_to_the_written_signal(corpus: Corpus, subtype: str) -> None:
    clip = load(corpus[f"subtype_{subtype}.wav"])
    expected = tone(0.5, 8000, 440.0)
    assert clip.sample_rate == 8000
    assert clip.samples.dtype == np.float32
    assert clip.samples.shape == expected.shape
    # Tolerance: one quantisation step of the subtype (plus float32 rounding).
    np.testing.assert_allclose(clip.samples, expected, rtol=0, atol=SUBTYPE_TOLERANCE[subtype] + 1e-7)


@pytest.mark.parametrize(
    ("name", "fmt", "codec", "rate", "channels", "seconds"),
    [
        ("stereo.wav", "WAV", "PCM_16", 44_100, 2, 3.0),
        ("stereo.flac", "FLAC", "PCM_16", 44_100, 2, 3.0),
        ("stereo.aiff", "AIFF", "PCM_24", 44_100, 2, 3.0),
        ("mono.ogg", "OGG", "VORBIS", RATE, 1, 3.0),
        ("mono.opus", "OGG", "OPUS", 48_000, 1, 2.0),
        ("mono.mp3", "MP3", "MPEG_LAYER_III", RATE, 1, 3.0),
        ("stereo.m4a", "M4A", "AAC", 44_100, 2, 3.0),
        ("stereo.webm", "WEBM", "Opus", 48_000, 2, 3.0),
        ("video.mp4", "MP4", "AAC", 44_100, 2, 3.0),
        ("video.mov", "MOV", "AAC", 44_100, 2, 3.0),
        ("video.mkv", "MKV", "AAC", 44_100, 2, 3.0),
        ("rate8000.wav", "WAV", "PCM_16", 8000, 1, 1.0),
        ("rate192000.wav", "WAV", "PCM_24", 192_000, 1, 0.5),
        ("six.wav", "WAV", "FLOAT", RATE, 6, 0.5),
    ],
)
def test_probe_and_load_agree_on_every_format(
    corpus: Corpus, name: str, fmt: str, codec: str, rate: int, channels: int, seconds: float
) -> None:
    info = probe(corpus[name])
    clip = load(corpus[name])
    assert (info.format, info.codec, info.sample_rate, info.channels) == (fmt, codec, rate, channels)
    # Containers read through FFmpeg report durations that include encoder
    # padding (AAC: up to one 1024-sample frame, Opus: 8 ms); 30 ms covers both.
    assert info.duration == pytest.approx(seconds, abs=0.03)
    assert clip.duration == pytest.approx(seconds, abs=0.03)
    assert clip.sample_rate == rate
    assert clip.samples.ndim == 1
    assert clip.warnings == []


@pytest.mark.parametrize("name", ["stereo.wav", "stereo.flac", "stereo.m4a", "video.mp4"])
def test_mono_mix_and_channel_choice(corpus: Corpus, name: str) -> None:
    left, right = corpus.stereo[:, 0], corpus.stereo[:, 1]
    mixed = load(corpus[name]).samples
    first = load(corpus[name], channel=0).samples
    second = load(corpus[name], channel=1).samples
    both = load(corpus[name], keep_channels=True).samples
    assert both.shape == (2, mixed.shape[0])
    np.testing.assert_array_equal(both[0], first)
    np.testing.assert_allclose(mixed, (first + second) / 2, atol=1e-6)
    n = min(len(first), len(left)) - 2048  # AAC decoders may fade the last frame
    for decoded, written in ((first, left), (second, right)):
        if name.endswith((".wav", ".flac")):
            # Lossless: the written signal to one 16-bit step.
            np.testing.assert_allclose(decoded[:n], written[:n], rtol=0, atol=1 / 32768)
        else:
            # AAC keeps the tone but re-synthesises the 0.01-rms noise: the
            # error is of the noise's size, far below the 0.25/0.5 tones.
            assert np.sqrt(np.mean((decoded[2048:n] - written[2048:n]) ** 2)) < 0.02


def test_six_channels_keep_their_order(corpus: Corpus) -> None:
    clip = load(corpus["six.wav"], keep_channels=True)
    assert clip.samples.shape == (6, 8000)
    written = soundfile.read(corpus["six.wav"], dtype="float32")[0].T
    np.testing.assert_array_equal(clip.samples, written)
    np.testing.assert_array_equal(load(corpus["six.wav"], channel=5).samples, written[5])


@pytest.mark.parametrize("name", ["stereo.wav", "stereo.flac", "stereo.aiff", "mono.ogg", "mono.mp3", "mono.opus"])
def test_segment_is_the_same_samples_as_the_whole_file(corpus: Corpus, name: str) -> None:
    whole = load(corpus[name])
    segment = load(corpus[name], start=1.0, end=1.75)
    rate = whole.sample_rate
    assert segment.start == 1.0
    assert segment.samples.shape == (round(0.75 * rate),)
    # libsndfile seeks sample-exactly, also in Vorbis, Opus and MP3 (within float rounding).
    np.testing.assert_allclose(segment.samples, whole.samples[rate : rate + len(segment.samples)], atol=2e-7)


@pytest.mark.parametrize(
    ("name", "max_lag"), [("stereo.m4a", 0), ("video.mov", 0), ("stereo.webm", 48), ("video.mkv", 45)]
)
def test_ffmpeg_segment_lines_up_with_the_whole_file(corpus: Corpus, name: str, max_lag: int) -> None:
    whole = load(corpus[name]).samples
    segment = load(corpus[name], start=1.0, end=2.0)
    rate = segment.sample_rate
    core = segment.samples[100:-100]
    errors = {lag: np.abs(core - whole[rate + 100 + lag : 2 * rate - 100 + lag]).max() for lag in range(-60, 61)}
    best = min(errors, key=errors.__getitem__)
    # MP4/MOV timestamps count samples, so the segment starts exactly; Matroska
    # ones count milliseconds, so it may start up to 1 ms off (48/44 samples).
    assert abs(best) <= max_lag
    # The rest is lossy-decoder state: AAC fills noisy bands from a random
    # generator whose state depends on where decoding began (noise is 0.01 rms).
    assert errors[best] < 0.05


def test_reading_a_segment_does_not_decode_the_whole_file(corpus: Corpus) -> None:
    tracemalloc.start()
    try:
        clip = load(corpus["ten_minutes.flac"], start=540.0, end=541.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clip.samples.shape == (8000,)
    np.testing.assert_allclose(clip.samples, tone(600.0, 8000, 440.0, 0.3)[540 * 8000 : 541 * 8000], atol=1 / 32768)
    # The whole file as float32 would be 19.2 MB; one second plus a decode block is well under 1 MB.
    assert peak < 1_000_000


def test_resampling_is_soxr_hq_and_deterministic(corpus: Corpus) -> None:
    first = load(corpus["stereo.wav"], sample_rate=RATE)
    second = load(corpus["stereo.wav"], sample_rate=RATE)
    native = load(corpus["stereo.wav"])
    expected = soxr.resample(native.samples, 44_100, RATE, quality="HQ")
    assert first.sample_rate == RATE
    assert first.samples.shape == (3 * RATE,)
    # Bit-exact: same library, same quality, same input, and twice the same answer.
    np.testing.assert_array_equal(first.samples, expected)
    np.testing.assert_array_equal(first.samples, second.samples)


def test_resampling_keeps_channels(corpus: Corpus) -> None:
    clip = load(corpus["stereo.flac"], sample_rate=48_000, keep_channels=True)
    assert clip.samples.shape == (2, 144_000)
    assert clip.samples.flags.c_contiguous


def test_silent_file_loads_with_a_warning(corpus: Corpus) -> None:
    clip = load(corpus["silent.wav"])
    assert clip.duration == 1.0
    assert clip.warnings == ["silent.wav is silent (peak below -90 dBFS): the images will not reflect any sound."]


def test_pad_to_pads_with_silence_and_says_so(corpus: Corpus) -> None:
    clip = load(corpus["short.wav"])
    padded = pad_to(clip, 0.96)
    assert clip.duration == pytest.approx(0.4)
    assert padded.samples.shape == (15_360,)
    np.testing.assert_array_equal(padded.samples[:6400], clip.samples)
    assert not padded.samples[6400:].any()
    assert padded.warnings == [
        "short.wav was padded with silence from 0.4 s to 0.96 s, the shortest length this model accepts."
    ]
    assert pad_to(padded, 0.5) is padded


def test_pad_to_pads_every_channel_of_a_recording() -> None:
    clip = Clip(samples=np.ones((2, 100), np.float32), sample_rate=1000, path=None)
    padded = pad_to(clip, 0.25)
    assert padded.samples.shape == (2, 250)
    assert padded.warnings[0].startswith("The recording was padded with silence from 0.1 s to 0.25 s")


def test_file_sha256_matches_hashlib(corpus: Corpus) -> None:
    path = corpus["stereo.flac"]
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_probe_does_not_decode(corpus: Corpus) -> None:
    info = probe(str(corpus["ten_minutes.flac"]))
    assert info == AudioInfo(
        path=corpus["ten_minutes.flac"],
        format="FLAC",
        codec="PCM_16",
        sample_rate=8000,
        channels=1,
        frames=4_800_000,
        duration=600.0,
    )

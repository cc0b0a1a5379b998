"""Envelopes and events for audio-reactive video: onsets and beats against librosa, section changes between
soundscape scenes, level and band envelopes against the signals' known shapes, streaming equal to whole."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile

from a2i_studio import audio
from a2i_studio.audio.envelopes import ANALYSIS_RATE, HOP_SECONDS, Analyser, analyse, band_of
from a2i_studio.config import resources_dir
from a2i_studio.errors import ParamError

RATE = ANALYSIS_RATE
SOUNDS = resources_dir() / "sounds"


def _click_track(bpm: float = 120.0, seconds: float = 10.0, first: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Short 1 kHz blips on every beat over a faint hiss; returns (samples, click times)."""
    samples = 0.01 * np.random.default_rng(0).standard_normal(int(seconds * RATE))
    clicks = np.arange(first, seconds - 0.1, 60.0 / bpm)
    blip = np.hanning(160) * 0.8 * np.sin(2 * np.pi * 1000 * np.arange(160) / RATE)
    for time in clicks:
        start = round(time * RATE)
        samples[start : start + 160] += blip
    return samples.astype(np.float32), clicks


@pytest.fixture
def clicks(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    samples, times = _click_track()
    path = tmp_path / "clicks.wav"
    soundfile.write(path, samples, RATE)
    return path, samples, times


def _scenes(tmp_path: Path, *labels: str) -> Path:
    """The bundled 5 s soundscape clips (a2i_resources/sounds), one after the other, as one WAV."""
    parts = [soundfile.read(SOUNDS / f"{label}.wav", dtype="float32")[0] for label in labels]
    path = tmp_path / ("-".join(labels) + ".wav")
    soundfile.write(path, np.concatenate(parts), RATE)
    return path


def test_onsets_and_beats_land_on_the_clicks(clicks: tuple[Path, np.ndarray, np.ndarray]) -> None:
    path, _, times = clicks
    analysis = analyse(path)
    # Every click is an onset within 20 ms (centred frames report it up to a hop early), and little else is.
    assert all(np.min(np.abs(analysis.onsets - time)) <= 0.02 for time in times)
    assert len(analysis.onsets) <= len(times) + 4
    assert analysis.tempo == pytest.approx(120.0, abs=2.0)
    # Beats land on the clicks (within 20 ms) and miss at most the first and last.
    assert len(analysis.beats) >= len(times) - 2
    assert all(np.min(np.abs(times - beat)) <= 0.02 for beat in analysis.beats)
    pulse = analysis.envelope("beat")
    on_beat = np.round(analysis.beats[1:-1] / HOP_SECONDS).astype(int)
    assert np.all(pulse[on_beat] > 0.97) and np.all(pulse[on_beat - 2] < 0.1)  # 1 on a beat, ~0 just before


@pytest.mark.slow  # librosa's numba JIT warm-up costs about 15 s per process
def test_onsets_beats_and_tempo_agree_with_librosa(clicks: tuple[Path, np.ndarray, np.ndarray]) -> None:
    path, samples, times = clicks
    analysis = analyse(path)
    reference = librosa.onset.onset_detect(y=samples, sr=RATE, units="time")
    # librosa, whose 32 ms hops report a click 30-60 ms late, finds the same clicks.
    for time in times:
        ours = analysis.onsets[np.argmin(np.abs(analysis.onsets - time))]
        assert abs(reference[np.argmin(np.abs(reference - time))] - ours) <= 0.07
    reference_tempo, reference_beats = librosa.beat.beat_track(y=samples, sr=RATE, units="time")
    assert analysis.tempo == pytest.approx(float(np.atleast_1d(reference_tempo)[0]), rel=0.05)
    matched = [np.min(np.abs(analysis.beats - beat)) <= 0.07 for beat in reference_beats]
    assert np.mean(matched) >= 0.8  # librosa's tempo (117 BPM here) lets its beats drift off a few clicks


def test_a_change_of_scene_is_a_section_change_and_one_scene_has_none(tmp_path: Path) -> None:
    changed = analyse(_scenes(tmp_path, "rain", "forest", "beach", "thunderstorm"))
    assert len(changed.sections) == 3
    assert np.allclose(changed.sections, [5.0, 10.0, 15.0], atol=0.5)
    assert len(analyse(_scenes(tmp_path, "rain", "rain")).sections) == 0


def test_loudness_follows_a_known_level_and_bands_follow_their_frequencies(tmp_path: Path) -> None:
    t = np.arange(4 * RATE) / RATE
    level_db = -40 + 30 * t / 4  # a 30 dB ramp up
    low = np.sin(2 * np.pi * 100 * t) * 10 ** (level_db / 20) * np.sqrt(2)
    high = 0.05 * np.sin(2 * np.pi * 4000 * t) * (t >= 2)  # treble only in the second half
    path = tmp_path / "ramp.wav"
    soundfile.write(path, (low + high).astype(np.float32), RATE)
    analysis = analyse(path, bands=[(80.0, 120.0)])
    hops = np.arange(analysis.loudness_db.size) * HOP_SECONDS
    inside = (hops > 0.2) & (hops < 1.8)  # the first half holds the ramp alone
    assert np.allclose(analysis.loudness_db[inside], -40 + 30 * hops[inside] / 4, atol=0.5)
    loudness = analysis.envelope("loudness")
    assert np.all(np.diff(loudness[inside]) >= -0.01) and loudness.min() == 0.0 and loudness.max() == 1.0
    treble = analysis.envelope("treble")
    assert treble[(hops > 0.5) & (hops < 1.5)].max() < 0.05 and treble[(hops > 2.5) & (hops < 3.5)].min() > 0.95
    assert np.corrcoef(analysis.envelope("80-120hz")[inside], hops[inside])[0, 1] > 0.99
    assert band_of("bass") == (20.0, 250.0) and band_of("60-250hz") == (60.0, 250.0) and band_of("onset") is None
    with pytest.raises(ParamError, match="Envelope 'wobble' is unknown"):
        band_of("wobble")
    with pytest.raises(ParamError, match="Band 9000-9100hz is empty or past 8000 Hz"):
        band_of("9000-9100hz")


def test_fed_in_any_blocks_the_analysis_is_the_same(clicks: tuple[Path, np.ndarray, np.ndarray]) -> None:
    _, samples, _ = clicks
    results = []
    for size in (samples.size, 1000, 4097):
        analyser = Analyser()
        for start in range(0, samples.size, size):
            analyser.feed(samples[start : start + size])
        results.append(analyser.finish())
    for other in results[1:]:
        assert np.array_equal(other.loudness_db, results[0].loudness_db)
        assert np.allclose(other.onset_strength, results[0].onset_strength, rtol=0, atol=1e-12)  # summation order
        assert np.array_equal(other.onsets, results[0].onsets) and np.array_equal(other.beats, results[0].beats)
    assert results[0].loudness_db.size == int(np.ceil(samples.size / 160))


def test_streaming_a_segment_gives_the_samples_load_gives(tmp_path: Path) -> None:
    rate = 44_100
    samples = np.random.default_rng(1).uniform(-0.5, 0.5, (3 * rate, 2)).astype(np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, samples, rate)
    for keep in (False, True):
        streamed = np.concatenate(list(audio.stream(path, start=0.5, end=2.5, sample_rate=16_000, keep_channels=keep)))
        loaded = audio.load(path, start=0.5, end=2.5, sample_rate=16_000, keep_channels=keep).samples
        assert np.array_equal(streamed.T if keep else streamed, loaded)
    with pytest.raises(audio.AudioRangeError, match=r"--start 4\.0 s is past the end of stereo\.wav"):
        audio.stream(path, start=4.0)

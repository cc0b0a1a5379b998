"""The soundscapes' pictures follow their sounds: what is measured in the audio matches what is measured in the picture.

Each test makes a few items of one class with :func:`make_item` and measures one feature from the WAV alone and
one from the PNG alone (never from the metadata), then checks they agree: bird calls and birds drawn, rain drops and
streaks, crackles and flames, swell and foam, wind brightness and grass lean; in stereo, the left/right balance
and the horizontal centre of the drawn source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image
from scipy import ndimage, stats

from a2i_studio.datasets import read_dataset
from a2i_studio.datasets.soundscapes import LABELS, SAMPLE_RATE, make_item, make_soundscapes
from a2i_studio.datasets.soundscapes._pictures import BIRD, BOLT


def _items(tmp_path: Path, label: str, count: int, *, stereo: bool = False, seed: int = 3):
    first = LABELS.index(label)
    return [make_item(tmp_path, first + 8 * k, seed=seed, stereo=stereo) for k in range(count)]


def _audio(path: Path | None) -> np.ndarray:
    assert path is not None
    return soundfile.read(path, always_2d=True)[0]


def _picture(path: Path | None) -> np.ndarray:
    assert path is not None
    return np.asarray(Image.open(path), dtype=np.float64)


def _band(samples: np.ndarray, low: float, high: float) -> np.ndarray:
    mono = samples.mean(axis=1)
    spectrum = np.fft.rfft(mono)
    freqs = np.fft.rfftfreq(mono.size, 1 / SAMPLE_RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, mono.size)


def _frame_rms(signal: np.ndarray, seconds: float) -> np.ndarray:
    size = int(seconds * SAMPLE_RATE)
    return np.sqrt((signal[: signal.size // size * size].reshape(-1, size) ** 2).mean(axis=1))


def _bursts(signal: np.ndarray, frame: float, above: float) -> int:
    """Runs of frames whose RMS is over ``above`` times the loudest frame's."""
    loud = _frame_rms(signal, frame) > above * _frame_rms(signal, frame).max()
    return int(np.sum(loud[1:] & ~loud[:-1]) + loud[0])


def _near(pixels: np.ndarray, colour: tuple[int, int, int], distance: float) -> np.ndarray:
    return np.linalg.norm(pixels - np.asarray(colour, np.float64), axis=2) < distance


def _spearman(a: list[float], b: list[float]) -> float:
    return float(stats.spearmanr(a, b).statistic)


def test_forest_birds_drawn_are_the_bird_calls_heard(tmp_path: Path) -> None:
    heard, seen, stored = [], [], []
    for item in _items(tmp_path, "forest", 10):
        heard.append(_bursts(_band(_audio(item.audio), 2000, 7000), 0.02, 0.25))
        _, components = ndimage.label(_near(_picture(item.image), BIRD, 40), structure=np.ones((3, 3)))
        seen.append(components)
        stored.append(int(item.attributes["count"]))
    print("forest calls heard", heard, "birds seen", seen, "count", stored)
    assert seen == stored
    assert heard == stored


def _level(samples: np.ndarray, source: tuple[float, float], bed: tuple[float, float]) -> float:
    """The level in the ``source`` band over the level in the ``bed`` band, in dB.

    Clips are peak-normalised, so a louder source is measured against a steady part of the scene.
    """
    return float(20 * np.log10(np.std(_band(samples, *source)) / np.std(_band(samples, *bed))))


def test_rain_streaks_follow_the_shower_level(tmp_path: Path) -> None:
    drops, streaks = [], []
    for item in _items(tmp_path, "rain", 10):
        drops.append(_level(_audio(item.audio), (1500, 7800), (40, 150)))  # hiss and drops over the far rumble
        brightness = _picture(item.image).mean(axis=2)
        ridges = brightness[:, 3:-3] - np.maximum(brightness[:, :-6], brightness[:, 6:])  # thin bright lines
        streaks.append(float((ridges > 15).mean()))
    print("rain drops", np.round(drops, 1), "streaks", np.round(streaks, 4))
    assert _spearman(drops, streaks) >= 0.8


def test_fire_size_follows_the_crackles(tmp_path: Path) -> None:
    crackles, flames = [], []
    for item in _items(tmp_path, "fire", 10):
        crackles.append(_bursts(_band(_audio(item.audio), 2500, 7500), 0.002, 0.2))
        pixels = _picture(item.image)
        flames.append(float(((pixels[..., 0] > 180) & (pixels[..., 2] < 120)).mean()))
    print("fire crackles", crackles, "flames", np.round(flames, 4))
    assert _spearman(crackles, flames) >= 0.8


def test_beach_wave_foam_follows_the_swell(tmp_path: Path) -> None:
    swell, foam = [], []
    for item in _items(tmp_path, "beach", 10):
        swell.append(_level(_audio(item.audio), (20, 200), (600, 1200)))  # surf over the far sea's hush
        pixels = _picture(item.image)[100:]  # below the sky
        foam.append(float(((pixels.min(axis=2) > 200) & (np.ptp(pixels, axis=2) < 30)).mean()))  # white, not blue
    print("beach swell", np.round(swell, 2), "foam", np.round(foam, 4))
    assert _spearman(swell, foam) >= 0.8


def _lean(pixels: np.ndarray) -> float:
    """How far grass blades lean: the horizontal shift that best matches rows 4 px apart in the meadow."""
    grey = pixels[-60:].mean(axis=2)
    grey -= grey.mean(axis=1, keepdims=True)
    shifts = range(-8, 9)
    scores = [float((grey[4:] * np.roll(grey[:-4], shift, axis=1)).sum()) for shift in shifts]
    return abs(list(shifts)[int(np.argmax(scores))])


def test_wind_grass_lean_follows_the_wind_brightness(tmp_path: Path) -> None:
    centroid, lean = [], []
    for item in _items(tmp_path, "wind", 10):
        samples = _audio(item.audio).mean(axis=1)
        power = np.abs(np.fft.rfft(samples)) ** 2
        centroid.append(float(power @ np.fft.rfftfreq(samples.size, 1 / SAMPLE_RATE) / power.sum()))
        lean.append(_lean(_picture(item.image)))
    print("wind centroid", np.round(centroid), "lean", lean)
    assert _spearman(centroid, lean) >= 0.8


def _heard_pan(samples: np.ndarray) -> float:
    """The constant-power pan that gives the clip's left/right energy ratio."""
    left, right = (samples**2).sum(axis=0)
    return float(4 / np.pi * np.arctan2(np.sqrt(right), np.sqrt(left)) - 1)


def _source_x(label: str, pixels: np.ndarray) -> float:
    if label == "forest":
        mask = _near(pixels, BIRD, 40)
    elif label == "thunderstorm":
        mask = _near(pixels, BOLT, 40)
    else:  # fire: the flames
        mask = (pixels[..., 0] > 180) & (pixels[..., 2] < 120)
    return float(np.nonzero(mask)[1].mean() / pixels.shape[1])


def test_stereo_pan_places_the_source_where_it_is_heard(tmp_path: Path) -> None:
    heard, drawn = [], []
    for label in ("forest", "thunderstorm", "fire"):
        for item in _items(tmp_path, label, 6, stereo=True):
            heard.append(_heard_pan(_audio(item.audio)))
            drawn.append(_source_x(label, _picture(item.image)))
            assert abs(drawn[-1] - item.attributes["source_x"]) < 0.1, item.image
    print("pan heard", np.round(heard, 2), "source x", np.round(drawn, 2))
    assert np.corrcoef(heard, drawn)[0, 1] >= 0.9
    assert all(np.sign(pan) == np.sign(x - 0.5) for pan, x in zip(heard, drawn, strict=True) if abs(x - 0.5) > 0.05)


def test_stereo_datasets_write_pan_and_source_columns_and_do_not_depend_on_workers(tmp_path: Path) -> None:
    one = make_soundscapes(tmp_path / "one", n=9, seed=5, seconds=1.0, workers=1, stereo=True)
    two = make_soundscapes(tmp_path / "two", n=9, seed=5, seconds=1.0, workers=2, stereo=True)
    files = {path.relative_to(one.root): path.read_bytes() for path in one.root.rglob("*.*")}
    assert files == {path.relative_to(two.root): path.read_bytes() for path in two.root.rglob("*.*")}
    header = (one.root / "metadata.csv").read_text().splitlines()[0].split(",")
    assert {"intensity", "count", "pan", "source_x"} <= set(header)
    back = list(read_dataset(one.root))
    assert back == list(one)
    for item in back:
        info = soundfile.info(item.audio)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (SAMPLE_RATE, 2, SAMPLE_RATE, "PCM_16")
        assert set(item.attributes) == {"intensity", "pan", "source_x"} | (
            {"count"} if item.label in ("forest", "thunderstorm", "city") else set())
        assert 0 <= item.attributes["intensity"] <= 1 and -1 <= item.attributes["pan"] <= 1
        assert item.attributes["source_x"] == pytest.approx(0.5 + 0.4 * item.attributes["pan"], abs=1e-5)


def test_mono_items_have_intensity_and_counts_but_no_pan(tmp_path: Path) -> None:
    items = [make_item(tmp_path, index, seed=2, seconds=0.5) for index in range(8)]
    for item in items:
        assert set(item.attributes) == {"intensity"} | ({"count"} if item.label in ("forest", "thunderstorm", "city")
                                                        else set())
        assert soundfile.info(item.audio).channels == 1
    counts = {item.label: item.attributes.get("count") for item in items}
    assert all(count is not None and count == int(count) for label, count in counts.items()
               if label in ("forest", "thunderstorm", "city"))

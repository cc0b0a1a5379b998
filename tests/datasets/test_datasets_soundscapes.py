"""The procedural soundscapes: determinism, formats, and classes that sound and look different."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from a2i_studio.audio.features_numpy import mfcc_summary_numpy
from a2i_studio.datasets import PairedDataset, read_dataset
from a2i_studio.datasets.soundscapes import LABELS, PROMPTS, SAMPLE_RATE, make_item, make_soundscapes
from a2i_studio.datasets.soundscapes._pictures import paint
from a2i_studio.datasets.soundscapes._sounds import draw_parameters
from a2i_studio.errors import DatasetError


@pytest.fixture(scope="module")
def soundscapes(tmp_path_factory: pytest.TempPathFactory) -> PairedDataset:
    """Five items of each of the 8 classes, 4 s each."""
    return make_soundscapes(tmp_path_factory.mktemp("soundscapes"), n=40, seed=11, workers=1)


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_output_does_not_depend_on_worker_count_and_items_do_not_depend_on_n(tmp_path: Path) -> None:
    one = make_soundscapes(tmp_path / "one", n=9, seed=5, seconds=1.0, workers=1)
    two = make_soundscapes(tmp_path / "two", n=9, seed=5, seconds=1.0, workers=2)
    assert _files(one.root) == _files(two.root)
    alone = make_item(tmp_path / "alone", 8, seed=5, seconds=1.0)
    assert alone.audio is not None and alone.audio.read_bytes() == (one.root / "forest" / "00008.wav").read_bytes()
    other = make_item(tmp_path / "other", 8, seed=6, seconds=1.0)
    assert other.audio is not None and other.audio.read_bytes() != alone.audio.read_bytes()


def test_items_are_16k_mono_clips_and_256px_rgb_pictures_in_balanced_classes(soundscapes: PairedDataset) -> None:
    assert soundscapes.labels == sorted(LABELS) and len(LABELS) == 8
    assert [item.label for item in soundscapes] == [LABELS[index % 8] for index in range(40)]
    assert list(read_dataset(soundscapes.root)) == list(soundscapes)
    item = soundscapes[3]
    assert item.audio is not None and item.image is not None
    info = soundfile.info(item.audio)
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (SAMPLE_RATE, 1, 4 * SAMPLE_RATE, "PCM_16")
    samples, _ = soundfile.read(item.audio)
    assert 0.29 < np.abs(samples).max() < 0.91
    with Image.open(item.image) as picture:
        assert (picture.size, picture.mode) == ((256, 256), "RGB")
    assert item.prompt == PROMPTS[item.label]


def _spectral_centroid(path: Path) -> float:
    samples, rate = soundfile.read(path)
    power = np.abs(np.fft.rfft(samples)) ** 2
    return float(power @ np.fft.rfftfreq(samples.size, 1 / rate) / power.sum())


def _leave_one_out_accuracy(features: np.ndarray, labels: list[str]) -> float:
    """Nearest class centroid of the other items, on standardised features."""
    x = (features - features.mean(0)) / (features.std(0) + 1e-9)
    y = np.array(labels)
    correct = 0
    for index in range(len(y)):
        others = np.arange(len(y)) != index
        centroids = {label: x[others & (y == label)].mean(0) for label in set(labels)}
        correct += min(centroids, key=lambda label: np.linalg.norm(x[index] - centroids[label])) == y[index]
    return correct / len(y)


def test_classes_differ_in_spectrum_and_in_mfcc_summaries(soundscapes: PairedDataset) -> None:
    centroids: dict[str, list[float]] = {}
    for item in soundscapes:
        assert item.audio is not None
        centroids.setdefault(item.label, []).append(_spectral_centroid(item.audio))
    bright, dark = ("forest", "rain", "fire"), ("beach", "wind", "city", "church", "thunderstorm")
    assert min(min(centroids[label]) for label in bright) > 2000 > max(max(centroids[label]) for label in dark)
    features = np.stack([
        mfcc_summary_numpy(soundfile.read(item.audio, dtype="float32")[0], SAMPLE_RATE)
        for item in soundscapes
        if item.audio is not None
    ])
    assert _leave_one_out_accuracy(features, [item.label for item in soundscapes]) >= 0.8


def test_pictures_of_a_class_share_colours_that_other_classes_lack(soundscapes: PairedDataset) -> None:
    def halves(path: Path | None) -> np.ndarray:
        assert path is not None
        pixels = np.asarray(Image.open(path), dtype=np.float64)
        return np.concatenate([pixels[:128].mean((0, 1)), pixels[128:].mean((0, 1))])

    features = np.stack([halves(item.image) for item in soundscapes])
    assert _leave_one_out_accuracy(features, [item.label for item in soundscapes]) >= 0.85
    fire = np.asarray(Image.open(soundscapes[4].image or ""), dtype=np.float64)
    assert fire.mean() < 80 and (fire[..., 0] > 200).mean() > 0.02  # dark night, bright orange flames


def _mean_picture(label: str, count: int = 16) -> np.ndarray:
    """The average of ``count`` layouts of one class, which is what a pixel-loss model learns to paint."""
    pictures = []
    for index in range(count):
        rng = np.random.default_rng([7, index])
        pictures.append(np.asarray(paint(label, rng, draw_parameters(label, rng)), dtype=np.float64))
    return np.mean(pictures, axis=0)


def test_church_and_city_keep_their_signature_when_averaged_over_layouts() -> None:
    church = _mean_picture("church")
    tower, sky = church[110:150, 120:136].mean((0, 1)), church[110:150, :16].mean((0, 1))
    assert np.abs(tower - sky).sum() > 100  # a wall in the middle, not the sky the edges show
    city = _mean_picture("city")
    yellowness = city[..., 0] + city[..., 1] - 2 * city[..., 2]
    band = slice(132, 186)  # always buildings: the tallest top is at 115 px, the road at 200 px or lower
    window_columns = yellowness[band, [20 + 16 * k + 3 for k in range(14)]].mean()
    gap_columns = yellowness[band, [20 + 16 * k + 12 for k in range(14)]].mean()
    assert window_columns - gap_columns > 30  # every building's windows sit on one grid, so the grid survives


def test_nonsense_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="n >= 1"):
        make_soundscapes(tmp_path, n=0)


def test_the_shipped_sample_sounds_are_what_their_readme_says_made_them(tmp_path: Path) -> None:
    from a2i_studio import config

    shipped = config.resources_dir() / "sounds"
    for label in ("rain", "forest", "beach", "thunderstorm"):
        item = make_item(tmp_path, LABELS.index(label) + 40, seed=7, seconds=5.0)
        assert item.audio.read_bytes() == (shipped / f"{label}.wav").read_bytes(), label
        if label == "beach":
            assert item.image is not None and item.image.read_bytes() == (shipped / "beach.png").read_bytes()

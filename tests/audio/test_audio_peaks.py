"""Timeline data: the peak pyramid and spectrogram tiles, checked against numpy."""

from __future__ import annotations

import threading
import tracemalloc
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile
from audio_helpers import Corpus

from a2i_studio.audio import load
from a2i_studio.audio.peaks import BUCKET_FRAMES, PeaksPyramid
from a2i_studio.audio.tiles import spectrogram_tile
from a2i_studio.errors import Cancelled


def pixel_peaks(mono: np.ndarray, start: int, end: int, pixels: int) -> tuple[np.ndarray, ...]:
    """Per-pixel min, max and RMS straight from the samples, for views whose pixels are whole buckets."""
    rows = mono[start:end].astype(np.float64).reshape(pixels, -1)
    return rows.min(axis=1), rows.max(axis=1), np.sqrt((rows**2).mean(axis=1))


@pytest.fixture
def stereo_mix(corpus: Corpus) -> np.ndarray:
    return load(corpus["stereo.wav"]).samples


def test_bucket_aligned_views_are_exact(corpus: Corpus, tmp_path: Path, stereo_mix: np.ndarray) -> None:
    pyramid = PeaksPyramid.build(corpus["stereo.wav"], cache_dir=tmp_path)
    assert pyramid.info.frames == 132_300
    # 1024, 4096 and 16384 frames per pixel: levels 1, 2 and 3.
    for start, frames_per_pixel, pixels in ((2048, 1024, 100), (0, 4096, 30), (16_384, 16_384, 6)):
        end = start + frames_per_pixel * pixels
        mins, maxs, rms = pyramid.query(start, end, pixels)
        expected = pixel_peaks(stereo_mix, start, end, pixels)
        np.testing.assert_array_equal(mins, expected[0])
        np.testing.assert_array_equal(maxs, expected[1])
        # RMS is averaged from per-bucket float32 mean squares: float32 accuracy.
        np.testing.assert_allclose(rms, expected[2], rtol=1e-5)


def test_any_view_bounds_the_true_peaks_within_one_bucket(
    corpus: Corpus, tmp_path: Path, stereo_mix: np.ndarray
) -> None:
    pyramid = PeaksPyramid.build(corpus["stereo.wav"], cache_dir=tmp_path)
    start, end, pixels = 1234, 131_001, 333
    mins, maxs, rms = pyramid.query(start, end, pixels)
    assert mins.shape == maxs.shape == rms.shape == (pixels,)
    assert mins.dtype == maxs.dtype == rms.dtype == np.float32
    edges = (start + (end - start) * np.arange(pixels + 1) / pixels).astype(int)
    level_bucket = BUCKET_FRAMES * 4 ** int(np.log((end - start) / pixels / BUCKET_FRAMES) / np.log(4))
    for i in range(pixels):
        exact = stereo_mix[edges[i] : edges[i + 1]]
        widened = stereo_mix[max(edges[i] - level_bucket, 0) : edges[i + 1] + level_bucket]
        assert widened.min() <= mins[i] <= exact.min()
        assert exact.max() <= maxs[i] <= widened.max()


def test_zoomed_in_views_read_the_samples(corpus: Corpus, tmp_path: Path, stereo_mix: np.ndarray) -> None:
    pyramid = PeaksPyramid.build(corpus["stereo.wav"], cache_dir=tmp_path)
    mins, maxs, rms = pyramid.query(1000, 1000 + 2000 * 10, 2000)  # 10 frames per pixel
    expected = pixel_peaks(stereo_mix, 1000, 21_000, 2000)
    np.testing.assert_array_equal(mins, expected[0])
    np.testing.assert_array_equal(maxs, expected[1])
    np.testing.assert_allclose(rms, expected[2], rtol=1e-5)
    # Fewer frames than pixels: each pixel shows the frame under it.
    mins, maxs, rms = pyramid.query(500, 600, 400)
    np.testing.assert_array_equal(mins, stereo_mix[500 + np.arange(400) // 4])
    np.testing.assert_array_equal(maxs, mins)
    np.testing.assert_array_equal(rms, np.abs(mins))


def test_whole_file_on_one_pixel_and_end_clamped(corpus: Corpus, tmp_path: Path, stereo_mix: np.ndarray) -> None:
    pyramid = PeaksPyramid.build(corpus["stereo.wav"], cache_dir=tmp_path)
    mins, maxs, _ = pyramid.query(0, 10**9, 1)
    assert (mins[0], maxs[0]) == (stereo_mix.min(), stereo_mix.max())
    with pytest.raises(ValueError, match=r"cannot draw frames 5\.\.5 on 10 pixels"):
        pyramid.query(5, 5, 10)


def test_ffmpeg_files_get_peaks_too(corpus: Corpus, tmp_path: Path) -> None:
    mono = load(corpus["stereo.m4a"]).samples
    pyramid = PeaksPyramid.build(corpus["stereo.m4a"], cache_dir=tmp_path)
    mins, maxs, _ = pyramid.query(0, 131_072, 8)
    expected = pixel_peaks(mono, 0, 131_072, 8)
    np.testing.assert_array_equal(mins, expected[0])
    np.testing.assert_array_equal(maxs, expected[1])


def test_reopening_uses_the_cache(corpus: Corpus, tmp_path: Path) -> None:
    first = PeaksPyramid.build(corpus["stereo.flac"], cache_dir=tmp_path)
    (cache_file,) = tmp_path.glob("*.npz")
    # Mark the cached pyramid so that a second build can only return it by loading that file.
    with np.load(cache_file) as cached:
        marked = {name: cached[name] * (2 if name.startswith("max") else 1) for name in cached.files}
    np.savez(cache_file, **marked)
    second = PeaksPyramid.build(corpus["stereo.flac"], cache_dir=tmp_path)
    np.testing.assert_array_equal(second.query(0, 131_072, 8)[1], 2 * first.query(0, 131_072, 8)[1])


def test_a_changed_file_is_built_again(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    soundfile.write(path, np.full(4096, 0.25, np.float32), 8000)
    assert PeaksPyramid.build(path, cache_dir=tmp_path / "cache").query(0, 4096, 1)[1][0] == 0.25
    soundfile.write(path, np.full(4096, 0.5, np.float32), 8000)
    assert PeaksPyramid.build(path, cache_dir=tmp_path / "cache").query(0, 4096, 1)[1][0] == 0.5
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_default_cache_is_under_a2i_cache_dir(corpus: Corpus, app_dirs: dict[str, Path]) -> None:
    PeaksPyramid.build(corpus["mono16k.wav"])
    assert len(list((app_dirs["cache"] / "peaks").glob("*.npz"))) == 1


def test_progress_and_cancel(corpus: Corpus, tmp_path: Path) -> None:
    reports: list[tuple[int, int]] = []
    PeaksPyramid.build(corpus["ten_minutes.flac"], cache_dir=tmp_path / "a", progress=lambda *r: reports.append(r))
    assert reports[-1] == (4_800_000, 4_800_000)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert len(reports) == 4_800_000 // 65_536 + 1

    cancel = threading.Event()
    with pytest.raises(Cancelled, match=r"^Drawing the waveform of ten_minutes\.flac was cancelled\.$"):
        PeaksPyramid.build(
            corpus["ten_minutes.flac"], cache_dir=tmp_path / "b", progress=lambda done, _: cancel.set(), cancel=cancel
        )
    assert not list((tmp_path / "b").glob("*.npz"))


def test_building_streams_the_file(corpus: Corpus, tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        pyramid = PeaksPyramid.build(corpus["ten_minutes.flac"], cache_dir=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pyramid.query(0, 4_800_000, 1)[1][0] == pytest.approx(0.3 + 0.01 * 4.5, abs=0.02)
    # Decoded whole, the file would take 19.2 MB. Building holds one decode
    # block (0.4 MB) and the pyramid (1.2 MB at 64 frames per bucket, briefly
    # twice while its pieces are joined): under 4 MB.
    assert peak < 4_000_000


@pytest.mark.slow  # librosa's numba JIT warm-up costs about 25 s per process
def test_spectrogram_tile_matches_librosa_windows(corpus: Corpus) -> None:
    mono = load(corpus["mono16k.wav"]).samples
    start, end, columns = 4000, 40_000, 48
    tile = spectrogram_tile(corpus["mono16k.wav"], start, end, columns)
    assert tile.shape == (128, columns)
    centres = start + ((np.arange(columns) + 0.5) * (end - start) / columns).astype(int)
    padded = np.pad(mono, 1024)
    windows = np.concatenate([padded[c : c + 2048] for c in centres])  # padded[c] is mono[c - 1024]
    power = librosa.feature.melspectrogram(y=windows, sr=16_000, n_fft=2048, hop_length=2048, center=False)
    expected = librosa.power_to_db(power, ref=1.0, top_db=None)
    # float32 power in dB: 1e-3 dB is invisible on screen.
    np.testing.assert_allclose(tile, expected, rtol=0, atol=1e-3)
    # The 440 Hz tone is the loudest band in every column.
    band_440 = int(np.argmax(librosa.filters.mel(sr=16_000, n_fft=2048)[:, round(440 * 2048 / 16_000)]))
    assert (tile.argmax(axis=0) == band_440).all()


def test_spectrogram_tile_at_the_file_edges_pads_with_silence(corpus: Corpus) -> None:
    tile = spectrogram_tile(corpus["rate8000.wav"], 0, 8000, 4, n_mels=40, n_fft=512)
    assert tile.shape == (40, 4)
    assert np.isfinite(tile).all()

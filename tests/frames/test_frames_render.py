"""``render``: files the tests make, rendered and read back: length, sound in sync, recipe, formats,
identical frames, resume after a cancel, a change of scene, modulation, and one sentence for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
from PIL import Image

from a2i_studio import audio
from a2i_studio.audio.envelopes import analyse
from a2i_studio.cli import main
from a2i_studio.config import resources_dir
from a2i_studio.core import CancelToken, Progress
from a2i_studio.engine import Engine
from a2i_studio.errors import Cancelled, ParamError
from a2i_studio.frames import Modulation, RenderRequest, VideoSettings, read_video_recipe, render, sidecar_path
from a2i_studio.plugins import PluginManager

SOUNDS = resources_dir() / "sounds"


@pytest.fixture
def engine() -> Engine:
    return Engine(PluginManager().load().registry)


def _noise_clip(path: Path, seconds: float, rate: int = 16_000, channels: int = 1) -> Path:
    """Noise whose level jumps every 0.1 s: a sharp cross-correlation peak, and loudness to follow."""
    rng = np.random.default_rng(4)
    frames = int(seconds * rate)
    levels = np.repeat(rng.uniform(0.05, 0.5, int(np.ceil(seconds * 10))), rate // 10)[:frames]
    samples = rng.standard_normal((frames, channels)) * levels[:, None]
    soundfile.write(path, np.clip(samples, -1, 1).astype(np.float32), rate)
    return path


def _png_frames(folder: Path) -> np.ndarray:
    return np.stack([np.asarray(Image.open(path)) for path in sorted(folder.glob("*.png"))])


def _lag_ms(decoded: np.ndarray, source: np.ndarray, rate: int) -> float:
    length = min(decoded.size, source.size)
    correlation = np.correlate(decoded[:length], source[:length], "full")
    return (int(np.argmax(correlation)) - (length - 1)) / rate * 1000


@pytest.mark.parametrize(("suffix", "video_codec", "audio_codec"), [(".mp4", "h264", "aac"), (".webm", "vp9", "opus")])
def test_video_lasts_as_long_as_the_sound_which_is_muxed_in_sync(
    engine: Engine, tmp_path: Path, suffix: str, video_codec: str, audio_codec: str
) -> None:
    clip = _noise_clip(tmp_path / "noise.wav", 3.3, rate=44_100, channels=2)
    out = tmp_path / f"clip{suffix}"
    settings = VideoSettings(fps=12.0, width=96, height=64)
    result = render(engine, RenderRequest(clip, out, settings=settings, seed=2, start=0.2, end=3.2))
    assert result.frames == 36 and result.reused == 0
    with av.open(str(out)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == (video_codec, "yuv420p")
        assert (video.width, video.height, sound.codec_context.name, sound.channels) == (96, 64, audio_codec, 2)
        frames = sum(1 for _ in container.decode(video=0))
    # 1. The video's length is the sound's within one frame.
    assert abs(frames / 12.0 - 3.0) <= 1 / 12.0
    # 2. The sound decoded back lines up with the source segment (peak at lag 0 +/- 1 ms).
    decoded = audio.load(out, sample_rate=16_000).samples
    source = audio.load(clip, start=0.2, end=3.2, sample_rate=16_000).samples
    assert abs(decoded.size - source.size) <= 16_000 * 0.03  # an encoder's padding at most
    assert abs(_lag_ms(decoded, source, 16_000)) <= 1.0
    # 3. The recipe is in the file and in the sidecar beside it.
    recipe = read_video_recipe(out)
    assert recipe["video"]["fps"] == 12.0 and recipe["segment"] == {"start": 0.2, "end": 3.2}
    assert recipe["chain"] == "mfcc-stereo>aegan-sharp" and recipe["seed"] == 2 and recipe["video"]["frames"] == 36
    sidecar = json.loads(sidecar_path(out).read_text())
    assert sidecar["frames_sha256"] == result.frames_sha256 == recipe["frames_sha256"]


def test_gif_and_png_sequences_keep_the_length_and_the_sound_beside(engine: Engine, tmp_path: Path) -> None:
    clip = _noise_clip(tmp_path / "noise.wav", 2.0)
    settings = VideoSettings(fps=24.0)
    gif = render(engine, RenderRequest(clip, tmp_path / "clip.gif", settings=settings, seed=1))
    with Image.open(tmp_path / "clip.gif") as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
    assert len(durations) == 48 and sum(durations) == 2000  # 4 and 5 hundredths mixed, so 24 fps adds up
    pngs = render(engine, RenderRequest(clip, tmp_path / "frames", settings=settings, seed=1))
    frames = _png_frames(tmp_path / "frames")
    assert frames.shape == (48, 128, 128, 3) and pngs.frames_sha256 == gif.frames_sha256
    written, rate = soundfile.read(tmp_path / "frames" / "audio.wav", dtype="float32")
    assert rate == 16_000 and np.array_equal(written, audio.load(clip).samples)
    assert read_video_recipe(tmp_path / "frames")["video"]["format"] == "png"


def test_the_same_recipe_gives_identical_frames_and_rerun_says_so(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = _noise_clip(tmp_path / "noise.wav", 2.0)
    settings = VideoSettings(fps=10.0, keyframes="every", keyframe_every=0.5, continuity="drift", drift_seconds=1.0,
                             modulations=(Modulation("variation", "loudness", 0.0, 1.0),))
    first = render(engine, RenderRequest(clip, tmp_path / "a", settings=settings, seed=9))
    second = render(engine, RenderRequest(clip, tmp_path / "b", settings=settings, seed=9))
    assert first.frames_sha256 == second.frames_sha256
    assert np.array_equal(_png_frames(tmp_path / "a"), _png_frames(tmp_path / "b"))
    other = render(engine, RenderRequest(clip, tmp_path / "c", settings=settings, seed=10))
    assert other.frames_sha256 != first.frames_sha256
    # The command line renders a video again from its own recipe and compares the frames.
    assert main(["render", str(clip), "--out", str(tmp_path / "clip.mp4"), "--fps", "10", "--seed", "3",
                 "--modulate", "variation=onset:0:1", "--keyframes", "onsets"]) == 0
    assert main(["rerun", str(tmp_path / "clip.mp4")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2:] == ["identical frames: yes", str(tmp_path / "clip-rerun.mp4")]


def test_a_cancelled_render_goes_on_from_its_frame_cache_to_the_same_frames(
    engine: Engine, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    clip = _noise_clip(tmp_path / "noise.wav", 3.0)
    settings = VideoSettings(fps=20.0, attack=0.3, release=0.6, continuity="drift", drift_seconds=0.7)
    whole = render(engine, RenderRequest(clip, tmp_path / "whole.mp4", settings=settings, seed=4))
    assert not list((app_dirs["cache"] / "frames").iterdir())  # a finished render leaves no cache behind
    cancel = CancelToken()

    def stop_at_25(progress: Progress) -> None:
        if progress.step == 25:
            cancel.cancel()

    out = tmp_path / "resumed.mp4"
    with pytest.raises(Cancelled, match="the 25 frames made so far are kept: render again with the same settings"):
        render(engine, RenderRequest(clip, out, settings=settings, seed=4), stop_at_25, cancel)
    assert not out.exists() and not list(tmp_path.glob(".resumed.mp4*"))  # no partial file
    resumed = render(engine, RenderRequest(clip, out, settings=settings, seed=4))
    assert (resumed.frames, resumed.reused) == (60, 25)
    assert resumed.frames_sha256 == whole.frames_sha256


def test_a_change_of_scene_changes_the_picture_within_half_a_second(engine: Engine, tmp_path: Path) -> None:
    rain, forest = (soundfile.read(SOUNDS / f"{name}.wav", dtype="float32")[0] for name in ("rain", "forest"))
    clip = tmp_path / "rain-then-forest.wav"
    soundfile.write(clip, np.concatenate([rain, forest]), 16_000)
    # The MFCC summary reacts to any birdsong in its window, so a frame's window must reach no further than
    # the half second asked for: 1 s windows (the default 2 s ones turn the picture about 1 s early).
    # The seed preset's chain, whose pictures turn from one scene to the other in one step; the default
    # chain's start turning as early but pass through a third picture while the window holds both sounds.
    settings = VideoSettings(fps=12.0, window=1.0, attack=0.3, release=0.3)
    render(engine, RenderRequest(clip, tmp_path / "frames", chain="mfcc>aegan", settings=settings, seed=0))
    frames = _png_frames(tmp_path / "frames").astype(np.float64)
    # When the picture changes most: the largest difference between the mean pictures of the second before
    # and the second after a frame (no reference pictures to choose).
    second = 12
    change = [np.abs(frames[k : k + second].mean(0) - frames[k - second : k].mean(0)).mean()
              for k in range(second, len(frames) - second + 1)]
    assert abs((int(np.argmax(change)) + second) / 12.0 - 5.0) <= 0.5


def test_a_modulated_parameter_follows_the_loudness_of_the_clip(
    drop_in: Callable[[str], Path], tmp_path: Path
) -> None:
    drop_in("frames_probe")
    engine = Engine(PluginManager().load().registry)
    t = np.arange(4 * 16_000) / 16_000
    level_db = -50 + 40 * np.sin(np.pi * t / 4)  # up 40 dB and down again
    clip = tmp_path / "swell.wav"
    soundfile.write(clip, (np.sin(2 * np.pi * 300 * t) * 10 ** (level_db / 20)).astype(np.float32), 16_000)
    settings = VideoSettings(fps=10.0, attack=0.0, release=0.0, modulations=(Modulation("level", "loudness", 0, 255),))
    render(engine, RenderRequest(clip, tmp_path / "frames", chain="probe-rms>probe", settings=settings))
    green = _png_frames(tmp_path / "frames")[:, 0, 0, 1].astype(np.float64)
    times = (np.arange(40) + 0.5) / 10
    assert np.corrcoef(green, -50 + 40 * np.sin(np.pi * times / 4))[0, 1] > 0.99  # the level in dB, as heard
    analysis = analyse(clip)
    expected = np.round(255 * analysis.at(analysis.envelope("loudness"), times, 0.1))
    assert np.abs(green - expected).max() <= 1 and green.min() < 10 and green.max() > 245


@pytest.mark.parametrize(
    ("out", "changes", "message"),
    [
        ("clip.avi", {}, "--out clip.avi: .avi is not a container a2i render writes; use .mp4, .webm, .gif"),
        ("clip.mp4", {"codec": "vp9"}, "--codec vp9 does not go in a mp4 file; use h264 or hevc."),
        ("clip.webm", {"codec": "h264"}, "--codec h264 does not go in a webm file; use vp9 or vp8."),
        ("clip.mp4", {"settings": VideoSettings(width=65, height=64)}, "--size 65x64: h264 video needs even sides"),
        ("frames", {}, "--out .*frames exists; choose a new folder name for the PNG sequence."),
    ],
)
def test_bad_output_settings_are_refused_before_any_work(
    engine: Engine, tmp_path: Path, out: str, changes: dict, message: str
) -> None:
    (tmp_path / "frames").mkdir()
    clip = _noise_clip(tmp_path / "noise.wav", 1.0)
    with pytest.raises(ParamError, match=message):
        render(engine, RenderRequest(clip, tmp_path / out, **changes))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--fps", "0"], "error: --fps 0 is out of range: use a frame rate above 0 and at most 120.\n"),
        (["--fps", "121"], "error: --fps 121 is out of range: use a frame rate above 0 and at most 120.\n"),
        (["--codec", "prores"], "error: --codec prores does not go in a mp4 file; use h264 or hevc.\n"),
        (["--modulate", "variation=loud"], "error: --modulate 'variation=loud' should read PARAM=ENVELOPE:LOW:HIGH"),
    ],
)
def test_bad_input_gets_one_line_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    clip = _noise_clip(tmp_path / "noise.wav", 1.0)
    assert main(["render", str(clip), "--out", str(tmp_path / "clip.mp4"), *option]) == 1
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1
    assert not (tmp_path / "clip.mp4").exists()


def test_windows_are_centred_on_frames_and_slide_inward_at_the_files_ends(tmp_path: Path) -> None:
    from a2i_plugins.features import MfccEncoder
    from a2i_studio.core import Encoder, Space
    from a2i_studio.frames import FileSource

    rate = 16_000
    ramp = (np.arange(4 * rate) / (4 * rate)).astype(np.float32)  # each sample tells where it is
    path = tmp_path / "ramp.wav"
    soundfile.write(path, ramp, rate, subtype="FLOAT")
    settings = VideoSettings(fps=4.0)
    source = FileSource(path, settings, MfccEncoder(), 1.0, start=1.0, end=3.5)
    windows = list(source)
    assert len(windows) == 10 and [window.time for window in windows[:2]] == [0.125, 0.375]
    # A window in the middle is centred on its frame; the first reaches back before the segment into the file.
    middle = windows[4]
    centre = round((1.0 + middle.time) * rate)
    assert np.array_equal(middle.samples, ramp[centre - rate // 2 : centre + rate // 2])
    assert windows[0].samples[0] == ramp[round(1.125 * rate) - rate // 2]
    # At the file's end the last window slides back to stay whole.
    whole = list(FileSource(path, settings, MfccEncoder(), 1.0))
    assert np.array_equal(whole[-1].samples, ramp[-rate:]) and np.array_equal(whole[0].samples, ramp[:rate])

    # An encoder that keeps channels (as ImageBind does) gets (channels, frames) windows, as from read().
    class StereoEncoder(Encoder):
        id, output_space, sample_rate, keep_channels = "stereo", Space("stereo", (1,)), rate, True

    stereo = tmp_path / "stereo.wav"
    soundfile.write(stereo, np.stack([ramp, -ramp], axis=1), rate, subtype="FLOAT")
    window = next(iter(FileSource(stereo, settings, StereoEncoder(), 1.0)))
    assert window.samples.shape == (2, rate) and np.array_equal(window.samples[1], -ramp[:rate])


def test_the_frame_cache_counts_as_saved_only_what_reached_the_disk(tmp_path: Path) -> None:
    from PIL import Image

    from a2i_studio.frames import FrameCache

    cache = FrameCache(tmp_path / "frames")
    for index in range(3):
        cache.put(index, Image.new("RGB", (8, 8), (index, 0, 0)))
    assert (len(cache), cache.saved) == (3, 0)  # waiting for a chunk: not on disk yet
    cache.flush()
    assert (len(cache), cache.saved) == (3, 3)
    again = FrameCache(tmp_path / "frames")  # what a later render finds
    assert again.saved == 3 and again.get(2) is not None and again.get(2).getpixel((0, 0)) == (2, 0, 0)

"""Live mode driven by a file played in real time (muted, so the clock paces it on any machine): frames follow
the sound, a slow chain drops frames and keeps its latency, start and stop leave no thread behind, keyframes
and modulations work on live sound, and a recording holds the session with its sound in sync.

The probe plugin (tests/fixtures/frames_probe.py) paints what it hears: red is the window's RMS level, green
its ``level`` parameter; ``probe-slow`` paints the same after sleeping ``delay`` seconds."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from a2i_studio import audio
from a2i_studio.audio.live_input import FilePlayer
from a2i_studio.core import CancelToken
from a2i_studio.engine import Engine
from a2i_studio.errors import ParamError, VideoError
from a2i_studio.frames import (
    LIVE_RECIPE_FORMAT,
    FrameStream,
    LiveFrame,
    LiveRequest,
    LiveSource,
    Modulation,
    Smoother,
    VideoSettings,
    read_video_recipe,
    request_from_video_recipe,
    run_live,
    sidecar_path,
)
from a2i_studio.frames import AudioWindow as Window
from a2i_studio.plugins import PluginManager

RATE = 16_000


@pytest.fixture
def engine(drop_in: Callable[[str], Path]) -> Engine:
    drop_in("frames_probe")
    return Engine(PluginManager().load().registry)


def _write(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    soundfile.write(path, samples.astype(np.float32), rate)
    return path


def _step(path: Path, seconds: float = 2.0, at: float = 1.0) -> Path:
    """Quiet noise, then loud noise from ``at`` seconds."""
    noise = np.random.default_rng(0).standard_normal(round(seconds * RATE))
    level = np.where(np.arange(noise.size) < at * RATE, 0.01, 0.5)
    return _write(path, noise * level)


def _session(
    engine: Engine, clip: Path, chain: str = "probe-rms>probe", stop_after: int | None = None, **request: object
) -> tuple[list[tuple[LiveFrame, float]], object]:
    """Run a muted live session of ``clip``; returns each frame with the time it was shown, and the summary."""
    shown: list[tuple[LiveFrame, float]] = []
    cancel = CancelToken()

    def show(frame: LiveFrame) -> None:
        shown.append((frame, time.monotonic()))
        if stop_after is not None and len(shown) >= stop_after:
            cancel.cancel()

    summary = run_live(engine, LiveRequest(chain=chain, **request), FilePlayer(clip, mute=True), show, cancel)  # type: ignore[arg-type]
    return shown, summary


def _red(frame: LiveFrame) -> float:
    return float(np.asarray(frame.image)[0, 0, 0])


def test_frames_arrive_and_a_change_in_the_sound_changes_the_picture_within_half_a_second(
    engine: Engine, tmp_path: Path
) -> None:
    clip = _step(tmp_path / "step.wav")
    settings = VideoSettings(fps=20.0, window=0.2, attack=0.0, release=0.0)
    shown, summary = _session(engine, clip, settings=settings)
    frames = [frame for frame, _ in shown]
    # 1. Frames arrive about every 1/20 s of the 2 s (a loaded machine may drop a few), in order, from the sound.
    assert 30 <= len(frames) <= 41 and summary.painted == len(frames)  # type: ignore[attr-defined]
    assert [frame.index for frame in frames] == sorted({frame.index for frame in frames})
    assert all(0 < frame.time <= 2.0 for frame in frames)
    # 2. The picture follows the sound: red is the RMS of the last 0.2 s (x 255), low before 1 s, high after.
    quiet = [_red(frame) for frame in frames if frame.time < 0.9]
    loud = [_red(frame) for frame in frames if frame.time > 1.25]
    assert max(quiet) <= 5 and min(loud) >= 100
    # 3. ...within half a second of being heard: the first frame past half-way is shown by then, and not before.
    started = frames[0].heard - frames[0].time  # when the file's first sample was heard
    changed = next(shown_at for frame, shown_at in shown if _red(frame) > 60)
    assert 0.0 < changed - (started + 1.0) <= 0.5


@pytest.mark.slow  # about 2 s of sound played in real time
def test_a_chain_slower_than_the_frame_rate_drops_frames_and_keeps_its_latency(engine: Engine, tmp_path: Path) -> None:
    clip = _step(tmp_path / "step.wav")
    settings = VideoSettings(fps=24.0, window=0.2, attack=0.0, release=0.0)
    shown, summary = _session(engine, clip, chain="probe-rms>probe-slow", settings=settings)
    frames = [frame for frame, _ in shown]
    # 1. Each picture takes 0.15 s: at most 2 / 0.15 = 13 of the 49 frames are painted, the rest dropped.
    painted, dropped = summary.painted, summary.dropped  # type: ignore[attr-defined]
    assert 6 <= painted <= 14 and dropped >= 30 and painted + dropped == 49
    before_frames = sum(frame.dropped for frame in frames)  # the rest fell due while the last frame was painted
    assert before_frames <= dropped <= before_frames + 5
    # 2. Each frame paints the newest sound: its latency is one picture's work, not a growing queue.
    latencies = [shown_at - frame.heard for frame, shown_at in shown]
    assert min(latencies) >= 0.15 and max(latencies) < 0.5
    assert max(latencies[-3:]) < 0.5  # no drift towards the end
    # 3. And so it still follows the sound (the held frame is the newest painted one).
    assert _red(frames[-1]) >= 100 and _red(frames[0]) <= 5


def _threads() -> tuple[int, int]:
    return threading.active_count(), len(list(Path("/proc/self/task").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through /proc (Linux)")
def test_stopping_and_starting_again_leaves_no_thread_behind(engine: Engine, tmp_path: Path) -> None:
    clip = _step(tmp_path / "step.wav")
    settings = VideoSettings(fps=20.0, window=0.2)
    _session(engine, clip, stop_after=3, settings=settings, record=tmp_path / "warm.mp4")  # torch, FFmpeg warm up
    before = _threads()
    for run in range(3):
        shown, summary = _session(engine, clip, stop_after=4, settings=settings, record=tmp_path / f"{run}.mp4")
        assert len(shown) == 4 and summary.recording == tmp_path / f"{run}.mp4"  # type: ignore[attr-defined]
    # Not one more thread (threads of earlier tests, Qt's pool, may end meanwhile), and none of live mode's.
    assert all(after <= earlier for after, earlier in zip(_threads(), before, strict=True))
    assert not [thread.name for thread in threading.enumerate() if thread.name.startswith("a2i-")]


@pytest.mark.slow  # about 2 s of sound played in real time
def test_a_recording_holds_the_session_with_its_sound_in_sync(engine: Engine, tmp_path: Path) -> None:
    t = np.arange(2 * RATE) / RATE
    rng = np.random.default_rng(1)
    levels = np.repeat(rng.uniform(0.05, 0.5, 20), RATE // 10)
    clip = _write(tmp_path / "noise.wav", rng.standard_normal(t.size) * levels)
    out = tmp_path / "live.mp4"
    settings = VideoSettings(fps=12.0, width=64, height=48, window=0.2)
    _, summary = _session(engine, clip, settings=settings, record=out, seed=3)
    assert summary.recording == out  # type: ignore[attr-defined]
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, container.streams.audio[0].codec_context.name) == (64, 48, "aac")
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 24  # one a tick of the 2 s, dropped ones held
    decoded = audio.load(out, sample_rate=RATE).samples
    source = audio.load(clip).samples
    length = min(decoded.size, source.size)
    lag = int(np.argmax(np.correlate(decoded[:length], source[:length], "full"))) - (length - 1)
    assert abs(decoded.size - source.size) <= RATE * 0.03 and abs(lag) <= RATE // 1000
    # The recipe says where the sound came from and what live mode measured; it cannot be rendered again.
    recipe = read_video_recipe(out)
    sidecar = json.loads(sidecar_path(out).read_text())
    assert recipe["format"] == LIVE_RECIPE_FORMAT and recipe["chain"] == "probe-rms>probe" and recipe["seed"] == 3
    assert recipe["source"]["sha256"] == audio.file_sha256(clip) and recipe["video"]["fps"] == 12.0
    assert sidecar["video"]["frames"] == 24 and sidecar["live"]["painted"] == summary.painted  # type: ignore[attr-defined]
    with pytest.raises(VideoError, match="is a recording of a live session"):
        request_from_video_recipe(recipe, tmp_path / "again.mp4", source="live.mp4")


@pytest.mark.slow  # about 2 s of sound played in real time
def test_keyframes_fall_on_the_onsets_heard_and_frames_between_hold_the_last(engine: Engine, tmp_path: Path) -> None:
    samples = 0.005 * np.random.default_rng(2).standard_normal(2 * RATE)
    clicks = (0.6, 1.1, 1.6)
    for at in clicks:
        start = round(at * RATE)
        samples[start : start + 160] += 0.8 * np.hanning(160) * np.sin(2 * np.pi * 1000 * np.arange(160) / RATE)
    clip = _write(tmp_path / "clicks.wav", samples)
    settings = VideoSettings(fps=20.0, window=0.2, attack=0.0, release=0.0, keyframes="onsets")
    shown, _ = _session(engine, clip, settings=settings)
    keys = [frame.time for frame, _ in shown if frame.frame.keyframe]
    # The first frames (the sound starting is an onset too), then one frame after each click, once the onset
    # rule has heard the 0.1 s after it; the faint noise between is no onset.
    assert keys[0] < 0.1 and all(key < 0.3 for key in keys[: len(keys) - len(clicks)])
    assert all(0.0 < key - at <= 0.25 for key, at in zip(keys[-len(clicks) :], clicks, strict=True))
    # Between keyframes a frame holds the last keyframe's picture: red changes only at keyframes.
    reds = [(_red(frame), frame.frame.keyframe) for frame, _ in shown]
    assert all(red == previous or key for (previous, _), (red, key) in itertools.pairwise(reds))


@pytest.mark.slow  # about 2 s of sound played in real time
def test_a_modulated_parameter_follows_the_live_loudness(engine: Engine, tmp_path: Path) -> None:
    t = np.arange(2 * RATE) / RATE
    level_db = -50 + 40 * np.sin(np.pi * t / 2)
    clip = _write(tmp_path / "swell.wav", np.sin(2 * np.pi * 300 * t) * 10 ** (level_db / 20))
    settings = VideoSettings(fps=20.0, window=0.2, attack=0.0, release=0.0,
                             modulations=(Modulation("level", "loudness", 0, 255),))
    shown, _ = _session(engine, clip, settings=settings)
    green = np.asarray([np.asarray(frame.image)[0, 0, 1] for frame, _ in shown], dtype=np.float64)
    heard = -50 + 40 * np.sin(np.pi * np.asarray([frame.time for frame, _ in shown]) / 2)
    late = np.asarray([frame.time > 0.5 for frame, _ in shown])  # the loudness scale needs a moment of history
    assert np.corrcoef(green[late], heard[late])[0, 1] > 0.9 and green.max() > 200


def test_live_settings_that_need_the_future_are_refused(engine: Engine, tmp_path: Path) -> None:
    clip = _step(tmp_path / "step.wav")
    with pytest.raises(ParamError, match="--keyframes sections needs the seconds after a change of scene"):
        _session(engine, clip, settings=VideoSettings(keyframes="sections"))
    with pytest.raises(ParamError, match=r"--record clip\.avi: \.avi is not a container"):
        _session(engine, clip, record=tmp_path / "clip.avi")


def test_smoothing_over_skipped_frames_moves_as_far_as_the_frames_would_have() -> None:
    step_by_step, skipping = Smoother(0.2, 0.5, 24.0), Smoother(0.2, 0.5, 24.0)
    start, target = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    step_by_step(start)
    skipping(start)
    for _ in range(5):
        expected = step_by_step(target)
    np.testing.assert_allclose(skipping(target, steps=5), expected, rtol=1e-12)


def test_a_live_stream_makes_every_frame_at_once_and_requests_round_trip(engine: Engine) -> None:
    settings = VideoSettings(fps=10.0, keyframes="every", keyframe_every=0.5, attack=0.0, release=0.0)
    stream = FrameStream(engine, "probe-rms>probe", settings, live=True)
    loud, quiet = np.full(1600, 0.5, np.float32), np.full(1600, 0.01, np.float32)
    reds = []
    for index, (samples, key) in enumerate([(loud, True), (quiet, False), (quiet, False), (quiet, True)]):
        (frame,) = stream.push(Window(index, index / 10, samples, keyframe=key))  # nothing waits
        reds.append(int(np.asarray(frame.image)[0, 0, 0]))
    assert reds == [128, 128, 128, 3]  # held until the next keyframe hears the quiet sound
    request = LiveRequest(chain="probe-rms>probe", settings=settings, seed=4, params={"probe": {"gain": 2.0}},
                          record=Path("out.mp4"), seconds=3.0)
    assert LiveRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    source = LiveSource(file=Path("clip.wav"), mute=True)
    assert LiveSource.from_dict(json.loads(json.dumps(source.to_dict()))) == source

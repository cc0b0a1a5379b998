"""The frame-stream core, driven window by window as a live source would: smoothing, keyframes, modulation,
continuity, frames left unpainted, and the sentences for bad settings.

The probe plugin (tests/fixtures/frames_probe.py) paints what it is given: red the window's RMS level after
the stream's interpolation and smoothing, green its ``level`` parameter, blue its random draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from a2i_studio.engine import Engine
from a2i_studio.errors import Cancelled, ParamError
from a2i_studio.frames import AudioWindow, Frame, FrameStream, Modulation, Smoother, VideoSettings, slerp
from a2i_studio.plugins import PluginManager

FPS = 10.0
CHAIN = "probe-rms>probe"


@pytest.fixture
def engine(drop_in: Callable[[str], Path]) -> Engine:
    drop_in("frames_probe")
    return Engine(PluginManager().load().registry)


def _windows(levels: list[float], keyframes: set[int] | None = None, envelope: list[float] | None = None) -> \
        list[AudioWindow]:
    """One window per frame whose RMS is the level (a constant signal), with an optional loudness envelope."""
    return [
        AudioWindow(
            index=index,
            time=(index + 0.5) / FPS,
            samples=np.full(1600, level, dtype=np.float32),
            envelopes={"loudness": envelope[index]} if envelope is not None else {},
            keyframe=keyframes is not None and index in keyframes,
        )
        for index, level in enumerate(levels)
    ]


def _run(stream: FrameStream, windows: list[AudioWindow], paint: Callable[[int], bool] = lambda _: True) -> \
        list[Frame]:
    frames = []
    for window in windows:
        frames += stream.push(window, paint=paint(window.index))
    return frames + stream.finish()


def _channel(frames: list[Frame], channel: int) -> np.ndarray:
    return np.array([np.asarray(frame.image)[0, 0, channel] for frame in frames], dtype=np.float64)


def _settings(**values: object) -> VideoSettings:
    return VideoSettings.from_values({"fps": FPS, "attack": 0.0, "release": 0.0, **values})


def test_every_frame_listens_to_its_own_window_without_smoothing(engine: Engine) -> None:
    levels = [0.125, 0.5, 0.875, 0.25]  # exact in float32
    frames = _run(FrameStream(engine, CHAIN, _settings()), _windows(levels))
    assert [frame.index for frame in frames] == [0, 1, 2, 3]
    assert np.array_equal(_channel(frames, 0), np.round(np.array(levels) * 255))
    assert all(frame.keyframe and not frame.reused for frame in frames)


def test_attack_and_release_follow_a_step_as_a_one_pole_envelope(engine: Engine) -> None:
    attack, release = 0.2, 0.5
    stream = FrameStream(engine, CHAIN, _settings(attack=attack, release=release))
    levels = [0.0] + [1.0] * 10 + [0.0] * 10
    red = _channel(_run(stream, _windows(levels)), 0) / 255
    rise = 1 - np.exp(-np.arange(1, 11) / (attack * FPS))  # after m frames of a unit step up
    assert np.allclose(red[1:11], rise, atol=1 / 255)
    fall = red[10] * np.exp(-np.arange(1, 11) / (release * FPS))
    assert np.allclose(red[11:], fall, atol=1 / 255)
    # The 63% point of each is its time constant.
    assert abs(red[int(attack * FPS)] - (1 - math.exp(-1))) < 1 / 255


def test_keyframes_glide_linearly_and_frames_wait_for_the_next_one(engine: Engine) -> None:
    stream = FrameStream(engine, CHAIN, _settings(keyframes="every", interpolation="linear"))
    levels = [0.2, 0.9, 0.9, 0.9, 0.6, 0.0, 0.0, 0.0, 0.9]
    windows = _windows(levels, keyframes={0, 4, 8})
    ready = [len(stream.push(window)) for window in windows]
    assert ready == [1, 0, 0, 0, 4, 0, 0, 0, 4]  # frames between keyframes come out when the next one arrives
    frames = _run(FrameStream(engine, CHAIN, _settings(keyframes="every", interpolation="linear")), windows)
    expected = np.concatenate([np.linspace(0.2, 0.6, 5), np.linspace(0.6, 0.9, 5)[1:]])
    assert np.allclose(_channel(frames, 0), np.round(expected * 255), atol=1)
    assert [frame.keyframe for frame in frames] == [index in {0, 4, 8} for index in range(9)]


def test_frames_after_the_last_keyframe_glide_to_the_last_window_heard(engine: Engine) -> None:
    stream = FrameStream(engine, CHAIN, _settings(keyframes="every", interpolation="linear"))
    frames = [frame for window in _windows([0.0, 0.25, 0.5], keyframes={0}) for frame in stream.push(window)]
    assert len(frames) == 1 and stream.waiting == 2
    frames += stream.finish()
    assert np.array_equal(_channel(frames, 0), np.round(np.array([0.0, 0.25, 0.5]) * 255))


def test_a_modulated_parameter_follows_its_envelope_through_range_and_curve(engine: Engine) -> None:
    envelope = list(np.linspace(0, 1, 11))
    shapes = (("linear", lambda x: x), ("ease-in", lambda x: x * x), ("smooth", lambda x: x * x * (3 - 2 * x)))
    for curve, shape in shapes:
        modulation = Modulation("level", "loudness", 200.0, 50.0, curve)  # high below low: inverted
        stream = FrameStream(engine, CHAIN, _settings(modulations=(modulation,)))
        frames = _run(stream, _windows([0.5] * 11, envelope=envelope))
        expected = 200.0 + (50.0 - 200.0) * shape(np.array(envelope))
        assert np.allclose(_channel(frames, 1), np.round(expected), atol=0.51), curve
        assert stream.settings.modulations[0].param == "probe.level"  # resolved to its component for the recipe
        assert frames[3].params["probe"]["level"] == pytest.approx(expected[3])


def test_drift_moves_along_the_arc_between_two_seeds_draws(engine: Engine) -> None:
    drift = 0.4  # seconds from one seed's draw to the next
    stream = FrameStream(engine, CHAIN, _settings(continuity="drift", drift_seconds=drift), seed=3)
    frames = _run(stream, _windows([0.5] * 8))
    draws = [np.random.default_rng(seed).standard_normal(4) for seed in (3, 4, 5)]
    for frame, blue in zip(frames, _channel(frames, 2), strict=True):
        step, fraction = divmod(frame.time / drift, 1.0)
        noise = slerp(draws[int(step)], draws[int(step) + 1], fraction)
        assert blue == np.clip(np.round(128 + 40 * noise[0]), 0, 255)
    # The default keeps one draw for every frame: only the sound moves the picture.
    fixed = _run(FrameStream(engine, CHAIN, _settings(), seed=3), _windows([0.5] * 8))
    assert set(_channel(fixed, 2)) == {np.clip(np.round(128 + 40 * draws[0][0]), 0, 255)}


def test_previous_hands_each_frame_the_one_before(engine: Engine) -> None:
    frames = _run(FrameStream(engine, CHAIN, _settings(continuity="previous")), _windows([0.5] * 5))
    blue = _channel(frames, 2)
    assert np.array_equal(np.diff(blue) % 256, [10, 10, 10, 10])


def test_frames_left_unpainted_keep_the_stream_where_a_full_run_is(engine: Engine) -> None:
    settings = _settings(attack=0.3, release=0.3)
    windows = _windows([0.0, 1.0, 0.2, 0.8, 0.5, 0.9])
    full = _run(FrameStream(engine, CHAIN, settings), windows)
    partial = _run(FrameStream(engine, CHAIN, settings), windows, paint=lambda index: index >= 3)
    assert [frame.image is None for frame in partial] == [True, True, True, False, False, False]
    assert np.array_equal(_channel(full[3:], 0), _channel(partial[3:], 0))


def test_frames_made_before_are_used_as_they_are(engine: Engine) -> None:
    from PIL import Image

    made = {1: Image.new("RGB", (8, 8), (1, 2, 3))}
    stream = FrameStream(engine, CHAIN, _settings(continuity="previous"), made=made.get)
    frames = _run(stream, _windows([0.5] * 3))
    assert [frame.reused for frame in frames] == [False, True, False]
    assert np.asarray(frames[1].image)[0, 0].tolist() == [1, 2, 3]
    assert np.asarray(frames[2].image)[0, 0, 2] == 13  # the next frame started from the kept one


def test_cancel_stops_before_the_next_window(engine: Engine) -> None:
    from a2i_studio.core import CancelToken

    cancel = CancelToken()
    stream = FrameStream(engine, CHAIN, _settings(), cancel=cancel)
    windows = _windows([0.5] * 3)
    stream.push(windows[0])
    cancel.cancel()
    with pytest.raises(Cancelled):
        stream.push(windows[1])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"modulations": (Modulation("steps", "loudness", 1, 3),)},
         "--modulate steps: no component of this chain has that parameter; numeric ones: probe.gain, probe.level."),
        ({"modulations": (Modulation("note", "loudness", 1, 3),)}, "it is a text parameter; modulate a number"),
        ({"modulations": (Modulation("level", "loudness", 0, 300),)}, "use a value of at most 255.0"),
        ({"modulations": (Modulation("level", "rumble", 0, 1),)}, "Envelope 'rumble' is unknown"),
        ({"modulations": (Modulation("level", "loudness", 0, 1, "wobbly"),)}, "curve 'wobbly' of level is unknown"),
        ({"fps": 0}, "--fps 0 is out of range: use a frame rate above 0 and at most 120."),
        ({"fps": 240}, "--fps 240 is out of range"),
        ({"keyframes": "bars"}, "Parameter keyframes got 'bars': choose one of none, every, onsets, beats, sections."),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(engine: Engine, settings: dict, message: str) -> None:
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(".", r"\.")):
        FrameStream(engine, CHAIN, _settings(**settings))


def test_a_continuity_the_generator_does_not_keep_is_refused(engine: Engine) -> None:
    with pytest.raises(ParamError, match="generator aegan keeps frames together only by fixed or drift"):
        FrameStream(engine, "mfcc>aegan", _settings(continuity="previous"))


def test_modulations_parse_from_the_command_line_form() -> None:
    assert Modulation.parse("aegan.variation=bass:0:1.5:ease-out") == Modulation(
        "aegan.variation", "bass", 0.0, 1.5, "ease-out"
    )
    assert Modulation.parse("level=60-250hz:10:20").value(0.5) == 15.0
    for bad in ("variation", "variation=loudness:0", "variation=loudness:zero:1"):
        with pytest.raises(ParamError, match="--modulate"):
            Modulation.parse(bad)


def test_smoothing_and_slerp_work_on_dicts_of_arrays_as_on_arrays() -> None:
    smoother = Smoother(0.1, 0.1, FPS)
    smoother({"a": np.zeros(2), "b": np.ones(2)})
    state = smoother({"a": np.ones(2), "b": np.zeros(2)})
    share = 1 - math.exp(-1 / (0.1 * FPS))
    assert np.allclose(state["a"], share) and np.allclose(state["b"], 1 - share)
    start, end = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    for fraction in (0.25, 0.5):
        point = slerp(start, end, fraction)
        assert np.isclose(np.linalg.norm(point), 2.0)  # on the arc, where a straight line would dip to 1.41
        assert np.isclose(np.arctan2(point[1], point[0]), fraction * np.pi / 2)
    assert np.allclose(slerp({"x": start}, {"x": end}, 0.5)["x"], slerp(start, end, 0.5))
    # Between two independent Gaussian draws the norm stays a Gaussian's.
    rng = np.random.default_rng(0)
    first, second = rng.standard_normal(4096), rng.standard_normal(4096)
    assert abs(np.linalg.norm(slerp(first, second, 0.5)) / np.sqrt(4096) - 1) < 0.05

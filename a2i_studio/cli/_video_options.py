"""The video options ``a2i render`` and ``a2i live`` share, and the settings they make."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from a2i_studio.frames import VideoSettings

__all__ = ["add_video_options", "size", "video_settings"]


def add_video_options(parser: argparse.ArgumentParser, *, live: bool = False) -> None:
    """Add ``--fps`` to ``--modulate``; live mode has no ``--interpolation`` (frames hold the last keyframe)."""
    parser.add_argument("--fps", type=float, default=24.0, help="frames per second, above 0 and at most 120")
    parser.add_argument("--size", type=size, default=(0, 0), metavar="WxH",
                        help="frame size, e.g. 256 or 640x360 (default: the generator's own)")
    parser.add_argument("--window", type=float, default=1.0 if live else 0.0, metavar="S",
                        help="seconds of sound each frame listens to " + (
                            "(default 1, up to the newest sound heard)" if live else "(default 2)"))
    parser.add_argument("--attack", type=float, default=0.1, metavar="S", help="seconds to follow a rise (0.1)")
    parser.add_argument("--release", type=float, default=0.3, metavar="S", help="seconds to follow a fall (0.3)")
    parser.add_argument("--keyframes", default="none", metavar="MODE", help=(
        "none (every frame listens), or keyframes every N s, on onsets or beats" if live
        else "none (every frame listens), or keyframes every N s, on onsets, beats or sections"))
    parser.add_argument("--keyframe-every", type=float, default=2.0, metavar="S", help="seconds between keyframes")
    if not live:
        parser.add_argument("--interpolation", default="slerp", metavar="HOW",
                            help="slerp or linear between keyframes")
    parser.add_argument("--continuity", default="fixed", metavar="MODE",
                        help="fixed (one random draw), drift (slowly between seeds), previous (from the last frame)")
    parser.add_argument("--drift-seconds", type=float, default=8.0, metavar="S", help="seconds from seed to seed")
    parser.add_argument("--strength", type=float, default=0.5, metavar="F",
                        help="previous: how far each frame moves from the last (0.05-1)")
    parser.add_argument("--modulate", action="append", default=[], metavar="PARAM=ENVELOPE:LOW:HIGH",
                        help="a parameter follows loudness, onset, beat, bass, mid, treble or LO-HIhz; repeatable")


def video_settings(args: argparse.Namespace) -> VideoSettings:
    """The settings the options of :func:`add_video_options` ask for.

    Raises:
        ParamError: For a value the settings refuse, naming the option.
    """
    from a2i_studio.frames import Modulation, VideoSettings

    values = {
        "fps": args.fps, "width": args.size[0], "height": args.size[1], "window": args.window,
        "attack": args.attack, "release": args.release, "keyframes": args.keyframes,
        "keyframe_every": args.keyframe_every, "continuity": args.continuity,
        "drift_seconds": args.drift_seconds, "strength": args.strength,
        "modulations": tuple(Modulation.parse(text) for text in args.modulate),
    }
    if "interpolation" in args:
        values["interpolation"] = args.interpolation
    return VideoSettings.from_values(values)


def size(text: str) -> tuple[int, int]:
    """``256`` -> (256, 256); ``640x360`` -> (640, 360)."""
    width, separator, height = text.lower().partition("x")
    try:
        dimensions = (int(width), int(height if separator else width))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} should read W or WxH, e.g. 256 or 640x360") from None
    if not all(0 < side <= 4096 for side in dimensions):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 1 to 4096 pixels")
    return dimensions

"""``a2i live``: pictures that follow an input device, or a file played in real time, as the sound is heard.

With a window (the default) the session runs in the app's output window, a
separate process (the faces do not import each other, as ``a2i gui``);
``--no-window`` runs it here and prints the frame rate and latency instead.
Everything that can be checked is checked here first, so a missing device or
a bad setting is one ``error:`` line from this command.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.cli._common import UsageError, load_plugins, parse_param_options, print_json
from a2i_studio.cli._video_options import add_video_options, video_settings

if TYPE_CHECKING:
    from a2i_studio.audio.live_input import LiveInput
    from a2i_studio.core import CancelToken
    from a2i_studio.frames import LiveRequest, LiveSource

__all__ = ["register"]

_STATUS_SECONDS = 1.0  # how often --no-window prints the frame rate and latency


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``live``."""
    live = subparsers.add_parser(
        "live", help="pictures that follow an input device, or a file played in real time, as the sound is heard"
    )
    source = live.add_mutually_exclusive_group(required=True)
    source.add_argument("--device", metavar="NAME",
                        help="input device: its number, name or part of it, or 'default' (see --list-devices)")
    source.add_argument("--file", type=Path, metavar="AUDIO",
                        help="a file played in real time, its sound going to the default output")
    source.add_argument("--list-devices", action="store_true",
                        help="list the input devices, loopback ones (what the computer plays) flagged")
    live.add_argument("--chain", default=None,
                         help="encoder>adapter>generator (default: the bundled mfcc-stereo>aegan-sharp)")
    add_video_options(live, live=True)
    live.add_argument("--seed", type=int, default=None, metavar="N", help="seed of the frames (default: random)")
    live.add_argument("--param", action="append", default=[], metavar="K=V", help="component parameter, repeatable")
    live.add_argument("--mute", action="store_true", help="--file: keep its sound in (the clock paces it)")
    live.add_argument("--fullscreen", action="store_true", help="show the pictures fullscreen, with no interface")
    live.add_argument("--screen", type=int, default=0, metavar="N", help="the screen to show them on (0: the first)")
    live.add_argument("--filter", choices=("smooth", "nearest"), default="smooth",
                      help="how the picture is scaled to the window: smooth, or nearest (sharp pixels)")
    live.add_argument("--crossfade", type=float, default=0.0, metavar="S",
                      help="seconds each frame fades in over the one before (default 0: cut)")
    live.add_argument("--no-window", action="store_true",
                      help="show nothing; print the frame rate and latency (to record, or to measure)")
    live.add_argument("--record", type=Path, default=None, metavar="PATH",
                      help="write the session to a video with its sound: .mp4, .webm, .gif, or a folder for PNGs")
    live.add_argument("--seconds", type=float, default=None, metavar="S", help="stop after S seconds of sound")
    live.add_argument("--compute-device", default=None, metavar="DEVICE", help="auto, cpu, cuda, cuda:N or mps")
    live.add_argument("--json", action="store_true", help="print the session's numbers as JSON at the end")
    live.set_defaults(func=_run_live)


def _run_live(args: argparse.Namespace) -> int:
    from a2i_studio.audio.live_input import input_devices

    if args.list_devices:
        devices = input_devices()
        for device in devices:
            print(device.describe())
        if not devices:
            print("No input devices: connect one, or play a file with --file.", file=sys.stderr)
        return 0
    request, source, live_input = _plan(args)
    if args.no_window:
        return _run_here(args, request, source, live_input)
    return _run_in_window(args, request, source)


def _plan(args: argparse.Namespace) -> tuple[LiveRequest, LiveSource, LiveInput]:
    """The session the options ask for, checked: settings, chain, parameters, recording, and the source.

    Raises:
        UsageError: For options that do not go together.
        A2IError: For a bad value, a missing device or an unreadable file, in one sentence.
    """
    from a2i_studio.core import parse_chain
    from a2i_studio.engine import DEFAULT_CHAIN
    from a2i_studio.frames import LiveRequest, LiveSource, output_format

    if args.no_window and (args.fullscreen or args.crossfade):
        raise UsageError("--no-window shows nothing: leave out --fullscreen and --crossfade, or --no-window.")
    if args.mute and args.file is None:
        raise UsageError("--mute keeps a file's sound in; it goes with --file.")
    if args.crossfade < 0 or (args.seconds is not None and args.seconds <= 0):
        raise UsageError("--crossfade and --seconds take a number of seconds above 0.")
    settings = video_settings(args)
    if args.record is not None:
        output_format(args.record, option="--record")
    manager = load_plugins(args)
    chain = args.chain or DEFAULT_CHAIN
    params = parse_param_options(args.param, parse_chain(chain, manager.registry).components)
    request = LiveRequest(
        chain=chain, settings=settings, seed=secrets.randbelow(2**31) if args.seed is None else args.seed,
        params=params, device=args.compute_device, record=args.record, seconds=args.seconds,
    )
    source = LiveSource(device=args.device, file=args.file, mute=args.mute)
    return request, source, source.open()  # a missing device or an unreadable file is said here, before anything


def _run_here(args: argparse.Namespace, request: LiveRequest, source: LiveSource, live_input: LiveInput) -> int:
    from a2i_studio.audio.live_input import FilePlayer
    from a2i_studio.core import CancelToken
    from a2i_studio.engine import Engine
    from a2i_studio.frames import LiveFrame, LiveMeter, run_live

    if isinstance(live_input, FilePlayer) and not source.mute and not live_input.audible:
        print(f"No output device: {live_input.path.name} plays silently, paced by the clock.", file=sys.stderr)
    engine = Engine(load_plugins(args).registry)
    meter, printed = LiveMeter(), [time.monotonic()]

    def show(frame: LiveFrame) -> None:
        meter.shown(frame.heard, frame.dropped)
        if not args.json and time.monotonic() - printed[0] >= _STATUS_SECONDS:
            printed[0] = time.monotonic()
            print(f"{frame.time:7.1f} s  {meter.describe()}", file=sys.stderr, flush=True)

    cancel = CancelToken()
    with _stop_on_interrupt(cancel):
        summary = run_live(engine, request, live_input, show, cancel)
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    numbers = {**summary.numbers(), "recording": None if summary.recording is None else str(summary.recording)}
    if args.json:
        print_json(numbers)
        return 0
    print(summary.describe())
    if summary.recording is not None:
        print(summary.recording)
    return 0


def _run_in_window(args: argparse.Namespace, request: LiveRequest, source: LiveSource) -> int:
    from a2i_studio.system import check_window_libraries

    check_window_libraries()
    plan: dict[str, Any] = {
        "request": request.to_dict(),
        "source": source.to_dict(),
        "output": {"fullscreen": args.fullscreen, "screen": args.screen, "filter": args.filter,
                   "crossfade": args.crossfade},
        "safe_mode": args.safe_mode,
        "json": args.json,
    }
    # A separate process keeps the CLI free of Qt (the faces do not import each other).
    return subprocess.call([sys.executable, "-m", "a2i_studio.gui.live_app", json.dumps(plan)])


@contextmanager
def _stop_on_interrupt(cancel: CancelToken) -> Iterator[None]:
    """Ctrl-C ends the session as Stop does (the recording is kept) instead of interrupting it."""
    previous = signal.signal(signal.SIGINT, lambda _number, _frame: cancel.cancel())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""Live mode: frames per second and latency (sound heard -> frame shown), from a file played in real time.

Run from the repository root, in the environment a2i-studio is installed in::

    OMP_NUM_THREADS=1 python benchmarks/bench_live.py [--seconds 20] [--skip-pixel]

The file source is the README's 20 s example (the four bundled sounds one after the other), played
muted, so the clock paces it as a sound card would; each frame's latency runs from the moment the
newest sample its window heard was due, to the moment the frame was handed to the screen.

1. ``mfcc>aegan`` at 256 px, 24 fps (the goal: at least 15 fps, p99 latency under 150 ms), without
   and with a recording to MP4. Beside it, in the same run, the frame stream alone over the same
   file, as fast as it goes (``a2i render``'s loop without a file): the work of one frame, which
   the live latency should stay close to.
2. ``fft>pixel`` (the bundled pixel transformer), 24 fps asked: it paints one frame in seconds, so
   live mode drops nearly all frames and holds each for as long as the next takes; its latency
   stays one frame's work. A loop that painted every frame instead would fall behind by the time
   printed (estimated from the frame's work: it would take that long to catch up).

Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _live(engine: Any, clip: Path, chain: str, fps: float, size: int, seconds: float, record: Path | None) -> Any:
    from a2i_studio.audio.live_input import FilePlayer
    from a2i_studio.frames import LiveRequest, VideoSettings, run_live

    settings = VideoSettings(fps=fps, width=size, height=size, window=1.0)
    request = LiveRequest(chain=chain, settings=settings, seed=1, record=record, seconds=seconds)
    return run_live(engine, request, FilePlayer(clip, mute=True), lambda frame: None)


def _stream_alone(engine: Any, clip: Path, chain: str, fps: float, size: int, frames: int) -> float:
    """Seconds a frame takes in the frame stream over the same file, fitted to ``size`` as live mode does."""
    from a2i_studio.frames import FileSource, FrameStream, VideoSettings, fit_frame

    stream = FrameStream(engine, chain, VideoSettings(fps=fps, window=1.0), seed=1)
    source = FileSource(clip, stream.settings, stream.chain.encoder, stream.window_seconds)
    windows = source.windows(0, frames)
    started = time.perf_counter()
    for window in windows:
        for frame in stream.push(window):
            assert frame.image is not None
            fit_frame(frame.image, size, size)
    return (time.perf_counter() - started) / frames


def _row(label: str, summary: Any, fps: float) -> None:
    numbers = summary.numbers()
    latency = numbers["latency_ms"]
    print(f"   {label:<26} {numbers['fps']:6.2f} fps ({numbers['fps'] / fps:4.0%} of {fps:g})   "
          f"latency p50 {latency['p50']:7.1f} ms   p99 {latency['p99']:7.1f} ms   "
          f"{numbers['painted']} painted, {numbers['dropped']} dropped")


def default_chain(engine: Any, clip: Path, folder: Path, seconds: float) -> None:
    fps, size = 24.0, 256
    _live(engine, clip, "mfcc>aegan", fps, size, 1.0, None)  # warm: model file, first frames
    alone = min(_stream_alone(engine, clip, "mfcc>aegan", fps, size, 96) for _ in range(3))
    plain = _live(engine, clip, "mfcc>aegan", fps, size, seconds, None)
    recorded = _live(engine, clip, "mfcc>aegan", fps, size, seconds, folder / "live.mp4")
    print(f"\n1. mfcc>aegan, 256 px, {fps:g} fps asked, {seconds:g} s of the example played live "
          "(goal: >= 15 fps, p99 < 150 ms)")
    _row("live", plain, fps)
    _row("live, recording to MP4", recorded, fps)
    p50 = plain.numbers()["latency_ms"]["p50"]
    print(f"   the frame stream alone: {alone * 1000:.1f} ms a frame ({1 / alone:.0f} frames/s possible, "
          f"{1 / alone / fps:.0f}x the rate asked); the other {p50 - alone * 1000:.1f} ms of the p50 latency are "
          "the age of the newest sound when a frame starts (the player hands sound over in 10 ms blocks, as a "
          "sound card does)")


def pixel_chain(engine: Any, clip: Path, seconds: float) -> None:
    fps = 24.0
    _live(engine, clip, "fft>pixel", fps, 256, 0.5, None)  # warm: torch, the model
    summary = _live(engine, clip, "fft>pixel", fps, 256, seconds, None)
    numbers = summary.numbers()
    work = float(np.median(summary.latencies))
    behind = seconds * (fps * work - 1)
    print(f"\n2. fft>pixel, 256 px, {fps:g} fps asked, {seconds:g} s played live")
    _row("live", summary, fps)
    print(f"   each frame is held {1 / max(numbers['fps'], 1e-9):.1f} s; a loop painting every frame would be "
          f"{behind:.0f} s behind the sound after {seconds:g} s ({behind / seconds:.0f}x the sound's length)")


def main() -> None:
    """Run the sections and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of each live run (default 20)")
    parser.add_argument("--skip-pixel", action="store_true", help="leave out the fft>pixel section")
    args = parser.parse_args()

    from bench_render import example_clip

    from a2i_studio.engine import Engine
    from a2i_studio.plugins import PluginManager

    engine = Engine(PluginManager().load().registry)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        clip = example_clip(folder)
        default_chain(engine, clip, folder, args.seconds)
        if not args.skip_pixel:
            pixel_chain(engine, clip, args.seconds)


if __name__ == "__main__":
    main()

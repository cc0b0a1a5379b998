"""Sound to video: how fast ``a2i render`` makes frames, against baselines measured in the same run.

Run from the repository root, in the environment a2i-studio is installed in::

    OMP_NUM_THREADS=1 python benchmarks/bench_render.py [--quick] [--skip-sd]

Sections:

1. The default chain ``mfcc>aegan`` at 256 px, 24 fps, on the 20 s example clip (the four
   bundled sounds one after the other), written to MP4 with its sound: seconds of video per
   second of work (the goal is at least 2x real time). Beside it, in the same run, the frame
   stream alone (no file) and the naive loop a script would write (``engine.generate`` on each
   frame's window, decoding the clip each time).
2. ``fft>pixel`` (the bundled pixel transformer): frames per second, against one still image
   of the same chain.
3. A real-size Stable Diffusion 1.5 U-Net, VAE and text encoder with random weights (built from
   the configs in ``a2i_resources/diffusion/sd15``, no download), behind an encoder that projects the
   MFCC summary to 77 x 768: seconds per video frame against one still image of the same chain,
   to show that the frame loop adds little. Kept short on a CPU: 2 steps at 256 px (``--quick``:
   1 step at 128 px); ``continuity previous`` (each frame from the last at strength 0.5) too.
4. On a CUDA GPU only: the same at 512 px, 25 steps, float16, frames per second.

Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from a2i_studio.audio.features_numpy import mfcc_summary_numpy
from a2i_studio.core import CLIP_TEXT_SD15, Encoder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def example_clip(folder: Path) -> Path:
    """The README's 20 s example: rain, forest, beach and thunderstorm, 5 s each."""
    parts = [soundfile.read(ROOT / "a2i_resources" / "sounds" / f"{name}.wav", dtype="float32")[0]
             for name in ("rain", "forest", "beach", "thunderstorm")]
    path = folder / "example.wav"
    soundfile.write(path, np.concatenate(parts), 16_000)
    return path


def _best(function: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def default_chain(engine: Any, clip: Path, folder: Path, runs: int) -> None:
    from a2i_studio import audio
    from a2i_studio.engine import GenerationRequest
    from a2i_studio.frames import FileSource, FrameStream, RenderRequest, VideoSettings, render

    settings = VideoSettings(fps=24.0, width=256, height=256)
    seconds = audio.probe(clip).duration

    def full() -> None:
        render(engine, RenderRequest(clip, folder / "example.mp4", settings=settings, seed=1))

    def stream_only() -> None:
        stream = FrameStream(engine, "mfcc>aegan", settings, seed=1)
        source = FileSource(clip, stream.settings, stream.chain.encoder, stream.window_seconds)
        for window in source:
            stream.push(window)

    full()  # warm: model file, FFmpeg encoders
    render_s, stream_s = _best(full, runs), _best(stream_only, runs)
    frames = round(seconds * 24)
    # The naive loop, on a tenth of the frames: a still per frame (64 px, as the stream makes them) from the
    # 2 s around it, the clip decoded again each time.
    sample = frames // 10
    times = (np.arange(sample) * 10 + 0.5) / 24

    def naive() -> None:
        for time_s in times:
            start, end = max(0.0, time_s - 1.0), min(seconds, time_s + 1.0)
            engine.generate(GenerationRequest(audio=clip, seed=1, start=start, end=end))

    naive_s = _best(naive, 1) * frames / sample
    print(f"\n1. mfcc>aegan, 256 px, 24 fps, {seconds:.0f} s clip ({frames} frames), best of {runs}")
    print(f"   render to MP4 with sound     {render_s:6.2f} s   {seconds / render_s:5.2f}x real time   "
          f"{frames / render_s:6.1f} frames/s   (goal: >= 2x)")
    print(f"   frame stream alone (no file) {stream_s:6.2f} s   {seconds / stream_s:5.2f}x real time   "
          f"fitting to 256 px and writing the file add {render_s / stream_s - 1:+.0%}")
    print(f"   naive loop of stills          {naive_s:6.2f} s   {seconds / naive_s:5.2f}x real time   "
          f"the stream alone is {naive_s / stream_s:.1f}x faster (estimated from {sample} stills)")


def _frame_seconds(engine: Any, request: Any) -> float:
    """The median time between two frames of a render (its set-up and the first frame left out)."""
    from a2i_studio.frames import render

    stamps: list[float] = []
    render(engine, request, lambda progress: stamps.append(time.perf_counter()))
    return statistics.median(np.diff(stamps)) if len(stamps) > 2 else float("nan")


def _still_seconds(engine: Any, requests: list[Any]) -> float:
    """The median time of one still image each for ``requests``."""
    times = []
    for request in requests:
        started = time.perf_counter()
        engine.generate(request)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pixel_chain(engine: Any, clip: Path, folder: Path) -> None:
    from a2i_studio.engine import GenerationRequest
    from a2i_studio.frames import RenderRequest, VideoSettings

    engine.generate(GenerationRequest(audio=clip, chain="fft>pixel", seed=1, end=2.0))  # warm: torch, model
    still = _still_seconds(engine, [
        GenerationRequest(audio=clip, chain="fft>pixel", seed=1, start=start, end=start + 2.0) for start in (4.0, 9.0)
    ])
    request = RenderRequest(clip, folder / "pixel.mp4", chain="fft>pixel", settings=VideoSettings(fps=2.0), seed=1,
                            start=6.0, end=8.0)
    frame = _frame_seconds(engine, request)
    print("\n2. fft>pixel, 32 px, 4 frames (median time between frames)")
    print(f"   {1 / frame:.3f} frames/s ({frame:.2f} s a frame); one still image {still:.2f} s: "
          f"a frame costs {frame / still:.2f}x a still")


class MfccToText(Encoder):
    """A benchmark encoder: the MFCC summary projected to 77 x 768 by a fixed random matrix (moves with the sound)."""

    id = "bench-mfcc-text"
    name = "MFCC to text states (benchmark)"
    output_space = CLIP_TEXT_SD15
    min_seconds = 1.0

    def load(self, device: str, dtype: str) -> None:
        import torch

        self.projection = torch.randn(104, 77 * 768, generator=torch.Generator().manual_seed(0)) / 104

    def encode(self, samples: Any, params: Mapping[str, Any], ctx: Any) -> Any:
        import torch

        summary = torch.from_numpy(mfcc_summary_numpy(samples, 16_000)) / 100
        return (summary @ self.projection).reshape(77, 768).to(ctx.device)


def diffusion_chain(clip: Path, folder: Path, size: int, steps: int, device: str, frames: int) -> None:
    import torch
    from bench_diffusion import build_pipeline

    from a2i_plugins.diffusion import StableDiffusion15Generator
    from a2i_studio.core import Registry
    from a2i_studio.engine import Engine, GenerationRequest
    from a2i_studio.frames import RenderRequest, VideoSettings

    dtype = torch.float32 if device == "cpu" else torch.float16
    started = time.perf_counter()
    pipeline = build_pipeline(device, dtype)
    built = time.perf_counter() - started

    class InMemorySD15(StableDiffusion15Generator):
        """The sd15 generator's own sampling code, on the random pipeline built above."""

        def pipeline(self, params: Mapping[str, Any], ctx: Any) -> Any:
            return pipeline

    registry = Registry()
    registry.current_plugin = "bench"
    registry.add_encoder(MfccToText())
    registry.add_generator(InMemorySD15())
    engine = Engine(registry)
    chain = "bench-mfcc-text>sd15"
    params = {"sd15": {"width": size, "height": size, "steps": steps, "preview_every": 0}}
    engine.generate(GenerationRequest(audio=clip, chain=chain, end=2.0, params=params, device=device))  # warm
    still = _still_seconds(engine, [
        GenerationRequest(audio=clip, chain=chain, start=start, end=start + 2.0, params=params, device=device)
        for start in (3.0, 9.0)
    ])
    results = {}
    for continuity in ("fixed", "previous"):
        settings = VideoSettings(fps=frames / 2.0, continuity=continuity, strength=0.5)
        request = RenderRequest(clip, folder / f"sd-{continuity}.mp4", chain=chain, settings=settings,
                                params=params, start=4.0, end=6.0, device=device)
        results[continuity] = _frame_seconds(engine, request)
    print(f"\n3. SD 1.5 real-size U-Net, random weights, {size} px, {steps} steps, {device} (built in {built:.0f} s);"
          f" {frames} frames, median time between frames")
    print(f"   one still image             {still:6.2f} s")
    print(f"   a video frame (fixed)       {results['fixed']:6.2f} s   {results['fixed'] / still:5.2f}x a still")
    print(f"   a video frame (previous)    {results['previous']:6.2f} s   "
          f"{results['previous'] / still:5.2f}x a still (strength 0.5 runs half the steps)")


def main() -> None:
    """Run the sections and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="renders of the default chain, best kept (default 3)")
    parser.add_argument("--quick", action="store_true", help="SD at 128 px, 1 step")
    parser.add_argument("--skip-sd", action="store_true", help="leave out the Stable Diffusion sections")
    args = parser.parse_args()

    from a2i_studio.engine import Engine
    from a2i_studio.plugins import PluginManager

    engine = Engine(PluginManager().load().registry)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        clip = example_clip(folder)
        default_chain(engine, clip, folder, args.runs)
        pixel_chain(engine, clip, folder)
        if args.skip_sd:
            return
        size, steps = (128, 1) if args.quick else (256, 2)
        diffusion_chain(clip, folder, size, steps, "cpu", frames=4)
        import torch

        if torch.cuda.is_available():
            diffusion_chain(clip, folder, 512, 25, "cuda", frames=24)
        else:
            print("\n4. No CUDA GPU here: the 512 px GPU section did not run.")


if __name__ == "__main__":
    main()

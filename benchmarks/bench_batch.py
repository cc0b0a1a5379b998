"""Batch throughput: images per second for 1 vs 2 processes, and the batch's overhead over a plain loop.

Run from the repository root (each measurement uses fresh temporary folders):

    python benchmarks/bench_batch.py [--clips 48] [--seeds 4]

1. In one process, a plain loop of ``Engine.generate`` against ``run_jobs`` over
   the same jobs (both saving to a gallery): the batch's own cost (recipe keys,
   the gallery lookup, outcomes) as a ratio.
2. ``a2i batch`` as one process against the same command under
   ``python -m torch.distributed.run --nproc_per_node 2`` (whole runs, start-up
   included): images per second and the speed-up (the goal is 1.7x or more).

The default chain ``mfcc>aegan`` is used throughout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

_ROOT = Path(__file__).resolve().parent.parent


def _clips(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        samples = 0.2 * rng.standard_normal(16_000 * 4).astype(np.float32)
        paths.append(folder / f"clip{index:03d}.wav")
        soundfile.write(paths[-1], samples, 16_000)
    return paths


def _environment(root: Path) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(_ROOT))
    for name in ("CONFIG", "DATA", "CACHE", "GALLERY"):
        env[f"A2I_{name}_DIR"] = str(root / name.lower())
    return env


def _in_process(clips: list[Path], seeds: int, root: Path) -> tuple[float, float]:
    """Seconds of a plain ``Engine.generate`` loop and of ``run_jobs``, each into its own gallery."""
    from a2i_studio.batch import BatchClip, ChainRun, expand_jobs, run_jobs
    from a2i_studio.engine import DEFAULT_CHAIN, Engine, GenerationRequest
    from a2i_studio.gallery import Gallery
    from a2i_studio.plugins import PluginManager

    engine = Engine(PluginManager().load().registry)
    engine.generate(GenerationRequest(audio=clips[0], chain=DEFAULT_CHAIN))  # load the model once, outside the timings
    engine.gallery = Gallery(root / "loop")
    started = time.perf_counter()
    for clip in clips:
        for seed in range(seeds):
            engine.generate(GenerationRequest(audio=clip, chain=DEFAULT_CHAIN, seed=seed))
    loop = time.perf_counter() - started

    engine.gallery = Gallery(root / "batch")
    jobs = expand_jobs([BatchClip(clip) for clip in clips], [ChainRun(DEFAULT_CHAIN)], range(seeds))
    started = time.perf_counter()
    outcomes = run_jobs(engine, jobs)
    batch = time.perf_counter() - started
    assert all(outcome.status == "made" for outcome in outcomes)
    return loop, batch


def _command(folder: Path, seeds: int, root: Path, processes: int) -> float:
    batch = ["-m", "a2i_studio.cli", "batch", str(folder), "-n", str(seeds), "--out", str(root / "report"),
             "--sheets", "none"]
    launch = [sys.executable, *batch] if processes == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes), *batch
    ]
    started = time.perf_counter()
    subprocess.run(launch, check=True, env=_environment(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Print the timings and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=48)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    images = args.clips * args.seeds
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        clips = _clips(root / "clips", args.clips)
        os.environ.update(_environment(root / "in-process"))
        loop, batch = _in_process(clips, args.seeds, root / "in-process")
        one = _command(root / "clips", args.seeds, root / "one", 1)
        two = _command(root / "clips", args.seeds, root / "two", 2)
    print(f"{images} images ({args.clips} clips x {args.seeds} seeds), chain mfcc>aegan, {os.cpu_count()} CPUs")
    print(f"plain Engine.generate loop : {loop:7.2f} s  {images / loop:6.1f} images/s")
    print(f"run_jobs (batch)           : {batch:7.2f} s  {images / batch:6.1f} images/s  overhead "
          f"{100 * (batch / loop - 1):+.1f}%")
    print(f"a2i batch, 1 process       : {one:7.2f} s  {images / one:6.1f} images/s  (start-up included)")
    print(f"a2i batch, 2 processes     : {two:7.2f} s  {images / two:6.1f} images/s  speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()

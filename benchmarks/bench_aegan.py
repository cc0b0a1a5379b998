"""How long ``a2i generate`` takes with the bundled AE-GAN (chain ``mfcc>aegan``), cold start included.

Run from the repository root, in the environment a2i-studio is installed in::

    python benchmarks/bench_aegan.py [--runs 5]

It times, each as the median of ``--runs`` fresh processes, in this order per round
so that a change in the machine's load touches all three alike:

1. ``python -c pass``: the interpreter alone, the floor of any command;
2. ``python -c "import torch"``: what a chain that needs torch pays before any work;
3. ``a2i generate a2i_resources/sounds/rain.wav --seed 1``: the whole command with the
   default chain, which runs on numpy alone;

and, inside this process, the parts of a warm run: loading the bundled model file,
the MFCC summary of the clip and the network's forward pass. It prints each time
with its ratio to the bare interpreter, to ``import torch`` and to the 1 s budget.
Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BUDGET_S = 1.0
CLIP = Path(__file__).resolve().parents[1] / "a2i_resources" / "sounds" / "rain.wav"


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def _median_call(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _warm_parts(runs: int) -> list[tuple[str, float]]:
    """Model loading, MFCC summary and forward pass of one image, in this process (no torch)."""
    import numpy as np

    from a2i_plugins.aegan._components import BUNDLED
    from a2i_plugins.aegan._inference import load_model
    from a2i_studio import audio
    from a2i_studio.audio.features_numpy import mfcc_summary_numpy

    assert BUNDLED.bundled is not None
    path = BUNDLED.bundled
    net, _ = load_model(path)
    samples = audio.load(CLIP, sample_rate=16_000).samples
    features = mfcc_summary_numpy(samples, 16_000)[None]
    noise = np.zeros_like(features)
    seconds = samples.size / 16_000
    return [
        ("load bundled model file (numpy)", _median_call(lambda: load_model(path), runs)),
        (f"MFCC summary of the {seconds:.0f} s clip", _median_call(lambda: mfcc_summary_numpy(samples, 16_000), runs)),
        ("AE-GAN forward pass, one image", _median_call(lambda: net(features, noise), runs)),
    ]


def main() -> None:
    """Run the measurements and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement (default: 5)")
    args = parser.parse_args()
    a2i = Path(sys.executable).with_name("a2i")
    if not a2i.is_file():
        sys.exit(f"{a2i} does not exist; run this with the Python of the environment a2i-studio is installed in.")

    with tempfile.TemporaryDirectory() as folder:
        # A throwaway gallery, cache and data folder, so the runs leave nothing in the user's.
        dirs = {f"A2I_{name}_DIR": str(Path(folder) / name.lower()) for name in ("DATA", "CACHE", "GALLERY")}
        env = {**os.environ, **dirs}
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import torch'": [sys.executable, "-c", "import torch"],
            "a2i generate rain.wav --seed 1": [str(a2i), "generate", str(CLIP), "--seed", "1"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_wall(command, env))
    cold = {name: statistics.median(values) for name, values in times.items()}
    bare, torch_import = cold["python -c pass"], cold["python -c 'import torch'"]

    print(f"{args.runs} runs each, cold processes; cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':<40}{'seconds':>9}{'x bare':>9}{'x torch':>9}{'x 1 s':>8}")
    for name, seconds in [*cold.items(), *_warm_parts(max(args.runs, 5))]:
        ratios = f"{seconds / bare:>9.2f}{seconds / torch_import:>9.2f}{seconds / BUDGET_S:>8.2f}"
        print(f"{name:<40}{seconds:>9.3f}{ratios}")
    runs = times["a2i generate rain.wav --seed 1"]
    verdict = "within" if statistics.median(runs) < BUDGET_S else "OVER"
    print(f"a2i generate: median {statistics.median(runs):.3f} s (min {min(runs):.3f}, max {max(runs):.3f}), "
          f"{verdict} the {BUDGET_S:.0f} s budget")


if __name__ == "__main__":
    main()

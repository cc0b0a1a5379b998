"""How long ``a2i generate`` takes with the bundled AE-GANs, cold start included.

Run from the repository root, in the environment a2i-studio is installed in::

    python benchmarks/bench_aegan.py [--runs 5]

It times, each as the median of ``--runs`` fresh processes, in this order per round
so that a change in the machine's load touches all of them alike:

1. ``python -c pass``: the interpreter alone, the floor of any command;
2. ``python -c "import torch"``: what a chain that needs torch pays before any work;
3. ``a2i generate a2i_resources/sounds/rain.wav --seed 1`` (as ``python -m a2i_studio.cli``
   from the repository root, so it runs this checkout's code): the whole command with the
   default chain ``mfcc-stereo>aegan-sharp`` (128 px), which runs on numpy alone;
4. the same with ``--chain mfcc>aegan``, the seed preset (64 px);

and, inside this process, the parts of a warm run of each: loading the bundled model
file, the clip's features and the network's forward pass. It prints each time with
its ratio to the bare interpreter, to ``import torch``, to the 1 s budget, and the
new default's cold run against the seed preset's.
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
NEW = "a2i generate rain.wav (default chain)"
OLD = "a2i generate rain.wav --chain mfcc>aegan"
ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "a2i_resources" / "sounds" / "rain.wav"


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - started


def _median_call(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _warm_parts(runs: int) -> list[tuple[str, float]]:
    """Model loading, features and forward pass of one image for both chains, in this process (no torch)."""
    import numpy as np

    from a2i_plugins.aegan import BUNDLED, BUNDLED_SHARP
    from a2i_plugins.aegan._inference import load_model
    from a2i_plugins.features import MfccEncoder, MfccStereoEncoder
    from a2i_studio.core import RunContext

    context = RunContext(device="cpu", dtype="float32", seeds=(1,))
    parts = []
    for spec, encoder in ((BUNDLED_SHARP, MfccStereoEncoder()), (BUNDLED, MfccEncoder())):
        assert spec.bundled is not None
        path = spec.bundled
        net, _ = load_model(path)
        samples = encoder.read(CLIP).samples
        features = np.asarray(encoder.encode(samples, {}, context))[None]
        noise = np.zeros_like(features)
        parts += [
            (f"load {path.name}", _median_call(lambda path=path: load_model(path), runs)),
            (f"{encoder.id} features of the clip", _median_call(lambda e=encoder, s=samples: e.encode(s, {}, context),
                                                                runs)),
            (f"{spec.name} forward pass, one image", _median_call(lambda n=net, f=features, z=noise: n(f, z), runs)),
        ]
    return parts


def main() -> None:
    """Run the measurements and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement (default: 5)")
    args = parser.parse_args()
    # ``python -m a2i_studio.cli`` from the repository root imports what ``a2i`` imports, from this checkout.
    a2i = [sys.executable, "-m", "a2i_studio.cli"]

    with tempfile.TemporaryDirectory() as folder:
        # A throwaway gallery, cache and data folder, so the runs leave nothing in the user's.
        dirs = {f"A2I_{name}_DIR": str(Path(folder) / name.lower()) for name in ("DATA", "CACHE", "GALLERY")}
        env = {**os.environ, **dirs}
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import torch'": [sys.executable, "-c", "import torch"],
            NEW: [*a2i, "generate", str(CLIP), "--seed", "1"],
            OLD: [*a2i, "generate", str(CLIP), "--seed", "1", "--chain", "mfcc>aegan"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_wall(command, env))
    cold = {name: statistics.median(values) for name, values in times.items()}
    bare, torch_import = cold["python -c pass"], cold["python -c 'import torch'"]

    print(f"{args.runs} runs each, cold processes; cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':<48}{'seconds':>9}{'x bare':>9}{'x torch':>9}{'x 1 s':>8}")
    for name, seconds in [*cold.items(), *_warm_parts(max(args.runs, 5))]:
        ratios = f"{seconds / bare:>9.2f}{seconds / torch_import:>9.2f}{seconds / BUDGET_S:>8.2f}"
        print(f"{name:<48}{seconds:>9.3f}{ratios}")
    for name in (NEW, OLD):
        runs = times[name]
        verdict = "within" if statistics.median(runs) < BUDGET_S else "OVER"
        print(f"{name}: median {statistics.median(runs):.3f} s (min {min(runs):.3f}, max {max(runs):.3f}), "
              f"{verdict} the {BUDGET_S:.0f} s budget")
    print(f"default chain / seed preset, cold: {cold[NEW] / cold[OLD]:.2f}")


if __name__ == "__main__":
    main()

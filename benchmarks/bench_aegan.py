"""How long the bundled AE-GAN takes to turn a 10 s clip into an image, cold start included.

Run from the repository root::

    python benchmarks/bench_aegan.py [--runs 3]

It times, each as the median of ``--runs`` fresh processes:

1. ``python -c pass``: the interpreter alone (the floor of any command);
2. ``python -c "import torch"``: what every torch-based chain pays first;
3. ``a2i generate clip.wav --chain mfcc>aegan`` (as ``python -m a2i_studio.cli``): the whole command;

and, inside this process once torch is warm, the model alone: MFCC summary of the
clip plus the network's forward pass, and loading the bundled model file. It
prints each time and its ratio to the bare interpreter and to the 1 s budget.
Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BUDGET_S = 1.0


def _median_wall(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _median_call(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Run the measurements and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (default: 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in this process (default: torch's)")
    args = parser.parse_args()

    import os

    from a2i_studio.datasets.soundscapes import make_item

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        clip = make_item(root / "clip", 1, seed=0, seconds=10.0).audio  # a 10 s rain soundscape
        assert clip is not None
        env = {**os.environ, **{f"A2I_{name}_DIR": str(root / name.lower()) for name in ("DATA", "CACHE", "GALLERY")}}
        python = sys.executable
        bare = _median_wall([python, "-c", "pass"], args.runs)
        torch_import = _median_wall([python, "-c", "import torch"], args.runs)
        command = [python, "-m", "a2i_studio.cli", "generate", str(clip), "--chain", "mfcc>aegan", "--seed", "0"]
        generate = _median_wall(command, args.runs, env)

        import torch

        from a2i_plugins.aegan._generator import BUNDLED
        from a2i_plugins.aegan._weights import load_model
        from a2i_studio import audio
        from a2i_studio.audio.features import mfcc_summary

        assert BUNDLED.bundled is not None
        load = _median_call(lambda: load_model(BUNDLED.bundled), args.runs)  # type: ignore[arg-type]
        net, _ = load_model(BUNDLED.bundled)
        samples = torch.from_numpy(audio.load(clip, sample_rate=16_000).samples)

        features = mfcc_summary(samples, 16_000)[None]

        def forward() -> torch.Tensor:
            with torch.inference_mode():
                return net(features)

        forward()
        mfcc = _median_call(lambda: mfcc_summary(samples, 16_000), max(args.runs, 5))
        model = _median_call(forward, max(args.runs, 5))

    rows = [
        ("python -c pass", bare),
        ("python -c 'import torch'", torch_import),
        ("a2i generate 10 s clip (mfcc>aegan)", generate),
        ("load bundled model file (warm torch)", load),
        ("MFCC summary of the clip (warm)", mfcc),
        ("AE-GAN forward pass (warm)", model),
    ]
    print(f"torch threads: {torch.get_num_threads()}, runs: {args.runs}")
    print(f"{'measurement':<40}{'seconds':>9}{'x bare':>9}{'x 1 s':>8}")
    for name, seconds in rows:
        print(f"{name:<40}{seconds:>9.3f}{seconds / bare:>9.1f}{seconds / BUDGET_S:>8.2f}")
    print(f"a2i generate minus torch import: {generate - torch_import:.3f} s")


if __name__ == "__main__":
    main()

"""Speed of the resamplers behind the official frontends, against soxr in the same run.

Run: ``python benchmarks/bench_resample.py [--seconds 60] [--runs 3] [--rate 44100]``.

The ImageBind encoder resamples every channel the way ``torchaudio.functional.resample``
does, the VGGish encoders the mono mix the way ``resampy.resample`` (``kaiser_best``,
float64) does; everything else uses soxr's HQ preset. This times each on the same
stereo noise (rate -> 16 kHz) and, when resampy is installed (a dev dependency), resampy
itself after its numba compilation, so the reimplementation's cost is seen next to the
library's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from a2i_studio.audio import resample


def best_seconds(work: Callable[[], object], runs: int) -> float:
    """Fastest of ``runs`` after one warm-up call (filters are built and cached on first use)."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the test signal")
    parser.add_argument("--rate", type=int, default=44_100, help="its sample rate")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after a warm-up (fastest reported)")
    args = parser.parse_args()
    stereo = np.random.default_rng(0).standard_normal((round(args.seconds * args.rate), 2)).astype(np.float32)
    mono = stereo.mean(axis=1, dtype=np.float64)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("soxr HQ, stereo float32", lambda: resample(stereo, args.rate, 16_000, "soxr")),
        ("torchaudio-style, stereo float32 (ImageBind)", lambda: resample(stereo, args.rate, 16_000, "torchaudio")),
        ("soxr HQ, mono float64", lambda: resample(mono, args.rate, 16_000, "soxr")),
        ("resampy-style, mono float64 (VGGish)", lambda: resample(mono, args.rate, 16_000, "resampy")),
    ]
    try:
        import resampy

        cases.append(("resampy 0.4 itself (numba), mono float64", lambda: resampy.resample(mono, args.rate, 16_000)))
    except ImportError:
        pass
    print(f"{args.seconds:g} s at {args.rate} Hz -> 16 kHz, fastest of {args.runs}:")
    baseline = {}
    for label, work in cases:
        seconds = best_seconds(work, args.runs)
        width = "stereo" if "stereo" in label else "mono"
        baseline.setdefault(width, seconds)
        per_minute = seconds * 60.0 / args.seconds
        print(f"  {label:<46} {per_minute * 1e3:8.1f} ms per minute  ({seconds / baseline[width]:.1f}x soxr)")


if __name__ == "__main__":
    main()

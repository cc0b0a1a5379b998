"""Speed of the procedural soundscapes, per item on one core, mono and stereo, against the 50 ms budget.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_soundscapes.py [--n 80] [--seconds 4]``.

Builds ``--n`` items with ``workers=1`` in a temporary folder, mono then stereo, and prints the
wall time and the CPU time of this process per item (the CPU time leaves out waiting for the disk:
every file is written with ``atomic_write``, which flushes it to disk), then the share of each
stage for one item of each class, in CPU time: synthesis with the room, and painting.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from a2i_studio.datasets.soundscapes import LABELS, SAMPLE_RATE, make_soundscapes
from a2i_studio.datasets.soundscapes._pictures import paint
from a2i_studio.datasets.soundscapes._sounds import SOUNDS, draw_parameters, mix_down

BUDGET_MS = 50.0
"""The issue's limit per item per core."""


def stage_ms(seconds: float, stereo: bool) -> tuple[float, float]:
    """Mean CPU milliseconds of synthesis (with the room) and of painting over one item of each class."""
    sound = picture = 0.0
    for index, label in enumerate(LABELS):
        rng = np.random.default_rng([0, index])
        scene = draw_parameters(label, rng)
        start = time.process_time()
        main, ambience = SOUNDS[label](rng, int(seconds * SAMPLE_RATE), SAMPLE_RATE, scene)
        mix_down(rng, main, ambience, SAMPLE_RATE, 0.3 if stereo else None)
        middle = time.process_time()
        paint(label, rng, scene, 0.62 if stereo else None)
        sound, picture = sound + middle - start, picture + time.process_time() - middle
    return 1000 * sound / len(LABELS), 1000 * picture / len(LABELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=80, help="items per run (a multiple of 8 keeps classes balanced)")
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length")
    args = parser.parse_args()
    print(f"{args.n} items of {args.seconds:g} s, one worker; budget {BUDGET_MS:g} ms per item")
    for stereo in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            wall, cpu = time.perf_counter(), time.process_time()
            make_soundscapes(Path(folder), args.n, seed=0, seconds=args.seconds, workers=1, stereo=stereo)
            wall_ms = 1000 * (time.perf_counter() - wall) / args.n
            cpu_ms = 1000 * (time.process_time() - cpu) / args.n
        stage_ms(args.seconds, stereo)  # warm-up
        sound, picture = stage_ms(args.seconds, stereo)
        name = "stereo" if stereo else "mono"
        print(f"{name:>6}: {wall_ms:5.1f} ms wall ({wall_ms / BUDGET_MS:.2f}x budget), {cpu_ms:5.1f} ms CPU "
              f"({cpu_ms / BUDGET_MS:.2f}x); of the CPU time: sound {sound:.1f} ms, picture {picture:.1f} ms")


if __name__ == "__main__":
    main()

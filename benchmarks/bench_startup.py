"""Start-up time of ``a2i --help`` and ``a2i plugins list`` against a bare interpreter.

Run: ``python benchmarks/bench_startup.py [--runs N]``. Target: under 0.25 s
above ``python -c pass``, measured in the same run (medians of N runs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "a2i --help": [sys.executable, "-m", "a2i_studio.cli", "--help"],
    "a2i plugins list": [sys.executable, "-m", "a2i_studio.cli", "plugins", "list"],
}


def _median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for command in COMMANDS.values():  # warm the file cache
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    medians = {name: _median_seconds(command, runs) for name, command in COMMANDS.items()}
    bare = medians["python -c pass"]
    print(f"{'command':20s} {'median s':>9s} {'above bare s':>13s} {'ratio':>6s}  target")
    for name, seconds in medians.items():
        verdict = "" if name.startswith("python") else ("ok" if seconds - bare < 0.25 else "MISSED (< 0.25 s)")
        print(f"{name:20s} {seconds:9.3f} {seconds - bare:13.3f} {seconds / bare:6.2f}  {verdict}")


if __name__ == "__main__":
    main()

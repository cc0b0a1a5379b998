"""Training-step time of the pixel transformer's default preset in float32 and bfloat16, and what ``auto`` picks.

Run: ``python benchmarks/bench_precision.py [--steps 3] [--threads 1]``.
Each case runs in its own process: this CPU as it is, and this CPU with
oneDNN held to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``), which is how a CPU without
native bfloat16 runs it. For each it prints seconds per optimisation step
(batch 16, the preset's model) in float32 and under bfloat16 autocast, their
ratio, and the precision ``--precision auto`` chooses there; ``auto`` should
pick the faster one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def measure(steps: int, threads: int) -> dict[str, object]:
    """Seconds per step in float32 and bfloat16 in this process, and ``auto``'s choice."""
    import torch
    from torch.nn import functional

    from a2i_plugins.pixel_transformer._model import PixelTransformer
    from a2i_plugins.pixel_transformer._presets import PRESETS
    from a2i_studio.training import resolve_precision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = PRESETS["default"].config
    model = PixelTransformer(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    logs = torch.randn(16, config.sections, config.bins)
    tokens = torch.randint(0, 256, (16, config.sequence_length))

    def step(bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(logs, tokens)
            loss = functional.cross_entropy(logits.float().flatten(0, 1), tokens.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    seconds = {}
    for name, bf16 in (("no", False), ("bf16", True)):
        step(bf16)  # warm-up: kernels, optimizer state
        start = time.perf_counter()
        for _ in range(steps):
            step(bf16)
        seconds[name] = (time.perf_counter() - start) / steps
    return {"seconds": seconds, "auto": resolve_precision("auto")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per precision (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.steps, arguments.threads)))
        return
    print(f"{'CPU':28s} {'float32 s/step':>15s} {'bf16 s/step':>12s} {'bf16/fp32':>10s}  auto picks")
    for label, isa in (("this CPU", None), ("oneDNN held to AVX2", "AVX2")):
        env = {**os.environ, **({"ONEDNN_MAX_CPU_ISA": isa} if isa else {})}
        command = [sys.executable, __file__, "--measure", "--steps", str(arguments.steps),
                   "--threads", str(arguments.threads)]
        result = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
        seconds = result["seconds"]
        ratio = seconds["bf16"] / seconds["no"]
        faster = "bf16" if ratio < 1 else "no"
        verdict = "ok" if result["auto"] == faster else "SLOWER CHOICE"
        print(f"{label:28s} {seconds['no']:15.2f} {seconds['bf16']:12.2f} {ratio:10.2f}  {result['auto']} ({verdict})")


if __name__ == "__main__":
    main()

"""Generators for the GUI tests, dropped in next to the toy plugin (they read its ``toy`` space).

``slow-gen`` takes 40 steps of 25 ms with a preview at each, so a test can
cancel it mid-run; ``oom-gen`` runs out of memory the way torch does;
``crash-gen`` has a bug; ``weighty-gen`` needs weights nobody downloaded.
With ``GUI_TEST_SIGKILL_ON_CALL=K`` in the environment, ``slow-gen`` kills its own
process with SIGKILL halfway through its K-th call: a crash at a known point.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from a2i_studio.core import Generator, IntParam, Space, WeightSpec
from a2i_studio.hookspecs import hookimpl

__version__ = "0.0.1"

TOY = Space("toy", (8,))


class SlowGenerator(Generator):
    """Grey images after many short steps, each with a preview."""

    id = "slow-gen"
    name = "Slow generator"
    description = "Takes about a second; for cancelling."
    input_space = TOY
    params = (IntParam("steps", 40, "steps of 25 ms", minimum=1, maximum=400),)
    calls = 0

    def generate(self, value: Any, params: Any, ctx: Any) -> list[Any]:
        from PIL import Image

        SlowGenerator.calls += 1
        kill_on = int(os.environ.get("GUI_TEST_SIGKILL_ON_CALL", "0"))
        for step in range(params["steps"]):
            if SlowGenerator.calls == kill_on and step == params["steps"] // 2:
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.025)
            ctx.report(step + 1, params["steps"], "slowly", Image.new("RGB", (16, 16), (step * 6, 0, 0)))
        return [Image.new("RGB", (32, 32), (seed % 256, 128, 128)) for seed in ctx.seeds]


class OomGenerator(Generator):
    """Runs out of memory like a too-large model on a small GPU."""

    id = "oom-gen"
    name = "Out of memory"
    description = "Raises torch.OutOfMemoryError."
    input_space = TOY

    def generate(self, value: Any, params: Any, ctx: Any) -> list[Any]:
        import torch

        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


class CrashGenerator(Generator):
    """Has a bug."""

    id = "crash-gen"
    name = "Crash"
    description = "Raises ZeroDivisionError."
    input_space = TOY

    def generate(self, value: Any, params: Any, ctx: Any) -> list[Any]:
        return [1 // 0]


class WeightyGenerator(Generator):
    """Needs a checkpoint in the models folder."""

    id = "weighty-gen"
    name = "Weighty"
    description = "Needs gui-test-weights."
    input_space = TOY
    weights = (
        WeightSpec(
            name="gui-test-weights",
            filename="gui-test.safetensors",
            description="GUI test checkpoint",
            size_bytes=1234,
            url="https://example.invalid/gui-test.safetensors",
        ),
    )


@hookimpl
def a2i_register_spaces(registry: Any) -> None:
    registry.add_space(TOY)


@hookimpl
def a2i_register_components(registry: Any) -> None:
    registry.add_generator(SlowGenerator())
    registry.add_generator(OomGenerator())
    registry.add_generator(CrashGenerator())
    registry.add_generator(WeightyGenerator())

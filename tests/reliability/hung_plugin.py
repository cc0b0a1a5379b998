"""A plugin that hangs in a call that ignores cancel, until the file named by ``A2I_TEST_RELEASE`` exists.

``hung-gen`` (reading the toy plugin's ``toy`` space) never returns from
``generate``; with ``A2I_TEST_HANG_AT_IMPORT`` set, importing the plugin hangs
too. What Quit must never wait for without a bound.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from a2i_studio.core import Generator, Space
from a2i_studio.hookspecs import hookimpl

__version__ = "0.0.1"


def _hang() -> None:
    release = Path(os.environ["A2I_TEST_RELEASE"])
    while not release.exists():
        time.sleep(0.02)


if os.environ.get("A2I_TEST_HANG_AT_IMPORT"):
    _hang()


class HungGenerator(Generator):
    """Blocks until released, whatever the cancel token says."""

    id = "hung-gen"
    name = "Hung generator"
    description = "Never returns until the test releases it."
    input_space = Space("toy", (8,))

    def generate(self, value: Any, params: Any, ctx: Any) -> list[Any]:
        ctx.report(0, 1, "hanging")
        _hang()
        return []


@hookimpl
def a2i_register_components(registry: Any) -> None:
    registry.add_generator(HungGenerator())

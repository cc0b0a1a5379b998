"""Kit example, a numpy-only generator: a chain of numpy-only components never imports torch.

needs_torch = False, random numbers from ctx.numpy_generators(). Uses only the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2i_studio.core import MFCC_SUMMARY, Generator, IntParam, Registry, RunContext
from a2i_studio.hookspecs import hookimpl


class NumpyGrid(Generator):
    """A grey grid of the summary's values plus seeded noise."""

    id = "grid"
    name = "Numpy grid"
    description = "Grey grid from an MFCC summary, numpy only (kit example)."
    input_space = MFCC_SUMMARY
    needs_torch = False
    params = (IntParam("noise", 20, "noise amplitude in grey levels", 0, 128),)

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Any]:
        import numpy as np
        from PIL import Image

        values = np.asarray(value, dtype=np.float64).reshape(8, 13)
        grey = 255 * (values - values.min()) / (np.ptp(values) or 1.0)
        images = []
        for generator in ctx.numpy_generators():
            noisy = grey + generator.uniform(-params["noise"], params["noise"], grey.shape)
            images.append(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L").convert("RGB"))
        return images


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    registry.add_generator(NumpyGrid())

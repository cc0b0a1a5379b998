"""Kit example, a torch generator: an MFCC summary as seeded stripes, with progress and previews.

Image i depends on ctx.seeds[i] alone (random numbers come from
ctx.cpu_generators()); ctx.report() sends progress with a preview and stops
at a cancel. Uses only the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2i_studio.core import MFCC_SUMMARY, ChoiceParam, Generator, IntParam, Registry, RunContext
from a2i_studio.hookspecs import hookimpl


class StripesGenerator(Generator):
    """Rows of colour whose brightness follows the summary, jittered by seeded noise, refined in ``steps``."""

    id = "stripes"
    name = "Stripes"
    description = "Seeded stripes from an MFCC summary (kit example)."
    input_space = MFCC_SUMMARY
    params = (
        IntParam("steps", 3, "refinement steps", 1, 20),
        IntParam("size", 24, "width and height in pixels", 8, 256),
        ChoiceParam("palette", "warm", "colours", ("warm", "cold")),
    )

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Any]:
        import torch
        from PIL import Image

        size, steps = params["size"], params["steps"]
        levels = torch.as_tensor(value, dtype=torch.float32).flatten()
        rows = torch.nn.functional.interpolate(torch.sigmoid(levels)[None, None], size=size)[0, 0]
        tint = torch.tensor([1.0, 0.6, 0.3] if params["palette"] == "warm" else [0.3, 0.6, 1.0])
        images = []
        for index, generator in enumerate(ctx.cpu_generators()):
            pixels = rows[:, None, None].expand(size, size, 3) * tint
            for step in range(steps):
                noise = torch.rand(size, size, 3, generator=generator)
                pixels = (pixels + 0.2 * noise / (step + 1)).clamp(0, 1)
                preview = Image.fromarray((pixels * 255).byte().numpy(), "RGB")
                ctx.report(index * steps + step + 1, len(ctx.seeds) * steps, "stripes", preview)
            images.append(Image.fromarray((pixels * 255).round().byte().numpy(), "RGB"))
        return images


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    registry.add_generator(StripesGenerator())

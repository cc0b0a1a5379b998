"""The package ``a2i plugins new NAME`` writes: a plugin that installs and runs as it is.

The example component is a weight-free generator in the ``mfcc-summary``
space, so ``a2i generate sound.wav --chain "mfcc>NAME"`` works right after
``pip install -e NAME``; the README's plugin-author guide walks through it.
"""

from __future__ import annotations

import re
from pathlib import Path

from a2i_studio import __version__
from a2i_studio.errors import A2IError

__all__ = ["write_plugin_package"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "a2i-{dash}"
version = "0.1.0"
description = "An a2i-studio plugin: {name}"
requires-python = ">=3.11"
dependencies = ["a2i-studio>={app_version}"]

# This line is what makes a2i-studio find the plugin.
[project.entry-points.a2i_studio]
{name} = "a2i_{name}"

[tool.setuptools.packages.find]
where = ["src"]
"""

_MODULE = '''\
"""a2i-studio plugin {name}: draws a clip's MFCC summary as a colour grid.

Replace the generator with your own. Keep heavy imports (torch, diffusers)
inside methods such as ``load()`` so ``a2i --help`` stays instant.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_studio.core import MFCC_SUMMARY, Generator, IntParam, RunContext
from a2i_studio.hookspecs import hookimpl

if TYPE_CHECKING:
    from PIL.Image import Image

__version__ = "0.1.0"


class {cls}Generator(Generator):
    """104 MFCC statistics -> an 8 x 13 grid of colours; the seed shifts the palette."""

    id = "{name}"
    name = "{title} grid"
    description = "Draws the MFCC summary as a grid of colours (example plugin)."
    version = "1"
    input_space = MFCC_SUMMARY
    params = (IntParam("size", 256, "image width and height in pixels", minimum=16, maximum=1024),)

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        from PIL import Image as PILImage

        import numpy as np

        numbers = np.asarray(value, dtype=np.float64).reshape(-1).tolist()  # arrays and CPU tensors alike
        low, high = min(numbers), max(numbers)
        levels = [(x - low) / (high - low or 1.0) for x in numbers]
        images = []
        for index, seed in enumerate(ctx.seeds):
            shift = random.Random(seed).random()
            grid = PILImage.new("RGB", (13, 8))
            grid.putdata([_colour(level, shift) for level in levels])
            images.append(grid.resize((params["size"], params["size"]), PILImage.Resampling.NEAREST))
            ctx.report(index + 1, len(ctx.seeds), "drawing")
        return images


def _colour(level: float, shift: float) -> tuple[int, int, int]:
    hue = (level + shift) % 1.0
    return (int(255 * hue), int(255 * level), int(255 * (1.0 - hue)))


@hookimpl
def a2i_register_components(registry: Any) -> None:
    """Add the example generator."""
    registry.add_generator({cls}Generator())
'''

_TEST = '''\
"""Checks the plugin through a2i-studio's own registry, as the app loads it."""

from __future__ import annotations

import torch

import a2i_{name}
from a2i_studio.core import Registry, RunContext


def test_generator_draws_one_image_per_seed() -> None:
    registry = Registry()
    a2i_{name}.a2i_register_components(registry)
    generator = registry.get("generator", "{name}")
    value = torch.linspace(-1.0, 1.0, 104)  # encoders hand over tensors or numpy arrays
    ctx = RunContext(device="cpu", dtype="float32", seeds=(1, 2))
    images = generator.generate(value, {{"size": 32}}, ctx)
    assert [image.size for image in images] == [(32, 32), (32, 32)]
    assert images[0].tobytes() != images[1].tobytes()
    again = generator.generate(value, {{"size": 32}}, RunContext(device="cpu", dtype="float32", seeds=(2,)))
    assert again[0].tobytes() == images[1].tobytes()
'''

_README = """\
# a2i-{dash}

An a2i-studio plugin. Install it next to a2i-studio and check that it loads:

    pip install -e .
    a2i plugins list
    a2i generate sound.wav --chain "mfcc>{name}"    # any sound file; quote the chain: > redirects
    pytest tests
"""


def write_plugin_package(name: str, parent: Path) -> Path:
    """Write the plugin package ``a2i-NAME`` under ``parent``; returns its folder.

    Raises:
        A2IError: If the name is not a valid module name or the folder exists.
    """
    if not _NAME.match(name):
        raise A2IError(f"Plugin name {name!r} must be 2-41 lowercase letters, digits or '_', starting with a letter.")
    dash = name.replace("_", "-")
    root = parent / f"a2i-{dash}"
    if root.exists():
        raise A2IError(f"{root} already exists; choose another name or --dir.")
    fields = {
        "name": name,
        "dash": dash,
        "cls": "".join(part.title() for part in name.split("_")),
        "title": name.replace("_", " ").title(),
        "app_version": __version__,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        f"src/a2i_{name}/__init__.py": _MODULE,
        f"tests/test_{name}.py": _TEST,
        "README.md": _README,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
    return root

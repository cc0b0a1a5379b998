"""What a training run leaves behind for people: a loss-curve PNG and a metrics JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from a2i_studio.files import atomic_write_json

__all__ = ["plot_loss_curves", "write_json"]

_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189))


def write_json(path: Path, value: Mapping[str, Any]) -> None:
    """Write ``value`` as indented JSON, atomically (:func:`a2i_studio.files.atomic_write_json`)."""
    atomic_write_json(path, value)


def plot_loss_curves(
    path: Path,
    curves: Mapping[str, Sequence[float]],
    *,
    title: str = "loss",
    size: tuple[int, int] = (640, 400),
) -> None:
    """Draw one line per curve against the epoch number and save it as a PNG.

    Curves may differ in length (epoch ``i`` of each is ``curves[name][i]``); the
    y axis is logarithmic when every value is positive and they span more than a
    factor of 20, as losses usually do.

    Args:
        path: The PNG to write.
        curves: Values by name, e.g. ``{"train": [...], "val": [...]}``.
        title: Shown at the top.
        size: Width and height in pixels.
    """
    width, height = size
    left, right, top, bottom = 70, 20, 30, 40
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    values = [value for curve in curves.values() for value in curve if math.isfinite(value)]
    epochs = max((len(curve) for curve in curves.values()), default=0)
    draw.text((left, 8), title, fill="black")
    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    if values and epochs:
        low, high = min(values), max(values)
        logarithmic = low > 0 and high / low > 20
        scale = math.log10 if logarithmic else float
        low_s, high_s = scale(low), scale(high)
        span = (high_s - low_s) or 1.0

        def point(epoch: int, value: float) -> tuple[float, float]:
            x = left + (width - left - right) * (epoch / max(epochs - 1, 1))
            y = height - bottom - (height - top - bottom) * (scale(value) - low_s) / span
            return x, y

        for tick in range(5):
            fraction = tick / 4
            y = height - bottom - (height - top - bottom) * fraction
            label = low_s + span * fraction
            draw.line([(left - 4, y), (left, y)], fill="black")
            draw.text((4, y - 6), f"{10**label if logarithmic else label:.3g}", fill="black")
        draw.text((width // 2 - 20, height - bottom + 12), f"epoch (1-{epochs})", fill="black")
        for index, (name, curve) in enumerate(curves.items()):
            colour = _COLOURS[index % len(_COLOURS)]
            points = [point(epoch, value) for epoch, value in enumerate(curve) if math.isfinite(value)]
            if len(points) > 1:
                draw.line(points, fill=colour, width=2)
            for x, y in points:
                draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
            draw.text((width - right - 120, top + 8 + 14 * index), f"-- {name}", fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)

"""A tiny dataset whose pictures follow their rows' attributes, like the soundscapes of issue 20.

Two classes on 64 px pictures: ``sun`` draws one disc whose brightness follows
``intensity`` at ``x = source_x`` (the row's ``pan`` is ``2 source_x - 1``); ``birds`` draws
``count`` small discs whose size follows ``intensity``, and has no pan. Each row has a
0.5 s tone at 8 kHz, enough for the toy encoder.
"""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIDE = 64


def _tone(path: Path, frequency: float) -> None:
    samples = (0.3 * np.sin(2 * np.pi * frequency * np.arange(4000) / 8000) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(samples.tobytes())


def make_attribute_dataset(folder: Path, per_class: int, seed: int = 0) -> Path:
    """Write ``per_class`` rows of each class (pictures, tones, ``metadata.csv``) to ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for label in ("birds", "sun"):
        for index in range(per_class):
            name = f"{label}-{index:03d}"
            intensity = float(rng.uniform(0, 1))
            picture = Image.new("RGB", (SIDE, SIDE), (20, 30, 60))
            draw = ImageDraw.Draw(picture)
            attributes = {"intensity": f"{intensity:.4f}", "count": "", "pan": "", "source_x": ""}
            if label == "sun":
                x = float(rng.uniform(0.15, 0.85))
                level = int(80 + 175 * intensity)
                draw.ellipse((x * SIDE - 8, 24, x * SIDE + 8, 40), fill=(level, level, 0))
                attributes.update(pan=f"{2 * x - 1:.4f}", source_x=f"{x:.4f}")
            else:
                count = int(rng.integers(1, 5))
                radius = 2 + 4 * intensity
                for _ in range(count):
                    cx, cy = rng.uniform(8, SIDE - 8, size=2)
                    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(230, 230, 230))
                attributes["count"] = str(count)
            picture.save(folder / f"{name}.png")
            _tone(folder / f"{name}.wav", 200 + 600 * intensity)
            rows.append({"audio": f"{name}.wav", "image": f"{name}.png", "label": label, **attributes})
    with (folder / "metadata.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder

"""Render the README's video example: the 20 s clip of the four bundled sounds, with the bundled default chain.

Run from the repository root: ``python packaging/video_example.py``. It joins
``a2i_resources/sounds/{rain,forest,beach,thunderstorm}.wav`` (5 s each) into one
clip in a temporary folder, renders it with the default chain (``a2i render``'s
defaults: 24 fps, 2 s windows, 0.1/0.3 s attack/release, one random draw,
``variation`` following the loudness), and saves

- ``docs/render-example.gif``: the video at 8 fps and 96 px (a GIF has no sound);
- ``docs/render-strip.png``: one frame each second, 20 in two rows, labelled by scene.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image, ImageDraw

from a2i_studio.engine import Engine
from a2i_studio.frames import Modulation, RenderRequest, VideoSettings, render
from a2i_studio.plugins import PluginManager

ROOT = Path(__file__).resolve().parents[1]
SCENES = ("rain", "forest", "beach", "thunderstorm")
TILE = 96


def main() -> None:
    """Render and save the GIF and the strip into docs/."""
    engine = Engine(PluginManager().load().registry)
    modulation = (Modulation("aegan-sharp.variation", "loudness", 0.1, 0.6),)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        clip = folder / "example.wav"
        sounds = ROOT / "a2i_resources" / "sounds"
        parts = [soundfile.read(sounds / f"{name}.wav", dtype="float32")[0] for name in SCENES]
        soundfile.write(clip, np.concatenate(parts), 16_000)
        gif = ROOT / "docs" / "render-example.gif"
        result = render(engine, RenderRequest(clip, gif, seed=3, settings=VideoSettings(
            fps=8.0, width=TILE, height=TILE, modulations=modulation)))
        gif.with_name(gif.name + ".a2i.json").unlink()  # its recipe names this temporary clip; the docs keep the GIF
        assert result.frames == 160
        frames = folder / "frames"
        render(engine, RenderRequest(clip, frames, seed=3, settings=VideoSettings(fps=24.0, modulations=modulation)))
        pictures = sorted(frames.glob("*.png"))
        strip = Image.new("RGB", (10 * TILE, 2 * (TILE + 14)), "white")
        draw = ImageDraw.Draw(strip)
        for second in range(20):
            with Image.open(pictures[second * 24 + 12]) as picture:
                tile = picture.convert("RGB").resize((TILE, TILE), Image.Resampling.BICUBIC)
            x, y = (second % 10) * TILE, (second // 10) * (TILE + 14)
            strip.paste(tile, (x, y + 14))
            draw.text((x + 3, y + 1), f"{second + 0.5:g} s {SCENES[second // 5]}", fill="black")
        strip.save(ROOT / "docs" / "render-strip.png", optimize=True)
    for name in ("render-example.gif", "render-strip.png"):
        print(f"docs/{name}: {(ROOT / 'docs' / name).stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()

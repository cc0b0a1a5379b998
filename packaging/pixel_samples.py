"""Make the pixel transformer's ``samples.png``: one held-out clip per class, its real picture and four samples.

Run from the repository root: ``python packaging/pixel_samples.py HELDOUT``, where
``HELDOUT`` is a soundscapes folder made with a seed the model never saw (the
model card uses ``a2i datasets make soundscapes --out heldout --n 400 --seed 1``).
Rows are the classes; columns: the real picture, its 32x32 version, then the
bundled ``fft>pixel`` chain's pictures for seeds 0-3 (at its defaults). Saves
``a2i_resources/pixel_transformer/samples.png``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

from a2i_studio.datasets import read_dataset
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.plugins import PluginManager

ROOT = Path(__file__).resolve().parents[1]
TILE = 96
SEEDS = 4


def main(heldout: Path) -> None:
    """Render one row per class of ``heldout`` and save the sheet."""
    engine = Engine(PluginManager().load().registry)
    firsts = {}
    for item in read_dataset(heldout):
        firsts.setdefault(item.label, item)
    labels = sorted(firsts)
    label_width = 90
    sheet = Image.new("RGB", (label_width + (2 + SEEDS) * TILE, len(labels) * TILE), "white")
    draw = ImageDraw.Draw(sheet)
    for row, label in enumerate(labels):
        item = firsts[label]
        assert item.audio is not None and item.image is not None
        with Image.open(item.image) as real:
            real_rgb = real.convert("RGB")
        small = real_rgb.resize((32, 32), Image.Resampling.BOX)
        request = GenerationRequest(audio=item.audio, chain="fft>pixel", seed=0, n=SEEDS,
                                    params={"pixel": {"display_size": TILE}})
        samples = [result.image for result in engine.generate(request)]
        tiles = [real_rgb.resize((TILE, TILE), Image.Resampling.BOX),
                 small.resize((TILE, TILE), Image.Resampling.NEAREST), *samples]
        y = row * TILE
        draw.text((4, y + TILE // 2 - 6), label, fill="black")
        for column, tile in enumerate(tiles):
            sheet.paste(tile.convert("RGB").resize((TILE, TILE)), (label_width + column * TILE, y))
    out = ROOT / "a2i_resources" / "pixel_transformer" / "samples.png"
    sheet.save(out, optimize=True)
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/pixel_samples.py HELDOUT_DATASET_FOLDER")
    main(Path(sys.argv[1]))

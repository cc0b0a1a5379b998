"""Make the bundled AE-GAN's pictures for the README and its model card, from a held-out soundscapes set.

Run from the repository root, after making the held-out set::

    a2i datasets make soundscapes --out heldout --n 400 --seed 2026 --stereo
    python packaging/aegan_sheet.py --data heldout

Every picture comes from ``a2i generate``'s engine with the default chain
(``--chain`` for another) at generation seed 0, from the item's clip alone. It saves

- ``docs/aegan-sheet.png``: per class, the real picture (top) and the generated one
  (below) for the items of lowest to highest ``intensity`` (4 columns), then the
  items panned furthest left and right (2 columns);
- ``a2i_resources/aegan/samples.png``: held-out truth (top row) and the model's
  picture (below), 2 items per class.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from a2i_studio.datasets import PairedItem, read_dataset
from a2i_studio.engine import DEFAULT_CHAIN, Engine, GenerationRequest
from a2i_studio.plugins import PluginManager

ROOT = Path(__file__).resolve().parents[1]
TILE = 96
LABEL_WIDTH = 78
HEADER = 16


def _tile(picture: Image.Image) -> Image.Image:
    return picture.convert("RGB").resize((TILE, TILE), Image.Resampling.LANCZOS)


def _real(item: PairedItem) -> Image.Image:
    with Image.open(item.image or "") as picture:
        return _tile(picture)


def _pick(items: list[PairedItem]) -> list[PairedItem]:
    """Four items from the quietest to the most intense, then the ones panned furthest left and right."""
    by_intensity = sorted(items, key=lambda item: item.attributes["intensity"])
    quantiles = [by_intensity[round(q * (len(by_intensity) - 1))] for q in np.linspace(0, 1, 4)]
    by_pan = sorted(items, key=lambda item: item.attributes.get("pan", 0.0))
    return [*quantiles, by_pan[0], by_pan[-1]]


def _caption(item: PairedItem, column: int) -> str:
    if column < 4:
        return f"intensity {item.attributes['intensity']:.2f}"
    return f"pan {item.attributes.get('pan', 0.0):+.2f}"


def main() -> None:
    """Generate the pictures and save both sheets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="held-out soundscapes folder (made with --stereo)")
    parser.add_argument("--chain", default=DEFAULT_CHAIN, help=f"chain to draw with (default: {DEFAULT_CHAIN})")
    args = parser.parse_args()
    engine = Engine(PluginManager().load().registry)
    dataset = read_dataset(args.data)
    by_label: dict[str, list[PairedItem]] = {}
    for item in dataset:
        by_label.setdefault(item.label or "", []).append(item)

    def generated(item: PairedItem) -> Image.Image:
        [result] = engine.generate(GenerationRequest(audio=Path(item.audio or ""), chain=args.chain, seed=0))
        return _tile(result.image)

    # 1. The sheet: per class, real over generated, by intensity then by pan.
    labels = sorted(by_label)
    row_height = 2 * TILE + HEADER
    sheet = Image.new("RGB", (LABEL_WIDTH + 6 * TILE, len(labels) * row_height), "white")
    draw = ImageDraw.Draw(sheet)
    for row, label in enumerate(labels):
        top = row * row_height
        draw.text((4, top + HEADER + TILE - 8), label, fill="black")
        draw.text((4, top + HEADER + 4), "real", fill="grey")
        draw.text((4, top + HEADER + TILE + 4), "generated", fill="grey")
        for column, item in enumerate(_pick(by_label[label])):
            x = LABEL_WIDTH + column * TILE
            draw.text((x + 3, top + 2), _caption(item, column), fill="black")
            sheet.paste(_real(item), (x, top + HEADER))
            sheet.paste(generated(item), (x, top + HEADER + TILE))
    sheet.quantize(256).save(ROOT / "docs" / "aegan-sheet.png", optimize=True)  # 256 colours: a third of the bytes

    # 2. The model card's samples: the first two items of each class.
    samples = Image.new("RGB", (2 * len(labels) * TILE, 2 * TILE), "white")
    for index, item in enumerate(item for label in labels for item in by_label[label][:2]):
        samples.paste(_real(item), (index * TILE, 0))
        samples.paste(generated(item), (index * TILE, TILE))
    samples.quantize(256).save(ROOT / "a2i_resources" / "aegan" / "samples.png", optimize=True)
    for path in (ROOT / "docs" / "aegan-sheet.png", ROOT / "a2i_resources" / "aegan" / "samples.png"):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()

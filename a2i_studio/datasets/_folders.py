"""Reading and writing dataset folders: ``metadata.csv`` or ``label/clip.wav`` class folders."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path

from a2i_studio.datasets._paired import PairedDataset, PairedItem
from a2i_studio.errors import DatasetError
from a2i_studio.files import atomic_write

__all__ = ["AUDIO_SUFFIXES", "IMAGE_SUFFIXES", "METADATA", "read_dataset", "write_metadata"]

METADATA = "metadata.csv"
"""The file name of a dataset's table of pairs."""

COLUMNS = ("audio", "image", "label", "prompt")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
"""Audio files a class folder may hold."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""Image files that pair with the audio file of the same stem in a class folder."""


def read_dataset(path: Path | str) -> PairedDataset:
    """Read a dataset folder.

    A folder with ``metadata.csv`` is read from that table: a header naming some
    of the columns ``audio, image, label, prompt`` (``audio`` or ``image`` at
    least; other columns with numbers become each row's ``attributes``), paths relative to the folder, and any
    cell may be empty. A folder without it is read as class folders:
    ``label/clip.wav`` with an optional ``label/clip.png`` beside each clip.

    Args:
        path: The dataset folder.

    Returns:
        The dataset, rows in file order (class folders: sorted by label, then file name).

    Raises:
        DatasetError: For a missing folder, an unreadable or malformed row, a file a
            row names that does not exist, or a dataset with no items.
    """
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise DatasetError(f"Dataset folder {root} does not exist; check the path.")
    metadata = root / METADATA
    items = _read_metadata(metadata) if metadata.exists() else _read_class_folders(root)
    if not items:
        raise DatasetError(
            f"Dataset {root} has no items; fill {METADATA} or add label/clip.wav class folders."
        )
    return PairedDataset(root, tuple(items))


def write_metadata(root: Path | str, items: Iterable[PairedItem]) -> Path:
    """Write ``root/metadata.csv`` for ``items``, with paths relative to ``root``.

    The file is written atomically, so a reader never sees half of it.

    Args:
        root: The dataset folder; every item's files must lie under it.
        items: The rows to write.

    Returns:
        The path of the written file.

    Raises:
        DatasetError: If a file of an item lies outside ``root``.
    """
    root = Path(root).resolve()
    target = root / METADATA
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    rows = list(items)
    extra = list(dict.fromkeys(name for item in rows for name in item.attributes))
    writer.writerow((*COLUMNS, *extra))
    for item in rows:
        numbers = [_number_cell(item.attributes.get(name)) for name in extra]
        writer.writerow([_relative(root, item.audio), _relative(root, item.image), item.label, item.prompt, *numbers])
    atomic_write(target, text.getvalue())
    return target


def _number_cell(value: float | None) -> str:
    """A number as ``metadata.csv`` stores it: whole numbers without a point, others to 6 significant digits."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _attributes(cells: dict[str, str]) -> dict[str, float]:
    """The numeric cells of the columns beyond :data:`COLUMNS`; text and empty cells are left out."""
    numbers = {}
    for name, cell in cells.items():
        if name in COLUMNS or not cell:
            continue
        try:
            value = float(cell)
        except ValueError:
            continue
        if math.isfinite(value):
            numbers[name] = value
    return numbers


def _relative(root: Path, path: Path | None) -> str:
    if path is None:
        return ""
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root):
        raise DatasetError(f"{path} lies outside the dataset folder {root}; copy it into the folder first.")
    return resolved.relative_to(root).as_posix()


def _read_metadata(metadata: Path) -> list[PairedItem]:
    root = metadata.parent
    try:
        with metadata.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"{metadata} cannot be read ({error}); save it as UTF-8 CSV.") from None
    if not rows:
        raise DatasetError(f"{metadata} is empty; its first line must name the columns {', '.join(COLUMNS)}.")
    header = [name.strip().lower() for name in rows[0]]
    if "audio" not in header and "image" not in header:
        raise DatasetError(
            f"The header of {metadata} names neither an audio nor an image column; "
            f"its first line must name some of {', '.join(COLUMNS)}."
        )
    items = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(
                f"Line {line} of {metadata} has {len(row)} fields but the header has {len(header)}; "
                "quote cells that contain commas."
            )
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        items.append(
            PairedItem(
                audio=_existing(root, cells.get("audio", ""), metadata, line),
                image=_existing(root, cells.get("image", ""), metadata, line),
                label=cells.get("label", ""),
                prompt=cells.get("prompt", ""),
                attributes=_attributes(cells),
            )
        )
    return items


def _existing(root: Path, relative: str, metadata: Path, line: int) -> Path | None:
    if not relative:
        return None
    path = (root / relative).resolve()
    if not path.is_file():
        raise DatasetError(
            f"Line {line} of {metadata} names {relative}, which does not exist; fix the path or the row."
        )
    return path


def _read_class_folders(root: Path) -> list[PairedItem]:
    items = []
    for folder in sorted(child for child in root.iterdir() if child.is_dir() and not child.name.startswith(".")):
        for clip in sorted(folder.iterdir()):
            if clip.suffix.lower() not in AUDIO_SUFFIXES:
                continue
            image = next(
                (clip.with_suffix(suffix) for suffix in IMAGE_SUFFIXES if clip.with_suffix(suffix).is_file()), None
            )
            items.append(PairedItem(audio=clip, image=image, label=folder.name))
    return items

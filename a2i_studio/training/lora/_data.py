"""What a LoRA trains on: images with captions (or clips), checked for problems, in aspect-ratio buckets.

A data folder is one of:

- a paired dataset (``metadata.csv`` with ``audio, image, label, prompt``, or
  ``label/clip.wav`` class folders with an image beside each clip), read by
  :func:`a2i_studio.datasets.read_dataset`;
- a folder of images, each with an optional ``.txt`` caption beside it
  (``bird.png`` + ``bird.txt``); images in sub-folders are labelled with the
  sub-folder's name.

Images without a caption are captioned from the template with their label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from a2i_studio.datasets import AUDIO_SUFFIXES, METADATA, read_dataset
from a2i_studio.errors import DatasetError

__all__ = [
    "IMAGE_SUFFIXES", "DataProblem", "DataReport", "LoraExample", "bucket_sizes", "fit_image", "nearest_bucket",
    "scan_data",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
"""Images a plain image folder may hold."""


@dataclass(frozen=True)
class LoraExample:
    """One training image and what conditions it.

    Attributes:
        image: The image file.
        size: Its width and height in pixels.
        caption: The text it is trained with (captions conditioning).
        audio: The clip it is paired with, if any (audio conditioning).
        label: The row's label or the image's folder name; ``""`` if none.
    """

    image: Path
    size: tuple[int, int]
    caption: str
    audio: Path | None = None
    label: str = ""


@dataclass(frozen=True)
class DataProblem:
    """Something wrong with one file: ``kind`` is ``unreadable``, ``no caption``, ``no audio`` or ``tiny``."""

    path: Path
    kind: str
    message: str


@dataclass
class DataReport:
    """What :func:`scan_data` found: the usable examples, and the problems (skipped files and warnings).

    Attributes:
        folder: The data folder.
        examples: Images that can be trained on, in folder order.
        problems: One entry per problem; ``tiny`` images are still used (upscaled), the others are skipped.
        images: Image files found, usable or not.
    """

    folder: Path
    examples: list[LoraExample] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    images: int = 0

    def summary(self) -> str:
        """One line: how many images, how many usable, how many problems."""
        skipped = self.images - len(self.examples)
        return (f"{self.images} images, {len(self.examples)} usable, {skipped} skipped, "
                f"{len(self.problems)} problem(s)")


def _rows(folder: Path) -> list[tuple[Path, str, str, Path | None]]:
    """``(image, caption, label, audio)`` for every image the folder names, in order."""
    has_class_clips = any(
        child.is_dir() and any(path.suffix.lower() in AUDIO_SUFFIXES for path in child.iterdir())
        for child in folder.iterdir()
        if not child.name.startswith(".")
    )
    if (folder / METADATA).exists() or has_class_clips:
        return [(item.image, item.prompt, item.label, item.audio) for item in read_dataset(folder) if item.image]
    rows: list[tuple[Path, str, str, Path | None]] = []
    for image in sorted(folder.rglob("*")):
        if image.suffix.lower() not in IMAGE_SUFFIXES or any(part.startswith(".") for part in image.parts):
            continue
        caption_file = image.with_suffix(".txt")
        caption = caption_file.read_text(encoding="utf-8").strip() if caption_file.is_file() else ""
        label = image.parent.name if image.parent != folder else ""
        rows.append((image, caption, label, None))
    return rows


def scan_data(folder: Path, *, conditioning: str, template: str, resolution: int) -> DataReport:
    """Read a data folder and check every image: readable, captioned (or paired with a clip), big enough.

    Args:
        folder: The data folder (see the module docstring for the layouts).
        conditioning: ``captions`` or ``audio``: what each image must come with.
        template: Caption of images without one; ``{label}`` is replaced by the label.
        resolution: Images whose shorter side is below half of it are reported as ``tiny``.

    Returns:
        The report; it may hold no examples (see :meth:`DataReport.summary`).

    Raises:
        DatasetError: If the folder does not exist or its ``metadata.csv`` is malformed.
    """
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise DatasetError(f"The data folder {folder} does not exist; check the path.")
    report = DataReport(folder)
    for image, caption, label, audio in _rows(folder):
        report.images += 1
        try:
            with Image.open(image) as opened:
                size = opened.size
                opened.verify()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            report.problems.append(DataProblem(image, "unreadable", f"{image.name} cannot be read ({error})."))
            continue
        if not caption and (label or "{label}" not in template):
            caption = template.replace("{label}", label)
        if conditioning == "captions" and not caption:
            report.problems.append(DataProblem(
                image, "no caption", f"{image.name} has no caption: add {image.with_suffix('.txt').name} or a label."
            ))
            continue
        if conditioning == "audio" and audio is None:
            report.problems.append(DataProblem(image, "no audio", f"{image.name} has no clip in {METADATA}."))
            continue
        if min(size) < resolution / 2:
            report.problems.append(DataProblem(
                image, "tiny", f"{image.name} is {size[0]} x {size[1]}: it will be upscaled and look soft."
            ))
        report.examples.append(LoraExample(image, size, caption, audio, label))
    return report


def bucket_sizes(resolution: int, enabled: bool) -> list[tuple[int, int]]:
    """Bucket ``(width, height)`` sizes of about ``resolution``² pixels, aspect ratios 1:2 to 2:1.

    Sides are multiples of ``resolution / 8`` (64 at 512 px), so every bucket suits the VAE and U-Net.
    With ``enabled`` false there is one square bucket.
    """
    if not enabled:
        return [(resolution, resolution)]
    step = max(8, resolution // 8)
    sizes = set()
    for width in range(resolution // 2 // step * step or step, resolution * 2 + 1, step):
        height = resolution * resolution // width // step * step
        if height and 0.5 <= width / height <= 2.0:
            sizes.add((width, height))
    return sorted(sizes)


def nearest_bucket(size: tuple[int, int], buckets: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The bucket whose aspect ratio is closest to that of ``size`` (width, height)."""
    ratio = math.log(size[0] / size[1])
    return min(buckets, key=lambda bucket: (abs(math.log(bucket[0] / bucket[1]) - ratio), -bucket[0] * bucket[1]))


def fit_image(path: Path, bucket: tuple[int, int], center_crop: bool, crop_at: float) -> Image.Image:
    """The image scaled to cover ``bucket`` and cropped to it (the centre, or at ``crop_at`` in 0..1).

    Raises:
        DatasetError: If the image cannot be read.
    """
    try:
        with Image.open(path) as image:
            rgb = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, SyntaxError, ValueError) as error:
        raise DatasetError(f"The image {path} cannot be read ({error}); replace it or take it out.") from None
    centering = (0.5, 0.5) if center_crop else (crop_at, crop_at)
    return ImageOps.fit(rgb, bucket, Image.Resampling.LANCZOS, centering=centering)

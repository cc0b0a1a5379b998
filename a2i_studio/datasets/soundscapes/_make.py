"""Writing a soundscapes dataset folder, item by item, on one or more worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from a2i_studio.datasets._folders import write_metadata
from a2i_studio.datasets._paired import PairedDataset, PairedItem
from a2i_studio.datasets.soundscapes._pictures import paint
from a2i_studio.datasets.soundscapes._sounds import SOUNDS, draw_parameters, mix_down
from a2i_studio.errors import DatasetError
from a2i_studio.files import atomic_write

__all__ = ["LABELS", "PROMPTS", "SAMPLE_RATE", "make_item", "make_soundscapes", "source_x"]

SAMPLE_RATE = 16_000
"""Sample rate of every clip (16-bit WAV, mono unless the dataset is stereo)."""

LABELS = tuple(SOUNDS)
"""The scene classes, in the order item ``i`` cycles through them (``LABELS[i % 8]``)."""

PROMPTS = {
    "forest": "a forest with tall trees and birds singing",
    "rain": "a grey rainy day with rain falling on the ground",
    "beach": "a sunny beach with ocean waves rolling onto the sand",
    "thunderstorm": "a thunderstorm at night with lightning and dark clouds",
    "fire": "a crackling campfire at night",
    "wind": "a windy meadow with grass bending in the wind",
    "city": "a busy city street with buildings and traffic",
    "church": "a church with a bell tower ringing its bells",
}
"""A caption per scene class, written to the ``prompt`` column."""


@dataclass(frozen=True)
class _Job:
    out: Path
    index: int
    seed: int
    seconds: float
    stereo: bool


def source_x(pan: float) -> float:
    """Where a stereo item draws its main source, as a fraction of the width: ``0.5 + 0.4 * pan`` (6 digits)."""
    return float(f"{0.5 + 0.4 * pan:.6g}")


def make_item(out: Path, index: int, seed: int, seconds: float = 4.0, *, stereo: bool = False) -> PairedItem:
    """Synthesise item ``index``: ``out/<label>/<index>.wav`` and its ``.png``.

    The item's random generator is seeded from ``(seed, index)`` alone, so an item is
    the same whichever worker makes it and however many items are made. The scene
    parameters are drawn once and both the sound and the picture follow them; they are
    the item's attributes: ``intensity`` (0..1), ``count`` for the counting classes, and
    in stereo ``pan`` (-1 left .. +1 right, uniform) and ``source_x`` (see :func:`source_x`).

    Args:
        out: The dataset folder.
        index: The item number; its class is ``LABELS[index % len(LABELS)]``.
        seed: The dataset seed.
        seconds: Clip length.
        stereo: Write a 2-channel clip with the main source panned (constant power) and
            draw the source at the matching horizontal position.

    Returns:
        The written pair.
    """
    label = LABELS[index % len(LABELS)]
    rng = np.random.default_rng([seed, index])
    scene = draw_parameters(label, rng)
    pan = float(f"{rng.uniform(-1.0, 1.0):.6g}")  # as metadata.csv stores it
    main, ambience = SOUNDS[label](rng, int(seconds * SAMPLE_RATE), SAMPLE_RATE, scene)
    signal = mix_down(rng, main, ambience, SAMPLE_RATE, pan if stereo else None)
    signal *= rng.uniform(0.3, 0.9) / (np.abs(signal).max() + 1e-9)
    attributes = dict(scene)
    if stereo:
        attributes |= {"pan": pan, "source_x": source_x(pan)}
    picture = paint(label, rng, scene, attributes.get("source_x"))
    folder = out / label
    audio, image = folder / f"{index:05d}.wav", folder / f"{index:05d}.png"
    atomic_write(audio, lambda temp: soundfile.write(temp, signal.astype(np.float32), SAMPLE_RATE,
                                                     format="WAV", subtype="PCM_16"))
    atomic_write(image, lambda temp: picture.save(temp, format="PNG", compress_level=1))
    return PairedItem(audio=audio.resolve(), image=image.resolve(), label=label, prompt=PROMPTS[label],
                      attributes=attributes)


def _run(job: _Job) -> PairedItem:
    return make_item(job.out, job.index, job.seed, job.seconds, stereo=job.stereo)


def make_soundscapes(
    out: Path | str,
    n: int = 1000,
    seed: int = 0,
    *,
    seconds: float = 4.0,
    workers: int = 2,
    stereo: bool = False,
    on_item: Callable[[int, int], None] | None = None,
) -> PairedDataset:
    """Write a procedural paired dataset of ``n`` scene clips and pictures to ``out``.

    Items cycle through :data:`LABELS`, so the classes are balanced. The folder gets
    ``metadata.csv`` (audio, image, label, prompt, and the attributes :func:`make_item`
    describes as numeric columns) and can also be read as class folders.

    Args:
        out: The folder to write; created if missing. Existing items are overwritten.
        n: Number of pairs.
        seed: Dataset seed; the same seed gives the same files.
        seconds: Length of each clip.
        workers: Worker processes; the output does not depend on it.
        stereo: Write 2-channel clips whose main source is panned and drawn where it sounds.
        on_item: Called with ``(done, n)`` after each item.

    Returns:
        The written dataset.

    Raises:
        DatasetError: If ``n`` or ``seconds`` is not positive.
    """
    if n < 1 or seconds <= 0:
        raise DatasetError(f"A soundscapes dataset needs n >= 1 and seconds > 0, got n={n}, seconds={seconds}.")
    root = Path(out).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    jobs = [_Job(root, index, seed, seconds, stereo) for index in range(n)]
    items: list[PairedItem] = []
    if workers > 1:
        with multiprocessing.Pool(workers) as pool:
            for item in pool.imap(_run, jobs, chunksize=8):
                items.append(item)
                if on_item is not None:
                    on_item(len(items), n)
    else:
        for job in jobs:
            items.append(_run(job))
            if on_item is not None:
                on_item(len(items), n)
    write_metadata(root, items)
    return PairedDataset(root, tuple(items))

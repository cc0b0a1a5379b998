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
from a2i_studio.datasets.soundscapes._sounds import SOUNDS, add_reverb
from a2i_studio.errors import DatasetError

__all__ = ["LABELS", "PROMPTS", "SAMPLE_RATE", "make_item", "make_soundscapes"]

SAMPLE_RATE = 16_000
"""Sample rate of every clip (mono, 16-bit WAV)."""

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


def make_item(out: Path, index: int, seed: int, seconds: float = 4.0) -> PairedItem:
    """Synthesise item ``index``: ``out/<label>/<index>.wav`` and its ``.png``.

    The item's random generator is seeded from ``(seed, index)`` alone, so an item is
    the same whichever worker makes it and however many items are made.

    Args:
        out: The dataset folder.
        index: The item number; its class is ``LABELS[index % len(LABELS)]``.
        seed: The dataset seed.
        seconds: Clip length.

    Returns:
        The written pair.
    """
    label = LABELS[index % len(LABELS)]
    rng = np.random.default_rng([seed, index])
    samples = int(seconds * SAMPLE_RATE)
    signal = add_reverb(rng, SOUNDS[label](rng, samples, SAMPLE_RATE), SAMPLE_RATE)
    signal *= rng.uniform(0.3, 0.9) / (np.abs(signal).max() + 1e-9)
    folder = out / label
    folder.mkdir(parents=True, exist_ok=True)
    audio, image = folder / f"{index:05d}.wav", folder / f"{index:05d}.png"
    soundfile.write(audio, signal.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    paint(label, rng).save(image, optimize=False)
    return PairedItem(audio=audio.resolve(), image=image.resolve(), label=label, prompt=PROMPTS[label])


def _run(job: _Job) -> PairedItem:
    return make_item(job.out, job.index, job.seed, job.seconds)


def make_soundscapes(
    out: Path | str,
    n: int = 1000,
    seed: int = 0,
    *,
    seconds: float = 4.0,
    workers: int = 2,
    on_item: Callable[[int, int], None] | None = None,
) -> PairedDataset:
    """Write a procedural paired dataset of ``n`` scene clips and pictures to ``out``.

    Items cycle through :data:`LABELS`, so the classes are balanced. The folder gets
    ``metadata.csv`` (audio, image, label, prompt) and can also be read as class folders.

    Args:
        out: The folder to write; created if missing. Existing items are overwritten.
        n: Number of pairs.
        seed: Dataset seed; the same seed gives the same files.
        seconds: Length of each clip.
        workers: Worker processes; the output does not depend on it.
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
    jobs = [_Job(root, index, seed, seconds) for index in range(n)]
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

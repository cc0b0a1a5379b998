"""What a batch makes: clips from folders, globs and manifests, times chains, parameter sets and seeds.

Qt-free and torch-free: the CLI and the app's audition grid expand the same
jobs the same way, in the same order (clip-major), so the job list, and which
process of a multi-process run takes which job, depends on the inputs alone.
"""

from __future__ import annotations

import csv
import glob
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2i_studio.errors import ParamError
from a2i_studio.files import expand_paths

__all__ = ["BatchClip", "BatchJob", "ChainRun", "expand_jobs", "read_inputs"]

_MANIFEST_SUFFIXES = (".csv", ".json")
_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class BatchClip:
    """One clip of a batch, or one segment of it.

    Attributes:
        audio: The file (as given, or resolved against its manifest's folder).
        start: Segment start in seconds (``None``: start of the clip).
        end: Segment end in seconds (``None``: end of the clip).
    """

    audio: Path
    start: float | None = None
    end: float | None = None

    def describe(self) -> str:
        """``rain.wav``, or ``rain.wav 2-6 s`` for a segment."""
        if self.start is None and self.end is None:
            return self.audio.name
        return f"{self.audio.name} {self.start or 0:g}-{'' if self.end is None else f'{self.end:g}'} s"


@dataclass(frozen=True)
class ChainRun:
    """A chain and the parameter sets to run it with.

    Attributes:
        chain: ``encoder>adapter*>generator``.
        param_sets: Parameter values by component id, then by name; one job per set
            (the default: one set, every parameter at its default).
        names: A short name of each set for reports and contact sheets (``size=128``).
    """

    chain: str
    param_sets: tuple[Mapping[str, Mapping[str, Any]], ...] = ({},)
    names: tuple[str, ...] = ("defaults",)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.param_sets):
            raise ValueError(f"{len(self.param_sets)} parameter sets but {len(self.names)} names")


@dataclass(frozen=True)
class BatchJob:
    """One image to make.

    Attributes:
        index: Position in the whole batch (the same in every process).
        clip: What to listen to.
        chain: The chain id.
        params: The parameter set.
        params_name: Its short name.
        seed: The image's seed.
    """

    index: int
    clip: BatchClip
    chain: str
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    params_name: str = "defaults"
    seed: int = 0

    def describe(self) -> str:
        """``rain.wav · mfcc>aegan · size=128 · seed 3``."""
        return f"{self.clip.describe()} · {self.chain} · {self.params_name} · seed {self.seed}"


def read_inputs(specs: Iterable[str | Path]) -> list[BatchClip]:
    """Clips from files, folders (their media files, recursively), globs and manifests, in the order given.

    A manifest is a ``.csv`` with an ``audio`` column (and optional ``start``/``end``
    columns, in seconds) or a ``.json`` list of paths or of ``{"audio", "start", "end"}``
    objects; relative paths in it are relative to the manifest's folder. A clip
    listed twice is kept once.

    Raises:
        ParamError: For a glob that matches nothing, a missing file or folder, or a malformed manifest.
    """
    clips: list[BatchClip] = []
    for spec in specs:
        text = str(spec)
        path = Path(text).expanduser()
        if path.is_file() and path.suffix.lower() in _MANIFEST_SUFFIXES:
            clips += _read_manifest(path)
        elif path.exists():
            clips += [BatchClip(file) for file in expand_paths([path])]
        elif _GLOB_CHARACTERS & set(text):
            matches = sorted(Path(match) for match in glob.glob(str(path), recursive=True))  # noqa: PTH207 - absolute patterns
            if not matches:
                raise ParamError(f"The pattern {text!r} matches no file; check it, and quote it for the shell.")
            clips += [BatchClip(file) for file in expand_paths(matches)]
        else:
            raise ParamError(f"{text} does not exist; give audio files, folders, globs or a .csv/.json manifest.")
    return list(dict.fromkeys(clips))


def expand_jobs(clips: Sequence[BatchClip], runs: Sequence[ChainRun], seeds: Sequence[int]) -> list[BatchJob]:
    """Every clip x chain x parameter set x seed, clip-major, numbered from 0.

    Raises:
        ParamError: If there is no clip, no chain or no seed.
    """
    for what, values in (("clip", clips), ("chain", runs), ("seed", seeds)):
        if not values:
            raise ParamError(f"The batch has no {what}; give at least one.")
    jobs: list[BatchJob] = []
    for clip, run in itertools.product(clips, runs):
        for (params, name), seed in itertools.product(zip(run.param_sets, run.names, strict=True), seeds):
            jobs.append(BatchJob(len(jobs), clip, run.chain, params, name, seed))
    return jobs


def _read_manifest(path: Path) -> list[BatchClip]:
    try:
        if path.suffix.lower() == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(rows, list):
                raise ValueError("it should hold a list")
            rows = [{"audio": row} if isinstance(row, str) else row for row in rows]
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        return [_clip_from_row(row, path.parent) for row in rows]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ParamError(
            f"The manifest {path} cannot be read ({error}); use a CSV with an 'audio' column or a JSON list."
        ) from None


def _clip_from_row(row: Mapping[str, Any], folder: Path) -> BatchClip:
    audio = Path(str(row["audio"])).expanduser()

    def seconds(key: str) -> float | None:
        value = row.get(key)
        return None if value in (None, "") else float(value)

    return BatchClip(audio if audio.is_absolute() else folder / audio, seconds("start"), seconds("end"))

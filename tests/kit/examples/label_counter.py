"""Kit example, a minimal trainer: counts the clips of each label of a dataset folder and writes the counts.

A trainer's params are its settings (``a2i train counter --help``). Uses only the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from a2i_studio.core import BoolParam, CancelToken, Progress, ProgressCallback, Registry, Trainer, TrainingEvents
from a2i_studio.datasets import read_dataset
from a2i_studio.files import atomic_write_json
from a2i_studio.hookspecs import hookimpl


class LabelCounter(Trainer):
    """Writes ``counts.json``: how many clips each label has (a stand-in for a real training loop)."""

    id = "counter"
    name = "Label counter"
    description = "Counts clips per label (kit example)."
    params = (BoolParam("lowercase", False, "merge labels that differ only in case"),)

    def train(
        self,
        data: Path,
        out: Path,
        settings: Mapping[str, Any],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        events: TrainingEvents | None = None,
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        settings = self.resolve_settings(settings)
        dataset = read_dataset(data)
        counts: dict[str, int] = {}
        for index, item in enumerate(dataset):
            if cancel is not None:
                cancel.raise_if_cancelled()
            label = item.label.lower() if settings["lowercase"] else item.label
            counts[label] = counts.get(label, 0) + 1
            if progress is not None:
                progress(Progress(index + 1, len(dataset), "counting"))
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "counts.json", counts)
        return {"labels": len(counts), "clips": len(dataset)}


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    registry.add_trainer(LabelCounter())

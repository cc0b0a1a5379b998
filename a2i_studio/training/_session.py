"""One run of a :class:`~a2i_studio.training.LoopTrainer`, top to bottom (the steps are in ``_loop``'s docstring)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from a2i_studio.core import (
    CancelToken,
    CheckpointEvent,
    EvaluationEvent,
    Progress,
    ProgressCallback,
    StepEvent,
    TrainingEvents,
)
from a2i_studio.errors import Cancelled, CheckpointError
from a2i_studio.training._checkpoints import CheckpointStore, TrainingCheckpoint
from a2i_studio.training._loop import RunResult, Step, TrainingLoop, TrainingRun
from a2i_studio.training._precision import make_accelerator, resolve_precision
from a2i_studio.training._reports import plot_loss_curves, write_json

__all__ = ["Prepare", "Session"]

Prepare = Callable[[Path, Path, dict[str, Any], TrainingRun], TrainingLoop]
"""A trainer's ``prepare(data, out, settings, run)``."""


class Session:
    """The state of one call of ``LoopTrainer.train``.

    Args:
        prepare: The trainer's ``prepare``.
        title: The trainer's name, for the loss curve.
        may_change: Settings that may differ from a checkpoint's when resuming it.
    """

    def __init__(self, prepare: Prepare, title: str, may_change: frozenset[str], data: Path, out: Path,
                 settings: dict[str, Any], progress: ProgressCallback | None, cancel: CancelToken,
                 events: TrainingEvents) -> None:
        self.prepare, self.title, self.may_change = prepare, title, may_change
        self.data, self.out, self.settings = data, out, settings
        self.progress, self.cancel, self.events = progress, cancel, events
        self.store = CheckpointStore(out / "checkpoints")

    def run(self, fresh: bool) -> dict[str, Any]:
        """Train, save the finished model, and return its metrics."""
        import torch

        # 1. Precision and accelerator; the checkpoint to resume from, checked before any data is read.
        precision = resolve_precision(self.settings["precision"])
        accelerator = make_accelerator(precision)
        resumed = None if fresh else self.store.last()
        if resumed is not None:
            self._check_settings(resumed)
        run = TrainingRun(accelerator, precision, self.out, self.progress, self.cancel, self.events,
                          lambda: self._cancelled(0, 0))

        # 2. The trainer's data, model and optimizer, then the checkpoint's state over them.
        loop = self.prepare(self.data, self.out, self.settings, run)
        key = loop.round_name or "round"
        rounds = loop.rounds()
        total = sum(len(steps) for steps in rounds)
        if resumed is None:
            run_id, step, seconds = f"{time.time_ns():020d}", 0, 0.0
            history: list[dict[str, Any]] = []
            losses: list[float] = []
            before = loop.evaluate()
        else:
            loop.restore(resumed.weights, resumed.optimizers)
            torch.set_rng_state(resumed.rng_state)
            run_id, step, seconds = resumed.run, resumed.step, float(resumed.state["seconds"])
            history, losses, before = resumed.state["history"], resumed.state["losses"], resumed.state["before"]

        # 3. Rounds of steps from where the run stands (a step-counted run may stand inside a round, when its
        #    number of steps grew); after each round, evaluation and a checkpoint (the last and the best are kept).
        started, first_step = time.monotonic(), step
        first_round, offset = _position(rounds, step)
        for index in range(first_round, len(rounds)):
            round_losses = []
            for batch in rounds[index][offset if index == first_round else 0 :]:
                self.events.wait_while_paused(self.cancel)
                if self.cancel.cancelled:
                    raise Cancelled(self._cancelled(step, total))
                loss = loop.train_step(Step(step, index, batch, run.process, run.processes))
                if run.processes > 1:
                    loss = float(accelerator.reduce(torch.tensor(loss, device=accelerator.device), "mean"))
                step += 1
                round_losses.append(loss)
                losses.append(loss)
                eta = (time.monotonic() - started) / (step - first_step) * max(total - step, 0)
                where = f"{loop.round_name} {index + 1}/{len(rounds)}, " if loop.round_name else ""
                self._report(Progress(step, total, f"{where}step {step}/{total}: loss {loss:.4f}"),
                             StepEvent(step, total, loss, eta), run)
            metrics = {"train_loss": sum(round_losses) / len(round_losses), **loop.evaluate()}
            history.append({key: index + 1, "step": step, **metrics})
            if run.is_main:
                score = metrics[loop.best_by]
                state = {"settings": self.settings, "history": history, "before": before, "losses": losses,
                         "seconds": seconds + time.monotonic() - started}
                folder, best = self.store.save(TrainingCheckpoint(
                    step, run_id, score if math.isfinite(score) else None, *loop.state(), torch.get_rng_state(), state,
                ))
                text = ", ".join(f"{name} {value:.4g}" for name, value in metrics.items())
                self._report(Progress(step, total, f"{key} {index + 1}/{len(rounds)}: {text}"),
                             EvaluationEvent(index + 1, len(rounds), step, metrics, best), run)
                self.events.emit(CheckpointEvent(step, folder, best))
                plot_loss_curves(self.out / "loss_curve.png", {
                    "train loss": [row["train_loss"] for row in history],
                    loop.best_by: [row[loop.best_by] for row in history],
                }, title=f"{self.title}: train loss and {loop.best_by} per {key}")
            accelerator.wait_for_everyone()
        seconds += time.monotonic() - started

        # 4. The chosen checkpoint becomes the finished model (written once, by the main process).
        if run.is_main:
            metrics = self._finish(loop, run_id, RunResult(history, before, history[-1], losses, step, seconds),
                                   precision)
        accelerator.wait_for_everyone()
        if not run.is_main:
            metrics = json.loads((self.out / "metrics.json").read_text(encoding="utf-8"))
            del metrics["history"], metrics["losses"]
        return metrics

    def _finish(self, loop: TrainingLoop, run_id: str, result: RunResult, precision: str) -> dict[str, Any]:
        key = loop.round_name or "round"
        export = self.settings["export"]
        best = self.store.best(run_id)
        best_row = next((row for row in result.history if best and row["step"] == best.step), None)
        exported = result.exported
        if export == "best" and best is not None and best_row is not None and best.step != result.steps:
            loop.restore(best.weights, None)
            exported = best_row
        own = loop.finish(self.out, RunResult(result.history, result.before, exported, result.losses, result.steps,
                                              result.seconds))
        metrics = {
            f"{key}s": len(result.history), "steps": result.steps, "precision": precision, "exported": export,
            f"exported_{key}": exported[key], f"best_{key}": best_row[key] if best_row else None,
            **{name: value for name, value in exported.items() if name not in (key, "step")},
            **{f"{name}_before": value for name, value in result.before.items()},
            "seconds": round(result.seconds, 1), **own,
        }
        write_json(self.out / "metrics.json", {**metrics, "history": result.history, "losses": result.losses})
        return metrics

    def _check_settings(self, checkpoint: TrainingCheckpoint) -> None:
        saved = checkpoint.state["settings"]
        for name in sorted((set(saved) | set(self.settings)) - self.may_change):
            if saved.get(name) != self.settings.get(name):
                raise CheckpointError(
                    f"The checkpoint in {self.store.folder} was trained with {name}={saved.get(name)!r}, not "
                    f"{self.settings.get(name)!r}; resume with the same {name}, add --fresh to start over, "
                    "or choose another --out."
                )

    def _cancelled(self, step: int, total: int) -> str:
        """The sentence for a cancelled run: where it stopped (``total`` 0: while preparing) and what is kept."""
        newest = self.store.newest()
        kept = f"the checkpoint at step {newest[0]} is kept in {newest[1]}" if newest else "no checkpoint was saved"
        where = f"at step {step} of {total}" if total else "before its first step"
        return f"Training was cancelled {where}; {kept}; run the same command again to resume."

    def _report(self, progress: Progress, event: StepEvent | EvaluationEvent, run: TrainingRun) -> None:
        if not run.is_main:
            return
        if self.progress is not None:
            self.progress(progress)
        self.events.emit(event)


def _position(rounds: Sequence[Sequence[Any]], step: int) -> tuple[int, int]:
    """The round that step ``step`` (from 0) falls in, and its index there; past the end: ``(len(rounds), 0)``."""
    for index, steps in enumerate(rounds):
        if step < len(steps):
            return index, step
        step -= len(steps)
    return len(rounds), 0

"""Running a batch: skip what the gallery holds, make the rest, survive bad files, split across processes.

Under ``accelerate launch`` (or ``torch.distributed.run``) each process takes a
contiguous share of the jobs, makes its images into the one gallery (SQLite
serialises the writers), and the main process gathers every outcome. A job's
image depends on its recipe alone, so the images are the same whichever
process makes them, and no job is in two shares.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from a2i_studio import config
from a2i_studio.batch._jobs import BatchJob
from a2i_studio.core import CancelToken, Progress, ProgressCallback
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.errors import A2IError, Cancelled
from a2i_studio.gallery import recipe_key

__all__ = ["JobOutcome", "Processes", "format_eta", "run_jobs"]

Status = Literal["made", "skipped", "failed"]
_GROUP_TIMEOUT = timedelta(hours=24)  # one process may finish its share long before another


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job.

    Attributes:
        job: The job.
        status: ``made``, ``skipped`` (the gallery held its recipe) or ``failed``.
        path: The gallery PNG (made or found); ``None`` when it failed.
        recipe: The image's recipe (``{}`` when it failed before one could be made).
        reason: One sentence saying why it failed (``""`` otherwise).
        seconds: Time spent on it.
    """

    job: BatchJob
    status: Status
    path: Path | None = None
    recipe: dict[str, Any] | None = None
    reason: str = ""
    seconds: float = 0.0


class Processes:
    """This process's place in a (possibly multi-process) run.

    One process unless the environment says otherwise (``WORLD_SIZE`` > 1, set by
    ``accelerate launch`` and ``torch.distributed.run``); then accelerate's
    ``PartialState`` joins the group, on the CPU when there is no CUDA (without
    ``cpu=True`` it would ignore ``WORLD_SIZE`` and every process would do all the work).

    Args:
        device: The device asked for (``None``: this process's GPU under a launcher, else the engine's choice).
    """

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self.index, self.count = 0, 1
        self._state: Any = None
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            import torch
            from accelerate import PartialState

            cpu = device == "cpu" or not torch.cuda.is_available()
            self._state = PartialState(cpu=cpu, timeout=_GROUP_TIMEOUT)
            self.index, self.count = self._state.process_index, self._state.num_processes
            if device is None and self._state.device.type == "cuda":
                self.device = str(self._state.device)

    @property
    def is_main(self) -> bool:
        """Whether this is the process that reports and writes the contact sheets."""
        return self.index == 0

    def share(self, jobs: Sequence[BatchJob]) -> list[BatchJob]:
        """This process's contiguous share of ``jobs`` (all of them in a one-process run)."""
        if self._state is None:
            return list(jobs)
        with self._state.split_between_processes(list(jobs)) as mine:
            return list(mine)

    def gather(self, outcomes: list[JobOutcome]) -> list[JobOutcome]:
        """Every process's outcomes, in job order (on every process), once all are done; then leaves the group."""
        if self._state is None:
            return outcomes
        from accelerate.utils import gather_object

        everything: list[JobOutcome] = gather_object(outcomes)
        self._state.wait_for_everyone()
        # The last collective: leave the group now. A process that exits still in it can abort
        # ("terminate called without an active exception") while its transport threads run.
        self._state.destroy_process_group()
        self._state = None
        return sorted(everything, key=lambda outcome: outcome.job.index)


def run_jobs(
    engine: Engine,
    jobs: Sequence[BatchJob],
    *,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_outcome: Callable[[JobOutcome], None] | None = None,
) -> list[JobOutcome]:
    """Make every job's image unless the gallery holds its recipe already.

    A job that fails (a broken file, a bad parameter, the device out of memory)
    is recorded with its sentence and the batch goes on; a bug is recorded the
    same way, its traceback written to the log file.

    Args:
        engine: Runs the chains; its gallery receives the images and answers what is done.
        jobs: What to make, in order.
        device: ``cpu``, ``cuda:N``, ... or ``None`` for the engine's choice.
        progress: Called after each job with ``(done, total, "<job> · ETA ...")``.
        cancel: Checked between jobs and by the engine between steps.
        on_outcome: Called with each outcome as it is known (the app fills its grid from it).

    Returns:
        One outcome per job, in order.

    Raises:
        Cancelled: If cancelled; what was made so far stays in the gallery.
    """
    cancel = cancel or CancelToken()
    outcomes: dict[int, JobOutcome] = {}

    def settle(outcome: JobOutcome) -> None:
        outcomes[outcome.job.index] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    # 1. Recipes first: skip what the gallery holds, and fail fast on unreadable files or bad parameters.
    planned: list[tuple[BatchJob, GenerationRequest, str]] = []
    for job in jobs:
        request = _request(job, device)
        try:
            planned.append((job, request, recipe_key(engine.recipe(request))))
        except A2IError as error:
            settle(JobOutcome(job, "failed", reason=str(error)))
    held = engine.gallery.items_by_recipe_key(key for _, _, key in planned) if engine.gallery is not None else {}
    to_make = []
    for job, request, key in planned:
        if key in held:
            settle(JobOutcome(job, "skipped", held[key].path, held[key].recipe))
        else:
            to_make.append((job, request))

    # 2. Make the rest, one image per job; the ETA counts only jobs that run.
    started, done = time.monotonic(), len(jobs) - len(to_make)
    for number, (job, request) in enumerate(to_make):
        cancel.raise_if_cancelled()
        settle(_make(engine, job, request, cancel))
        done += 1
        if progress is not None:
            elapsed = time.monotonic() - started
            eta = elapsed / (number + 1) * (len(to_make) - number - 1)
            progress(Progress(done, len(jobs), f"{job.describe()} · ETA {format_eta(eta)}"))
    return [outcomes[job.index] for job in jobs]


def format_eta(seconds: float) -> str:
    """``42s``, ``3m05s`` or ``1h02m``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _request(job: BatchJob, device: str | None) -> GenerationRequest:
    return GenerationRequest(
        audio=job.clip.audio, chain=job.chain, seed=job.seed, n=1, start=job.clip.start, end=job.clip.end,
        params=job.params, device=device,
    )


def _make(engine: Engine, job: BatchJob, request: GenerationRequest, cancel: CancelToken) -> JobOutcome:
    started = time.monotonic()
    try:
        result = engine.generate(request, cancel=cancel)[0]
    except Cancelled:
        raise
    except A2IError as error:
        return JobOutcome(job, "failed", reason=str(error), seconds=time.monotonic() - started)
    except Exception as error:  # a plugin's bug fails this job, not the batch
        log = config.log_file()
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"batch job {job.describe()}:\n{traceback.format_exc()}")
        reason = f"unexpected {type(error).__name__}: {error} (a bug; the traceback is in {log})."
        return JobOutcome(job, "failed", reason=reason, seconds=time.monotonic() - started)
    path = result.item.path if result.item is not None else None
    return JobOutcome(job, "made", path, result.recipe, seconds=time.monotonic() - started)

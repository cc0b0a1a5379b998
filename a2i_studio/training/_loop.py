"""What a trainer supplies to the training template, and what it is given: its loop, each step, the run.

The template (:class:`~a2i_studio.training.LoopTrainer`) runs the whole training, the same for every trainer:

1. every setting resolved (defaults, preset, what was given), the precision
   chosen for the device, the accelerator made (one run across the processes
   of a multi-process launch);
2. the last checkpoint found, unless starting ``fresh``, and checked against
   the settings (``epochs`` and precision may change: the run is extended or
   shortened);
3. the trainer's :class:`TrainingLoop` prepared: data, model, optimizer;
4. rounds of steps (epochs, or checkpoint intervals), each step checked for
   pause and cancel and reported; after each round the loop evaluates, a
   checkpoint is saved whole and the last and the best are kept;
5. the chosen checkpoint (``export``: best or last) handed to the loop to save
   the finished model; ``metrics.json`` and ``loss_curve.png`` written.

Only the main process writes files; every process takes its share of each batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar

from a2i_studio.core import ChoiceParam
from a2i_studio.training._precision import PRECISION_PARAM

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator
    from PIL.Image import Image

    from a2i_studio.core import CancelToken, ProgressCallback, TrainingEvents

__all__ = ["COMMON_PARAMS", "RunResult", "Step", "TrainingLoop", "TrainingRun"]


class _Rows(Protocol):
    """A list or tensor with one row per item of a batch."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> Self: ...


R = TypeVar("R", bound=_Rows)

COMMON_PARAMS = (
    PRECISION_PARAM,
    ChoiceParam("export", "best", "which checkpoint becomes the finished model: best (lowest validation loss) "
                "or last", choices=("best", "last")),
)
"""Settings every :class:`~a2i_studio.training.LoopTrainer` has, appended to its own parameters."""


@dataclass(frozen=True)
class Step:
    """One optimisation step, as :meth:`TrainingLoop.train_step` receives it.

    Attributes:
        index: Steps done before this one in the whole run.
        round: The round (epoch) it belongs to, from 0.
        batch: What :meth:`TrainingLoop.rounds` listed for it (usually the indices of the whole batch).
        process: This process's index in a multi-process launch (0 alone).
        processes: The number of processes (1 alone).
    """

    index: int
    round: int
    batch: Any
    process: int = 0
    processes: int = 1

    def share(self, items: R) -> R:
        """This process's part of ``items`` (a list or tensor with one row per item of the batch)."""
        return items[self.process :: self.processes]

    def weight(self, items: _Rows) -> float:
        """Multiply this process's mean loss by this, so the processes' averaged gradients equal one process's."""
        return self.processes * len(self.share(items)) / len(items)


class TrainingRun:
    """What a trainer's ``LoopTrainer.prepare`` is given: the accelerator and the run's reporting.

    Attributes:
        accelerator: Places models and batches; ``prepare`` the model and optimizer with it.
        precision: The mixed precision in use (``no``, ``bf16`` or ``fp16``).
        out: The run folder.
    """

    def __init__(self, accelerator: Accelerator, precision: str, out: Path, progress: ProgressCallback | None,
                 cancel: CancelToken, events: TrainingEvents, cancelled: Callable[[], str]) -> None:
        self.accelerator, self.precision, self.out = accelerator, precision, out
        self._progress, self._cancel, self._events, self._cancelled = progress, cancel, events, cancelled

    @property
    def device(self) -> str:
        """The device models and batches go to."""
        return str(self.accelerator.device)

    @property
    def processes(self) -> int:
        """The number of processes training together."""
        return int(self.accelerator.num_processes)

    @property
    def process(self) -> int:
        """This process's index."""
        return int(self.accelerator.process_index)

    @property
    def is_main(self) -> bool:
        """Whether this process writes the files."""
        return bool(self.accelerator.is_main_process)

    def report(self, done: int, total: int, stage: str) -> None:
        """Report progress while preparing (reading data, encoding); stops here if cancelled."""
        from a2i_studio.core import Progress
        from a2i_studio.errors import Cancelled

        if self._cancel.cancelled:
            raise Cancelled(self._cancelled())
        if self._progress is not None and self.is_main:
            self._progress(Progress(done, total, stage))

    def samples(self, step: int, images: Sequence[Image]) -> None:
        """Save sample images as ``OUT/samples/step-NNNNNN-I.png`` and show them."""
        from a2i_studio.core import SampleEvent

        if not self.is_main or not images:
            return
        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(images):
            image.save(folder / f"step-{step:06d}-{index}.png")
        self._events.emit(SampleEvent(step, tuple(images)))


@dataclass(frozen=True)
class RunResult:
    """What :meth:`TrainingLoop.finish` is told about the run.

    Attributes:
        history: One row per round: ``train_loss`` and the evaluation metrics.
        before: The evaluation metrics before the first step.
        exported: The row of the checkpoint whose weights the loop now holds.
        losses: The loss of every step.
        steps: Steps done.
        seconds: Training time over every session of the run.
    """

    history: list[dict[str, Any]]
    before: dict[str, float]
    exported: dict[str, Any]
    losses: list[float]
    steps: int
    seconds: float


class TrainingLoop(ABC):
    """A trainer's part of a run: its schedule, one step, evaluation, checkpoint state and the finished model.

    Attributes:
        best_by: The evaluation metric that picks the best checkpoint; lower is better.
        round_name: What a round is called in reports (``epoch``); empty to report steps only.
    """

    best_by: ClassVar[str] = "val_loss"
    round_name: ClassVar[str] = "epoch"

    @abstractmethod
    def rounds(self) -> Sequence[Sequence[Any]]:
        """The run's schedule: for each round (epoch), what each of its steps trains on.

        Depends only on the settings and the data, so a resumed run takes the same steps.
        """

    @abstractmethod
    def train_step(self, step: Step) -> float:
        """Take one optimisation step on this process's share of ``step.batch``; return its loss."""

    @abstractmethod
    def evaluate(self) -> dict[str, float]:
        """Metrics at the end of a round (and before the first), including :attr:`best_by`."""

    @abstractmethod
    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        """What a checkpoint holds: weights by model name, optimizer (and scheduler) states by name."""

    @abstractmethod
    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        """Load a checkpoint's weights and, when resuming (``optimizers`` not ``None``), its optimizer states."""

    @abstractmethod
    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Save the finished model (the weights now held); return metrics naming what was written."""

"""What a training run tells whoever watches it, besides :class:`Progress`: one channel for every trainer.

A trainer, built-in or plugin, reports through the :class:`TrainingEvents` it
is given: the loss of every step, the validation metrics after every epoch,
sample images and saved checkpoints. The same object carries the pause
switch. The CLI passes none; the app's training wizards pass one and draw a
loss curve, a metrics table and the samples from it, whatever the trainer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.core._components import CancelToken

__all__ = [
    "CheckpointEvent",
    "EvaluationEvent",
    "SampleEvent",
    "StepEvent",
    "TrainingEvent",
    "TrainingEvents",
]


@dataclass(frozen=True)
class StepEvent:
    """One finished optimisation step.

    Attributes:
        step: Steps done in the whole run (1 after the first).
        total: Steps the run will take.
        loss: The step's training loss (averaged over processes).
        eta_seconds: Estimated seconds left, from the mean time per step of this session.
    """

    step: int
    total: int
    loss: float
    eta_seconds: float


@dataclass(frozen=True)
class EvaluationEvent:
    """The metrics at the end of a round: an epoch, or a checkpoint interval for step-counted trainers (LoRA).

    Attributes:
        round: Rounds done (1 after the first).
        rounds: Rounds the run will take.
        step: Steps done.
        metrics: ``train_loss`` and the trainer's validation metrics, by name.
        best: Whether this round has the best validation metric so far.
    """

    round: int
    rounds: int
    step: int
    metrics: Mapping[str, float]
    best: bool


@dataclass(frozen=True)
class SampleEvent:
    """Sample images the trainer rendered, to show how it is doing.

    Attributes:
        step: Steps done when they were rendered.
        images: The images (also saved under the run folder's ``samples/``).
    """

    step: int
    images: tuple[Image, ...]


@dataclass(frozen=True)
class CheckpointEvent:
    """A checkpoint was saved whole.

    Attributes:
        step: Steps done.
        folder: The checkpoint folder.
        best: Whether it is also the best checkpoint so far.
    """

    step: int
    folder: Path
    best: bool


TrainingEvent = StepEvent | EvaluationEvent | SampleEvent | CheckpointEvent
"""Everything a trainer may report through :meth:`TrainingEvents.emit`."""


class TrainingEvents:
    """The channel a training run reports its events through, and its pause switch.

    Args:
        on_event: Called with each :data:`TrainingEvent`, on the training thread.
    """

    def __init__(self, on_event: Callable[[TrainingEvent], None] | None = None) -> None:
        self.on_event = on_event
        self._running = threading.Event()
        self._running.set()

    def emit(self, event: TrainingEvent) -> None:
        """Hand ``event`` to :attr:`on_event`."""
        if self.on_event is not None:
            self.on_event(event)

    def pause(self) -> None:
        """Hold the run before its next step (from any thread)."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused run go on."""
        self._running.set()

    @property
    def paused(self) -> bool:
        """Whether :meth:`pause` was called and :meth:`resume` not yet."""
        return not self._running.is_set()

    def wait_while_paused(self, cancel: CancelToken | None = None) -> None:
        """Block while paused; return at once when resumed or cancelled."""
        while not self._running.wait(0.1):
            if cancel is not None and cancel.cancelled:
                return


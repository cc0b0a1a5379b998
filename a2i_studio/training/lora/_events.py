"""How a LoRA run talks to whoever watches it: progress, loss per step, samples, checkpoints, pause.

A :class:`LoraRunEvents` is a progress callback, so it goes wherever any
trainer's ``progress`` goes (``Trainer.train(..., progress=events)``); the LoRA
trainer notices it and also calls its structured callbacks. Every callback is
called on the training thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from a2i_studio.core import CancelToken, Progress, ProgressCallback

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["LoraRunEvents", "LoraStep"]


@dataclass(frozen=True)
class LoraStep:
    """One finished optimisation step.

    Attributes:
        step: Steps done (1 after the first).
        total: Steps the run will take.
        loss: The step's mean denoising loss.
        learning_rate: The learning rate the step used.
        eta_seconds: Estimated seconds left, from the mean time per step of this session.
    """

    step: int
    total: int
    loss: float
    learning_rate: float
    eta_seconds: float


class LoraRunEvents:
    """Callbacks of one LoRA run, and its pause switch.

    Args:
        progress: Plain progress reports (stage text carries the loss; sample images come as previews).
        on_step: Called with a :class:`LoraStep` after every optimisation step.
        on_sample: Called with the step and the sample images rendered at it.
        on_checkpoint: Called with the step and the checkpoint folder just written.
    """

    def __init__(
        self,
        progress: ProgressCallback | None = None,
        on_step: Callable[[LoraStep], None] | None = None,
        on_sample: Callable[[int, list[Image]], None] | None = None,
        on_checkpoint: Callable[[int, Path], None] | None = None,
    ) -> None:
        self.progress = progress
        self.on_step = on_step
        self.on_sample = on_sample
        self.on_checkpoint = on_checkpoint
        self._running = threading.Event()
        self._running.set()

    def __call__(self, report: Progress) -> None:
        """Pass a plain progress report on."""
        if self.progress is not None:
            self.progress(report)

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

    def wait_while_paused(self, cancel: CancelToken) -> None:
        """Block while paused; return at once when resumed or cancelled."""
        while not self._running.wait(0.1):
            if cancel.cancelled:
                return

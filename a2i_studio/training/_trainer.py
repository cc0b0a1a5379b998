"""The training template: one ``train()`` for every trainer, which supplies only its data, model and step."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_studio.core import Trainer
from a2i_studio.training._loop import COMMON_PARAMS

if TYPE_CHECKING:
    from a2i_studio.core import CancelToken, ProgressCallback, TrainingEvents
    from a2i_studio.training._loop import TrainingLoop, TrainingRun

__all__ = ["LoopTrainer"]


class LoopTrainer(Trainer):
    """A :class:`~a2i_studio.core.Trainer` whose :meth:`train` is the shared template.

    :meth:`train` runs the whole training, the same for every trainer (see
    :mod:`a2i_studio.training._loop` for the steps): settings, precision, resume
    or start over, the trainer's :class:`~a2i_studio.training.TrainingLoop`,
    rounds of steps with pause, cancel and events, checkpoints, the finished model.

    A subclass declares its settings and presets and implements :meth:`prepare`.
    The settings in :data:`COMMON_PARAMS` (``precision``, ``export``) are added to its own.

    Attributes:
        resume_may_change: Settings besides ``epochs``, ``precision`` and ``export`` that may differ
            between a checkpoint and the run resuming it (sample cadence, output names).
    """

    resume_may_change: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "params" in cls.__dict__:
            own = {param.name for param in cls.params}
            cls.params = (*cls.params, *(param for param in COMMON_PARAMS if param.name not in own))

    @abstractmethod
    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Read the data and build the model and optimizer (prepared with ``run.accelerator``).

        Args:
            data: The dataset folder.
            out: The run folder.
            settings: Every setting, resolved.
            run: The accelerator, precision and progress reporting.
        """

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
        """Train as the module describes; return the finished model's metrics (also in ``OUT/metrics.json``)."""
        from a2i_studio.core import CancelToken, TrainingEvents
        from a2i_studio.training._session import Session

        may_change = frozenset({"epochs", "precision", "export"}) | self.resume_may_change
        session = Session(self.prepare, self.name, may_change, Path(data), Path(out), self.resolve_settings(settings),
                          progress, cancel or CancelToken(), events or TrainingEvents())
        return session.run(fresh)


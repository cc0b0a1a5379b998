"""The page that runs any trainer: live loss curve, metrics per epoch, samples, ETA, pause and cancel.

It shows what every trainer reports through :class:`~a2i_studio.core.TrainingEvents`,
so the generic training wizard and the LoRA wizard share it; what to run comes
from a callable the wizard gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget, QWizardPage

from a2i_studio.core import (
    CancelToken,
    CheckpointEvent,
    EvaluationEvent,
    Progress,
    SampleEvent,
    StepEvent,
    Trainer,
    TrainingEvents,
)
from a2i_studio.errors import A2IError, Cancelled
from a2i_studio.gui.jobs import to_qimage
from a2i_studio.gui.notices import write_to_log
from a2i_studio.gui.workers import start_task

__all__ = ["TrainingJob", "TrainingRunPage"]

_SAMPLES = 4
_SAMPLE_SIZE = 128
_SMOOTHING = 0.9
_METRIC_COLOURS = ((214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207))


@dataclass(frozen=True)
class TrainingJob:
    """What a run page runs.

    Attributes:
        trainer: The trainer, from the registry.
        data: The dataset folder.
        out: The run folder.
        settings: Every setting, resolved (``Trainer.resolve_settings``).
        fresh: Start over instead of resuming from ``out``.
    """

    trainer: Trainer
    data: Path
    out: Path
    settings: dict[str, Any]
    fresh: bool = False


class TrainingRunPage(QWizardPage):
    """Runs a :class:`TrainingJob` when shown; the loss curve, metrics, samples and ETA update as it goes.

    Args:
        job: Called when the page is shown; returns what to run (raises ``A2IError`` for bad settings).

    Signals:
        finished: The run ended (:attr:`metrics` is set when it succeeded).
    """

    finished = Signal()

    def __init__(self, job: Callable[[], TrainingJob], parent: QWidget | None = None) -> None:
        import pyqtgraph

        super().__init__(parent)
        self.setTitle("Training")
        self._job = job
        self.metrics: dict[str, Any] | None = None
        self.losses: list[float] = []
        self._smoothed: list[float] = []
        self._events = TrainingEvents()
        self._cancel = CancelToken()
        self.plot = pyqtgraph.PlotWidget(self)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend()
        self._raw_curve = self.plot.plot([], [], pen=pyqtgraph.mkPen((150, 170, 200), width=1), name="loss")
        self._smooth_curve = self.plot.plot([], [], pen=pyqtgraph.mkPen((31, 119, 180), width=2), name="smoothed")
        self.metrics_plot = pyqtgraph.PlotWidget(self)  # the validation metrics, one curve each, by round
        self.metrics_plot.setLabel("bottom", "epoch")
        self.metrics_plot.addLegend()
        self.metrics_plot.setVisible(False)
        self.metric_curves: dict[str, Any] = {}
        self.metric_values: dict[str, list[float]] = {}
        self.evaluation = QLabel("Validation metrics appear here after each epoch.", self)
        self.evaluation.setWordWrap(True)
        self.samples = [QLabel(self) for _ in range(_SAMPLES)]
        self.sample_step = QLabel(self)
        self.progress = QProgressBar(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.eta = QLabel(self)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.cancel_button = QPushButton("Cancel training", self)
        self.cancel_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume training", self)
        self.resume_button.setToolTip("Go on from the last checkpoint in the run folder")
        self.resume_button.clicked.connect(self.initializePage)
        self.resume_button.setVisible(False)
        sample_row = QHBoxLayout()
        for label in self.samples:
            label.setFixedSize(_SAMPLE_SIZE, _SAMPLE_SIZE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            sample_row.addWidget(label)
        sample_row.addStretch(1)
        controls = QHBoxLayout()
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.eta)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.resume_button)
        plots = QHBoxLayout()
        plots.addWidget(self.plot, 1)
        plots.addWidget(self.metrics_plot, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(plots, 1)
        layout.addWidget(self.evaluation)
        layout.addWidget(self.sample_step)
        layout.addLayout(sample_row)
        layout.addLayout(controls)
        layout.addWidget(self.status)

    def initializePage(self) -> None:  # noqa: N802
        """Start the run."""
        try:
            job = self._job()
        except A2IError as error:
            self.status.setText(str(error))
            return
        self.metrics, self.losses, self._smoothed = None, [], []
        self._raw_curve.setData([], [])
        self._smooth_curve.setData([], [])
        self.metric_values = {name: [] for name in self.metric_values}
        for curve in self.metric_curves.values():
            curve.setData([], [])
        self.resume_button.setVisible(False)
        self._cancel = cancel = CancelToken()
        self._events = events = TrainingEvents()

        def work(report: Callable[[object], None]) -> dict[str, Any]:
            events.on_event = report
            return job.trainer.train(job.data, job.out, job.settings, progress=report, cancel=cancel,
                                     events=events, fresh=job.fresh)

        self._set_running(True)
        self.status.setText(f"Starting; checkpoints and reports go to {job.out}.")
        start_task(work, on_done=self._on_done, on_failed=self._on_failed, on_progress=self._on_progress)

    def isComplete(self) -> bool:  # noqa: N802
        """Done once the run saved its model."""
        return self.metrics is not None

    def stop(self) -> None:
        """Cancel the run at its next step (the last checkpoint is kept)."""
        self._cancel.cancel()
        self._events.resume()

    def _set_running(self, running: bool) -> None:
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.pause_button.setChecked(False)
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(wizard.WizardButton.BackButton).setEnabled(not running)

    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self._events.pause()
        else:
            self._events.resume()
        self.pause_button.setText("Resume" if paused else "Pause")

    def _on_progress(self, value: object) -> None:
        if isinstance(value, StepEvent):
            self._on_step(value)
        elif isinstance(value, EvaluationEvent):
            text = ", ".join(f"{name} {number:.4g}" for name, number in value.metrics.items())
            best = " (best so far)" if value.best else ""
            self.evaluation.setText(f"After {value.round} of {value.rounds}{best}: {text}")
            self._plot_metrics(value)
        elif isinstance(value, SampleEvent):
            self.sample_step.setText(f"Samples at step {value.step}:")
            for label, image in zip(self.samples, value.images, strict=False):
                label.setPixmap(QPixmap.fromImage(to_qimage(image)).scaled(
                    _SAMPLE_SIZE, _SAMPLE_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))
        elif isinstance(value, CheckpointEvent):
            self.status.setText(f"Checkpoint saved at step {value.step} in {value.folder}.")
        elif isinstance(value, Progress):
            self.status.setText(value.stage)

    def _plot_metrics(self, event: EvaluationEvent) -> None:
        """One curve per validation metric (the training loss is on the other plot), over the rounds so far."""
        import pyqtgraph

        for name, number in event.metrics.items():
            if name == "train_loss":
                continue
            if name not in self.metric_curves:
                colour = _METRIC_COLOURS[len(self.metric_curves) % len(_METRIC_COLOURS)]
                self.metric_curves[name] = self.metrics_plot.plot([], [], pen=pyqtgraph.mkPen(colour, width=2),
                                                                  symbol="o", symbolSize=5, name=name)
            values = self.metric_values.setdefault(name, [])
            values.append(number)
            first = event.round - len(values) + 1
            self.metric_curves[name].setData(list(range(first, event.round + 1)), values)
        self.metrics_plot.setVisible(bool(self.metric_curves))

    def _on_step(self, step: StepEvent) -> None:
        self.losses.append(step.loss)
        last = self._smoothed[-1] if self._smoothed else step.loss
        self._smoothed.append(_SMOOTHING * last + (1 - _SMOOTHING) * step.loss)
        steps = list(range(step.step - len(self.losses) + 1, step.step + 1))
        self._raw_curve.setData(steps, self.losses)
        self._smooth_curve.setData(steps, self._smoothed)
        self.progress.setRange(0, step.total)
        self.progress.setValue(step.step)
        minutes, seconds = divmod(round(step.eta_seconds), 60)
        self.eta.setText(f"ETA {minutes}:{seconds:02d}")

    def _on_done(self, metrics: dict[str, Any]) -> None:
        self.metrics = metrics
        self._set_running(False)
        self.eta.setText("")
        self.status.setText(f"Done after {metrics['steps']} steps.")
        self.completeChanged.emit()
        self.finished.emit()

    def _on_failed(self, error: BaseException) -> None:
        self._set_running(False)
        self.resume_button.setVisible(True)  # the run folder keeps its last checkpoint
        if isinstance(error, A2IError):
            self.status.setText(str(error))
        else:
            path = write_to_log(error, "training")
            self.status.setText(f"Training failed unexpectedly ({error}); details in {path}.")
        if isinstance(error, Cancelled):
            self.eta.setText("")
        self.finished.emit()

"""The Train LoRA wizard's run page (live loss curve, samples, ETA, pause, cancel) and finish page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget, QWizardPage

from a2i_studio.core import CancelToken, Progress
from a2i_studio.errors import A2IError, Cancelled
from a2i_studio.gui.jobs import to_qimage
from a2i_studio.gui.notices import write_to_log
from a2i_studio.gui.workers import start_task
from a2i_studio.training.lora import LoraRunEvents, LoraStep, LoraTrainer

if TYPE_CHECKING:
    from a2i_studio.gui.chain_panel import ChainPanel
    from a2i_studio.gui.lora_wizard import LoraWizard

__all__ = ["FinishPage", "RunPage"]

_SAMPLES = 4
_SAMPLE_SIZE = 128
_SMOOTHING = 0.9


@dataclass(frozen=True)
class _Samples:
    step: int
    images: list[QImage]


class RunPage(QWizardPage):
    """Runs the trainer when shown; the loss curve, samples and ETA update as it goes.

    Signals:
        finished: The run ended (:attr:`metrics` is set when it succeeded).
    """

    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        import pyqtgraph

        super().__init__(parent)
        self.setTitle("Training")
        self.metrics: dict[str, Any] | None = None
        self.losses: list[float] = []
        self._smoothed: list[float] = []
        self._events: LoraRunEvents | None = None
        self._cancel = CancelToken()
        self.plot = pyqtgraph.PlotWidget(self)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend()
        self._raw_curve = self.plot.plot([], [], pen=pyqtgraph.mkPen((150, 170, 200), width=1), name="loss")
        self._smooth_curve = self.plot.plot([], [], pen=pyqtgraph.mkPen((31, 119, 180), width=2), name="smoothed")
        self.samples = [QLabel(self) for _ in range(_SAMPLES)]
        self.sample_step = QLabel("Samples appear here as they are rendered.", self)
        self.progress = QProgressBar(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.eta = QLabel(self)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.cancel_button = QPushButton("Cancel training", self)
        self.cancel_button.clicked.connect(self.stop)
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.sample_step)
        layout.addLayout(sample_row)
        layout.addLayout(controls)
        layout.addWidget(self.status)

    def initializePage(self) -> None:  # noqa: N802
        """Start the run with the wizard's settings."""
        wizard = cast("LoraWizard", self.wizard())
        try:
            settings = wizard.settings()
        except A2IError as error:
            self.status.setText(str(error))
            return
        data, out = Path(wizard.data_page.folder.text()), Path(wizard.settings_page.run_folder.text())
        trainer = LoraTrainer(wizard.registry)
        self.metrics, self.losses, self._smoothed = None, [], []
        self._cancel = CancelToken()
        events = self._events = LoraRunEvents()
        cancel = self._cancel

        def work(report: Any) -> dict[str, Any]:
            events.progress = report
            events.on_step = report
            events.on_sample = lambda step, images: report(_Samples(step, [to_qimage(image) for image in images]))
            return trainer.train(data, out, settings.to_json(), progress=events, cancel=cancel)

        self._set_running(True)
        self.status.setText(f"Starting; checkpoints and samples go to {out}.")
        start_task(work, on_done=self._on_done, on_failed=self._on_failed, on_progress=self._on_progress)

    def isComplete(self) -> bool:  # noqa: N802
        """Done once the run saved its LoRA."""
        return self.metrics is not None

    def stop(self) -> None:
        """Cancel the run at its next step (the last checkpoint is kept)."""
        self._cancel.cancel()
        if self._events is not None:
            self._events.resume()

    def _set_running(self, running: bool) -> None:
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.pause_button.setChecked(False)
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(wizard.WizardButton.BackButton).setEnabled(not running)

    def _on_pause_toggled(self, paused: bool) -> None:
        if self._events is None:
            return
        if paused:
            self._events.pause()
        else:
            self._events.resume()
        self.pause_button.setText("Resume" if paused else "Pause")

    def _on_progress(self, value: LoraStep | _Samples | Progress) -> None:
        if isinstance(value, LoraStep):
            self.losses.append(value.loss)
            last = self._smoothed[-1] if self._smoothed else value.loss
            self._smoothed.append(_SMOOTHING * last + (1 - _SMOOTHING) * value.loss)
            steps = list(range(value.step - len(self.losses) + 1, value.step + 1))
            self._raw_curve.setData(steps, self.losses)
            self._smooth_curve.setData(steps, self._smoothed)
            self.progress.setRange(0, value.total)
            self.progress.setValue(value.step)
            minutes, seconds = divmod(round(value.eta_seconds), 60)
            self.eta.setText(f"ETA {minutes}:{seconds:02d}")
        elif isinstance(value, _Samples):
            self.sample_step.setText(f"Samples at step {value.step}:")
            for label, image in zip(self.samples, value.images, strict=False):
                label.setPixmap(QPixmap.fromImage(image).scaled(
                    _SAMPLE_SIZE, _SAMPLE_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))
        else:
            self.status.setText(value.stage)

    def _on_done(self, metrics: dict[str, Any]) -> None:
        self.metrics = metrics
        self._set_running(False)
        self.status.setText(f"Done: {metrics['steps']} steps, final loss {metrics['final_loss']:.4f}.")
        self.completeChanged.emit()
        self.finished.emit()

    def _on_failed(self, error: BaseException) -> None:
        self._set_running(False)
        if isinstance(error, A2IError):
            self.status.setText(str(error))
        else:
            path = write_to_log(error, "training a LoRA")
            self.status.setText(f"Training failed unexpectedly ({error}); details in {path}.")
        if isinstance(error, Cancelled):
            self.eta.setText("")
        self.finished.emit()


class FinishPage(QWizardPage):
    """What was made, and "Use this LoRA now".

    Args:
        chain_panel: Where the LoRA is put to use; ``None`` hides the button.
    """

    def __init__(self, chain_panel: ChainPanel | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your LoRA is ready")
        self._chain_panel = chain_panel
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton("Use this LoRA now", self)
        self.use_button.setVisible(chain_panel is not None)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.use_button)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802
        """Show the file and how the loss went."""
        metrics = self._metrics()
        self.summary.setText(
            f"Saved {metrics['lora']}\n{metrics['steps']} steps on {metrics['images']} images; loss at fixed noise "
            f"{metrics['fixed_loss_before']:.4f} → {metrics['fixed_loss']:.4f}.\nGenerate with it through the "
            f"{metrics['family']} generator's loras parameter ({Path(metrics['lora']).stem}:1.0)."
        )
        self.note.setText("")

    def _metrics(self) -> dict[str, Any]:
        metrics = cast("LoraWizard", self.wizard()).run_page.metrics
        assert metrics is not None, "the finish page follows a finished run"
        return metrics

    def _on_use_clicked(self) -> None:
        assert self._chain_panel is not None
        metrics = self._metrics()
        name = Path(metrics["lora"]).stem
        if self._chain_panel.use_lora(name, metrics["family"]):
            self.note.setText(f"Selected: {name} in the {metrics['family']} generator's loras (scale 1.0).")
        else:
            self.note.setText(f"No chain ends in the {metrics['family']} generator; install or enable it first.")


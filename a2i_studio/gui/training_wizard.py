"""The generic training wizard: any registered trainer, its settings form built from its parameter schema.

Pick a trainer, the dataset and the run folder; start from one of its presets
and change any setting; watch it train (:class:`TrainingRunPage`); see its
metrics. Nothing here is written per trainer, so a plugin's trainer gets the
same wizard as the built-ins. Running again on the same run folder resumes,
unless "Start over" is ticked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from a2i_studio import config
from a2i_studio.core import ChoiceParam
from a2i_studio.files import atomic_write_json
from a2i_studio.gui.param_form import ParamForm
from a2i_studio.gui.training_run import TrainingJob, TrainingRunPage

if TYPE_CHECKING:
    from a2i_studio.core import Registry, Trainer

__all__ = ["SetupPage", "TrainingWizard"]


class SetupPage(QWizardPage):
    """The trainer, the data and run folders, the preset and every setting.

    Args:
        trainers: The registered trainers.
    """

    def __init__(self, trainers: list[Trainer], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("What to train")
        self.setSubTitle("Settings start from the trainer's preset; every one can be changed.")
        self.trainers = {trainer.id: trainer for trainer in trainers}
        self.trainer = QComboBox(self)
        for trainer in trainers:
            self.trainer.addItem(f"{trainer.name} ({trainer.id})", trainer.id)
        self.trainer.currentIndexChanged.connect(self._on_trainer_changed)
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.data = QLineEdit(self)
        self.data.textChanged.connect(self._on_folder_changed)
        self.out = QLineEdit(self)
        self.out.textChanged.connect(self.completeChanged)
        self._suggested = ""
        self.preset = QComboBox(self)
        self.preset.currentTextChanged.connect(self._on_preset_changed)
        self.fresh = QCheckBox("Start over (otherwise a run folder with checkpoints is resumed)", self)
        self.form = ParamForm([], self)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        save = QPushButton("Save settings…", self)
        save.setToolTip("Save as JSON for 'a2i train TRAINER --data DIR --out DIR --settings FILE'")
        save.clicked.connect(self._on_save_clicked)
        form = QFormLayout()
        form.addRow("trainer", self.trainer)
        form.addRow("", self.description)
        form.addRow("data folder", self._folder_row(self.data, "Dataset folder"))
        form.addRow("run folder", self._folder_row(self.out, "Run folder"))
        form.addRow("preset", self.preset)
        form.addRow("", self.fresh)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(save)
        self._on_trainer_changed()

    def current_trainer(self) -> Trainer:
        """The trainer chosen."""
        return self.trainers[self.trainer.currentData()]

    def select(self, trainer_id: str) -> None:
        """Choose the trainer ``trainer_id``."""
        self.trainer.setCurrentIndex(self.trainer.findData(trainer_id))

    def settings(self) -> dict[str, Any]:
        """Every setting the page shows, resolved by the trainer.

        Raises:
            ParamError: If a value is invalid.
        """
        values = self.form.values()
        if self.preset.count():
            values["preset"] = self.preset.currentText()
        return self.current_trainer().resolve_settings(values)

    def isComplete(self) -> bool:  # noqa: N802
        """A data folder and a run folder are needed."""
        return bool(self.trainers and self.data.text().strip() and self.out.text().strip())

    def _folder_row(self, line: QLineEdit, title: str) -> QHBoxLayout:
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(lambda: self._on_browse_clicked(line, title))
        row = QHBoxLayout()
        row.addWidget(line, 1)
        row.addWidget(browse)
        return row

    def _on_browse_clicked(self, line: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, line.text())
        if folder:
            line.setText(folder)

    def _on_trainer_changed(self) -> None:
        if not self.trainers:
            self.description.setText("No trainer is installed.")
            return
        trainer = self.current_trainer()
        self.description.setText(trainer.description)
        preset = next((param for param in trainer.params if param.name == "preset"), None)
        self.preset.blockSignals(True)
        self.preset.clear()
        if isinstance(preset, ChoiceParam):
            self.preset.addItems(list(preset.choices))
            self.preset.setCurrentText(str(preset.default))
        self.preset.blockSignals(False)
        self.preset.setEnabled(preset is not None)
        self.form = ParamForm([param for param in trainer.params if param.name != "preset"], self)
        self._scroll.setWidget(self.form)
        self._on_preset_changed(self.preset.currentText())
        self._on_folder_changed()

    def _on_preset_changed(self, preset: str) -> None:
        given = {"preset": preset} if self.preset.count() else {}
        self.form.set_values(self.current_trainer().resolve_settings(given))

    def _on_folder_changed(self) -> None:
        """Name the run folder after the trainer and the data, unless the user chose one."""
        data = self.data.text().strip()
        if data and self.trainers and self.out.text() in ("", self._suggested):
            self._suggested = str(config.data_dir() / "runs" / f"{self.current_trainer().id}-{Path(data).name}")
            self.out.setText(self._suggested)
        self.completeChanged.emit()

    def _on_save_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save settings", f"{self.current_trainer().id}-settings.json",
                                              "JSON (*.json)")
        if name:
            atomic_write_json(Path(name), self.settings())


class ResultPage(QWizardPage):
    """The finished model and its metrics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Training finished")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def show_metrics(self, metrics: dict[str, Any]) -> None:
        """List ``metrics``, one per line."""
        self.summary.setText("\n".join(f"{name}: {value}" for name, value in metrics.items()))


class TrainingWizard(QWizard):
    """Train any registered model from the app.

    Args:
        registry: The loaded components; its trainers are offered.
        trainer_id: The trainer to select first, if any.
    """

    def __init__(self, registry: Registry, trainer_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.resize(760, 640)
        self.setup_page = SetupPage(registry.trainers, self)
        if trainer_id is not None:
            self.setup_page.select(trainer_id)
        self.run_page = TrainingRunPage(self.job, self)
        self.result_page = ResultPage(self)
        for page in (self.setup_page, self.run_page, self.result_page):
            self.addPage(page)
        self.currentIdChanged.connect(self._on_page_changed)
        self.rejected.connect(self.run_page.stop)

    def job(self) -> TrainingJob:
        """What the setup page describes.

        Raises:
            ParamError: If a setting is invalid.
        """
        page = self.setup_page
        return TrainingJob(page.current_trainer(), Path(page.data.text().strip()), Path(page.out.text().strip()),
                           page.settings(), page.fresh.isChecked())

    def _on_page_changed(self, page_id: int) -> None:
        if self.page(page_id) is self.result_page and self.run_page.metrics is not None:
            self.result_page.show_metrics(self.run_page.metrics)

"""The Train LoRA wizard: pick the data, the base model and settings, watch it train, use the LoRA.

A thin view over the ``lora`` trainer, which it gets from the registry like
any other: the data page shows what :func:`~a2i_studio.training.lora.scan_data`
found, the settings page edits the trainer's settings (its Advanced form is
built from the trainer's parameters), the run page
(:class:`~a2i_studio.gui.training_run.TrainingRunPage`, shared with the
generic training wizard) runs it off the UI thread, and the finish page puts
the new LoRA into the chain panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from a2i_studio import config
from a2i_studio.files import atomic_write_json
from a2i_studio.gui.next_step import MissingWeightsBox
from a2i_studio.gui.param_form import ParamForm
from a2i_studio.gui.training_run import TrainingJob, TrainingRunPage
from a2i_studio.gui.workers import start_task
from a2i_studio.training.lora import DEFAULT_BASE, DataReport, LoraSettings, scan_data

if TYPE_CHECKING:
    from a2i_studio.core import Registry, Trainer
    from a2i_studio.gui.chain_panel import ChainPanel

__all__ = ["DataPage", "FinishPage", "LoraWizard", "SettingsPage"]

_PAGE_FIELDS = ("preset", "base", "name", "conditioning", "caption_template", "audio_chain")
_THUMBNAILS = 48


class DataPage(QWizardPage):
    """The data folder, what conditions the images, and what a scan of it found.

    Signals:
        scanned: A scan finished (:attr:`report` is set, or ``None`` after an error).
    """

    scanned = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Training data")
        self.setSubTitle("A folder of images with a .txt caption beside each, or a dataset with metadata.csv.")
        self.report: DataReport | None = None
        self.folder = QLineEdit(self)
        self.folder.editingFinished.connect(self._on_settings_changed)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        self.conditioning = QComboBox(self)
        self.conditioning.addItems(["captions", "audio"])
        self.conditioning.currentIndexChanged.connect(self._on_settings_changed)
        self.template = QLineEdit(LoraSettings.caption_template, self)
        self.template.setToolTip("Caption of images without one; {label} is the row's label or the folder's name")
        self.template.editingFinished.connect(self._on_settings_changed)
        self.audio_chain = QLineEdit(LoraSettings.audio_chain, self)
        self.audio_chain.setToolTip("encoder>adapter whose output conditions the U-Net when training on audio")
        self.summary = QLabel("Choose a folder.", self)
        self.summary.setWordWrap(True)
        self.examples = QListWidget(self)
        self.examples.setIconSize(QPixmap(_THUMBNAILS, _THUMBNAILS).size())
        self.problems = QListWidget(self)
        self.problems.setMaximumHeight(110)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("folder", row)
        form.addRow("condition on", self.conditioning)
        form.addRow("caption template", self.template)
        form.addRow("audio chain", self.audio_chain)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.examples, 1)
        layout.addWidget(QLabel("Problems found:", self))
        layout.addWidget(self.problems)

    def isComplete(self) -> bool:  # noqa: N802
        """Usable once a scan found at least one usable image."""
        return self.report is not None and bool(self.report.examples)

    def set_folder(self, folder: Path) -> None:
        """Show ``folder`` and scan it."""
        self.folder.setText(str(folder))
        self._on_settings_changed()

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Training data", self.folder.text())
        if folder:
            self.set_folder(Path(folder))

    def _on_settings_changed(self) -> None:
        text = self.folder.text().strip()
        if not text:
            return
        self.report = None
        self.completeChanged.emit()
        self.summary.setText("Scanning…")
        folder, conditioning, template = Path(text), self.conditioning.currentText(), self.template.text()
        resolution = LoraSettings.resolution
        start_task(lambda: scan_data(folder, conditioning=conditioning, template=template, resolution=resolution),
                   on_done=self._on_scan_done, on_failed=self._on_scan_failed)

    def _on_scan_done(self, report: DataReport) -> None:
        self.report = report
        self.summary.setText(report.summary())
        self.examples.clear()
        for example in report.examples[:200]:
            pixmap = QPixmap(str(example.image)).scaled(
                _THUMBNAILS, _THUMBNAILS, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            item = QListWidgetItem(QIcon(pixmap), f"{example.image.name}: {example.caption or example.audio}")
            self.examples.addItem(item)
        self.problems.clear()
        self.problems.addItems([f"{problem.kind}: {problem.message}" for problem in report.problems])
        self.completeChanged.emit()
        self.scanned.emit()

    def _on_scan_failed(self, error: BaseException) -> None:
        self.summary.setText(str(error))
        self.examples.clear()
        self.problems.clear()
        self.scanned.emit()


class SettingsPage(QWizardPage):
    """Base model, preset, output name and run folder; every other setting under Advanced.

    Args:
        trainer: The ``lora`` trainer, whose parameters and presets the page shows.
        registry: The loaded components, to tell whether the base model is on disk.
        found: Where weights are.

    Signals:
        bundle_requested: ``str``: the user wants the bundle that holds the missing base model.
    """

    bundle_requested = Signal(str)

    def __init__(self, trainer: Trainer, registry: Registry | None = None,
                 found: Mapping[str, Path | None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trainer, self.registry, self.found = trainer, registry, dict(found or {})
        self.setTitle("Model and settings")
        self.setSubTitle("Start from a preset; every setting can be changed under Advanced.")
        self.base = QComboBox(self)
        self.base.setEditable(True)
        self.base.addItems([DEFAULT_BASE, *_local_pipelines()])
        self.base.currentTextChanged.connect(self._check_base)
        self.missing = MissingWeightsBox(self)
        self.missing.bundle_requested.connect(self.bundle_requested)
        self.preset = QComboBox(self)
        self.preset.addItems(["quick", "balanced", "quality"])
        self.preset.setCurrentText(LoraSettings.preset)
        self.preset.currentTextChanged.connect(self._on_preset_changed)
        self.name = QLineEdit(self)
        self.name.textChanged.connect(self._on_name_changed)
        self.name_note = QLabel(self)
        self.run_folder = QLineEdit(self)
        self.fresh = QCheckBox("Start over (otherwise a run folder with checkpoints is resumed)", self)
        self.advanced = ParamForm([param for param in trainer.params if param.name not in _PAGE_FIELDS], self)
        rate = self.advanced.editors["learning_rate"]
        assert isinstance(rate, QDoubleSpinBox)
        rate.setDecimals(7)  # learning rates such as 5e-5 need more than the form's four decimals
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.advanced)
        scroll.setVisible(False)
        toggle = QToolButton(self)
        toggle.setText("Advanced")
        toggle.setCheckable(True)
        toggle.setArrowType(Qt.ArrowType.RightArrow)
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.toggled.connect(scroll.setVisible)
        arrows = {True: Qt.ArrowType.DownArrow, False: Qt.ArrowType.RightArrow}
        toggle.toggled.connect(lambda shown: toggle.setArrowType(arrows[shown]))
        save = QPushButton("Save settings…", self)
        save.setToolTip("Save as JSON for 'a2i train lora --data DIR --out DIR --settings FILE'")
        save.clicked.connect(self._on_save_clicked)
        form = QFormLayout()
        form.addRow("base model", self.base)
        form.addRow("preset", self.preset)
        form.addRow("LoRA name", self.name)
        form.addRow("", self.name_note)
        form.addRow("run folder", self.run_folder)
        form.addRow("", self.fresh)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.missing)
        row = QHBoxLayout()
        row.addWidget(toggle)
        row.addStretch(1)
        row.addWidget(save)
        layout.addLayout(row)
        layout.addWidget(scroll, 1)
        self._on_preset_changed(self.preset.currentText())
        self._check_base()

    def set_found(self, found: Mapping[str, Path | None]) -> None:
        """Where weights are now (after a download): check the base model again."""
        self.found = dict(found)
        self._check_base()

    def _check_base(self) -> None:
        """Refuse to start while the base model is not on disk, and offer the bundle that holds it."""
        from a2i_studio import bundles

        spec = bundles.spec_for_model(self.registry, self.base.currentText().strip()) if self.registry else None
        missing = [spec] if spec is not None and self.found.get(spec.name) is None else []
        actions = bundles.download_actions(self.registry, missing, self.found) if self.registry and missing else []
        self.missing.show_missing("The base model", missing, actions)
        self.completeChanged.emit()

    def initializePage(self) -> None:  # noqa: N802
        """Name the LoRA and its run folder after the data folder."""
        wizard = self.wizard()
        assert isinstance(wizard, LoraWizard)
        folder = Path(wizard.data_page.folder.text())
        if not self.name.text():
            self.name.setText(folder.name)
        if not self.run_folder.text():
            self.run_folder.setText(str(config.data_dir() / "lora-runs" / self.name.text()))

    def isComplete(self) -> bool:  # noqa: N802
        """A name, a run folder and a base model on disk are needed."""
        return bool(
            self.name.text().strip() and self.base.currentText().strip() and self.run_folder.text().strip()
            and not self.missing.isVisibleTo(self)
        )

    def _on_preset_changed(self, preset: str) -> None:
        values = self.trainer.resolve_settings({"preset": preset})
        self.advanced.set_values({name: value for name, value in values.items() if name not in _PAGE_FIELDS})

    def _on_name_changed(self, name: str) -> None:
        exists = (config.models_dir() / "loras" / f"{name}.safetensors").exists()
        self.name_note.setText(f"⚠ loras/{name}.safetensors exists and will be replaced." if exists else "")
        self.completeChanged.emit()

    def _on_save_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save LoRA settings", "lora-settings.json", "JSON (*.json)")
        if name:
            wizard = self.wizard()
            assert isinstance(wizard, LoraWizard)
            wizard.save_settings(Path(name))


class LoraWizard(QWizard):
    """Train a LoRA from the app.

    Args:
        trainer: The ``lora`` trainer, from the registry.
        chain_panel: Where "Use this LoRA now" puts the result; ``None`` hides that button.
        registry: The loaded components, to tell whether the base model is on disk.
        found: Where weights are; the wizard refuses to start while the base model is missing.

    Signals:
        bundle_requested: ``str``: open the model manager at the bundle that holds the base model.
    """

    bundle_requested = Signal(str)

    def __init__(self, trainer: Trainer, chain_panel: ChainPanel | None, parent: QWidget | None = None, *,
                 registry: Registry | None = None, found: Mapping[str, Path | None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train LoRA")
        self.resize(760, 640)
        self.trainer = trainer
        self.data_page = DataPage(self)
        self.settings_page = SettingsPage(trainer, registry, found, self)
        self.settings_page.bundle_requested.connect(self.bundle_requested)
        self.run_page = TrainingRunPage(self.job, self)
        self.finish_page = FinishPage(chain_panel, self)
        for page in (self.data_page, self.settings_page, self.run_page, self.finish_page):
            self.addPage(page)
        self.rejected.connect(self.run_page.stop)

    def settings(self) -> dict[str, Any]:
        """Every setting the pages show, resolved by the trainer.

        Raises:
            ParamError: If a value is invalid.
        """
        data, page = self.data_page, self.settings_page
        values: dict[str, Any] = {
            **page.advanced.values(),
            "preset": page.preset.currentText(),
            "base": page.base.currentText().strip(),
            "name": page.name.text().strip(),
            "conditioning": data.conditioning.currentText(),
            "caption_template": data.template.text(),
            "audio_chain": data.audio_chain.text().strip(),
        }
        return self.trainer.resolve_settings(values)

    def save_settings(self, path: Path) -> None:
        """Write :meth:`settings` as the JSON file ``a2i train lora --settings`` reads."""
        atomic_write_json(path, self.settings())

    def job(self) -> TrainingJob:
        """The run the pages describe (for the run page).

        Raises:
            ParamError: If a setting is invalid.
        """
        return TrainingJob(self.trainer, Path(self.data_page.folder.text()),
                           Path(self.settings_page.run_folder.text()), self.settings(),
                           self.settings_page.fresh.isChecked())


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
        wizard = self.wizard()
        assert isinstance(wizard, LoraWizard)
        metrics = wizard.run_page.metrics
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


def _local_pipelines() -> list[str]:
    """Names of the diffusers pipelines in the models dir's ``checkpoints/``."""
    folder = config.models_dir() / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(child.name for child in folder.iterdir() if (child / "model_index.json").is_file())

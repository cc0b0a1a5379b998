"""The adapter wizard: labelled sounds in, an adapter from an audio encoder to a generator's text space out.

Seeds 1 and 2 (VGGish + MLP -> Stable Diffusion) need an adapter trained on
the user's own labelled sounds before their chains run. The wizard gets the
trainer that makes adapters from the registry (any plugin's would do), shows
what the data folder holds and each clip's caption, lets the user choose the
encoder, the target generator and how much of its text embedding to predict,
refuses to start while the encoder's or the generator's weights are missing
(and offers their bundle), runs the trainer with live validation curves
(:class:`~a2i_studio.gui.training_run.TrainingRunPage`: cancel, resume), and
ends with "Use this adapter now".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from a2i_studio import config
from a2i_studio.core import SD3_TEXT, Generator, TextEncoding
from a2i_studio.gui.next_step import MissingWeightsBox
from a2i_studio.gui.param_form import ParamForm
from a2i_studio.gui.training_run import TrainingJob, TrainingRunPage
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.bundles import Action
    from a2i_studio.core import Registry, Trainer
    from a2i_studio.datasets import LabelledAudioReport

__all__ = ["AdapterWizard", "DataPage", "FinishPage", "SettingsPage"]

DEFAULT_TEMPLATE = "a photo of a {label}"
_PAGE_FIELDS = ("preset", "encoder", "generator", "adapter_id", "target", "tokens", "template")
_PREVIEW_ROWS = 300


class DataPage(QWizardPage):
    """The folder of labelled sounds, the caption template, and what a scan found.

    Signals:
        scanned: A scan finished (:attr:`report` is set).
    """

    scanned = Signal()

    def __init__(self, val_fraction: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your sounds")
        self.setSubTitle("A folder of class folders (rain/clip.wav, birds/...) or one with metadata.csv "
                         "(audio, label, prompt). Each clip is trained towards the caption shown.")
        self.report: LabelledAudioReport | None = None
        self._val_fraction = val_fraction
        self.folder = QLineEdit(self)
        self.folder.editingFinished.connect(self.scan)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        rescan = QPushButton("Scan again", self)
        rescan.setToolTip("Read the folder again (after fixing what is listed below)")
        rescan.clicked.connect(self.scan)
        self.template = QLineEdit(DEFAULT_TEMPLATE, self)
        self.template.setToolTip("The caption of a clip without a prompt; {label} is its label (its folder's name)")
        self.template.editingFinished.connect(self.scan)
        self.summary = QLabel("Choose a folder.", self)
        self.summary.setWordWrap(True)
        self.preview = QTreeWidget(self)
        self.preview.setHeaderLabels(["label", "clip", "seconds", "caption"])
        self.preview.setRootIsDecorated(False)
        self.problems = QListWidget(self)
        self.problems.setMaximumHeight(120)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        row.addWidget(rescan)
        form = QFormLayout()
        form.addRow("folder", row)
        form.addRow("caption template", self.template)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview, 1)
        layout.addWidget(QLabel("Problems found:", self))
        layout.addWidget(self.problems)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        """Usable once a scan found clips for both splits."""
        return self.report is not None and self.report.usable

    def set_folder(self, folder: Path) -> None:
        """Show ``folder`` and scan it."""
        self.folder.setText(str(folder))
        self.scan()

    def scan(self) -> None:
        """Scan the folder off the UI thread (probing each clip's header)."""
        from a2i_studio.datasets import scan_labelled_audio

        text = self.folder.text().strip()
        if not text:
            return
        self.report = None
        self.completeChanged.emit()
        self.summary.setText("Reading the folder…")
        folder, template, share = Path(text), self.template.text(), self._val_fraction
        start_task(lambda: scan_labelled_audio(folder, template, share), on_done=self._on_scan_done,
                   on_failed=self._on_scan_failed)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Labelled sounds", self.folder.text())
        if folder:
            self.set_folder(Path(folder))

    def _on_scan_done(self, report: LabelledAudioReport) -> None:
        self.report = report
        self.summary.setText(report.summary())
        self.preview.clear()
        for clip in report.clips[:_PREVIEW_ROWS]:
            name = str(clip.audio.relative_to(report.root.resolve()))
            self.preview.addTopLevelItem(QTreeWidgetItem([clip.label, name, f"{clip.seconds:.1f}", clip.caption]))
        for column in range(3):
            self.preview.resizeColumnToContents(column)
        self.problems.clear()
        self.problems.addItems([f"✗ {text}" for text in report.blocking] + [f"⚠ {text}" for text in report.problems])
        if not report.blocking and not report.problems:
            self.problems.addItem("none")
        if report.blocking:
            self.summary.setText(f"{report.summary()} Fix the problems marked ✗, then scan again.")
        self.completeChanged.emit()
        self.scanned.emit()

    def _on_scan_failed(self, error: BaseException) -> None:
        self.summary.setText(f"The folder could not be read: {error}")
        self.scanned.emit()


class SettingsPage(QWizardPage):
    """Encoder, target generator, what to predict, preset, names; the rest under an Advanced form.

    Signals:
        bundle_requested: ``str``: the user wants the bundle that holds missing weights.
    """

    bundle_requested = Signal(str)

    def __init__(self, registry: Registry, trainer: Trainer, found: Mapping[str, Path | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Encoder, target and settings")
        self.setSubTitle("The adapter maps the encoder's embedding of a clip to the generator's embedding of "
                         "its caption.")
        self.registry, self.trainer, self.found = registry, trainer, dict(found)
        self.encoder = QComboBox(self)
        for encoder in registry.encoders:
            self.encoder.addItem(f"{encoder.name or encoder.id} ({encoder.id})", encoder.id)
        self.generator = QComboBox(self)
        for generator in registry.generators:
            if isinstance(generator, TextEncoding):
                self.generator.addItem(f"{generator.name or generator.id} ({generator.id})", generator.id)
        self.target = QComboBox(self)
        self.tokens = QSpinBox(self)
        self.tokens.setRange(1, 333)
        self.preset = QComboBox(self)
        preset_param = next((param for param in trainer.params if param.name == "preset"), None)
        self.preset.addItems(list(getattr(preset_param, "choices", ())))
        self.preset.setCurrentText(str(getattr(preset_param, "default", "")))
        self.adapter_id = QLineEdit(self)
        self.run_folder = QLineEdit(self)
        self.missing = MissingWeightsBox(self)
        self.missing.bundle_requested.connect(self.bundle_requested)
        self.advanced = ParamForm([param for param in trainer.params if param.name not in _PAGE_FIELDS], self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.advanced)
        form = QFormLayout()
        form.addRow("audio encoder", self.encoder)
        form.addRow("target generator", self.generator)
        form.addRow("predict", self.target)
        form.addRow("tokens", self.tokens)
        form.addRow("preset", self.preset)
        form.addRow("adapter id", self.adapter_id)
        form.addRow("run folder", self.run_folder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.missing)
        layout.addWidget(QLabel("Advanced:", self))
        layout.addWidget(scroll, 1)
        for signal in (self.encoder.currentIndexChanged, self.generator.currentIndexChanged):
            signal.connect(self._on_ends_changed)
        self.preset.currentTextChanged.connect(self._on_preset_changed)
        for line in (self.adapter_id, self.run_folder):
            line.textChanged.connect(self.completeChanged)
        self._suggested: tuple[str, str] = ("", "")
        self._on_preset_changed(self.preset.currentText())
        self._on_ends_changed()

    def choose(self, encoder: str, generator: str, adapter_id: str = "") -> None:
        """Select the two ends (and the adapter id a chain needs)."""
        self.encoder.setCurrentIndex(max(self.encoder.findData(encoder), 0))
        self.generator.setCurrentIndex(max(self.generator.findData(generator), 0))
        if adapter_id:
            self.adapter_id.setText(adapter_id)

    def set_found(self, found: Mapping[str, Path | None]) -> None:
        """Where weights are now (after a download): re-check what is missing."""
        self.found = dict(found)
        self._check_weights()

    def values(self) -> dict[str, Any]:
        """The settings the page shows (the data page adds the template)."""
        values = self.advanced.values()
        values.update(
            encoder=self.encoder.currentData(), generator=self.generator.currentData(),
            target=self.target.currentText(), tokens=self.tokens.value(), adapter_id=self.adapter_id.text().strip(),
        )
        if self.preset.count():
            values["preset"] = self.preset.currentText()
        return values

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        """Both ends chosen, their weights on disk, and an adapter id and run folder."""
        return bool(
            self.encoder.currentData() and self.generator.currentData() and not self.missing.isVisibleTo(self)
            and self.adapter_id.text().strip() and self.run_folder.text().strip()
        )

    def _on_preset_changed(self, preset: str) -> None:
        resolved = self.trainer.resolve_settings({"preset": preset} if self.preset.count() else {})
        self.advanced.set_values({key: value for key, value in resolved.items() if key not in _PAGE_FIELDS})
        self.tokens.setValue(int(resolved.get("tokens", 20)))

    def _on_ends_changed(self) -> None:
        encoder, generator_id = self.encoder.currentData(), self.generator.currentData()
        generator = self.registry.get("generator", generator_id or "")
        targets = ("first-n", "pooled") if isinstance(generator, Generator) and generator.input_space == SD3_TEXT \
            else ("first-n", "sequence")
        self.target.clear()
        self.target.addItems(list(targets))
        suggested = f"mlp-{encoder}-{generator_id}"
        if self.adapter_id.text() in ("", self._suggested[0]):
            self.adapter_id.setText(suggested)
        folder = str(config.data_dir() / "adapter-runs" / suggested)
        if self.run_folder.text() in ("", self._suggested[1]):
            self.run_folder.setText(folder)
        self._suggested = (suggested, folder)
        self._check_weights()

    def _check_weights(self) -> None:
        from a2i_studio import bundles

        ends = [self.registry.get(kind, self._end(kind) or "") for kind in ("encoder", "generator")]
        missing = [
            spec for component in ends if component is not None for spec in component.weights
            if self.found.get(spec.name) is None
        ]
        actions = bundles.download_actions(self.registry, missing, self.found)
        self.missing.show_missing("Training", missing, actions)
        self.completeChanged.emit()

    def _end(self, kind: str) -> str | None:
        data = (self.encoder if kind == "encoder" else self.generator).currentData()
        return str(data) if data else None


class FinishPage(QWizardPage):
    """The new adapter, its validation numbers, and "Use this adapter now"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your adapter is ready")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.use_button = QPushButton("Use this adapter now", self)
        self.use_button.setToolTip("Load it (the plugins are loaded again) and select its chain")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.use_button)
        layout.addStretch(1)


class AdapterWizard(QWizard):
    """Train an adapter from the app.

    Args:
        registry: The loaded components; the trainer that makes adapters is taken from it.
        trainer: That trainer.
        found: Where weights are (the base model must be on disk).
        action: The chain step that opened the wizard, if any: its ends and adapter id are chosen.

    Signals:
        bundle_requested: ``str``: open the model manager at this bundle.
        use_requested: ``str``: load the new adapter and select this chain.
    """

    bundle_requested = Signal(str)
    use_requested = Signal(str)

    def __init__(self, registry: Registry, trainer: Trainer, found: Mapping[str, Path | None],
                 action: Action | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train an adapter")
        self.resize(860, 660)
        self.trainer = trainer
        defaults = trainer.resolve_settings({})
        self.data_page = DataPage(float(defaults.get("val_fraction", 0.2)), self)
        self.settings_page = SettingsPage(registry, trainer, found, self)
        self.settings_page.bundle_requested.connect(self.bundle_requested)
        if action is not None:
            self.settings_page.choose(action.encoder, action.generator, action.component)
        self.run_page = TrainingRunPage(self.job, self)
        self.finish_page = FinishPage(self)
        self.finish_page.use_button.clicked.connect(self._on_use_clicked)
        for page in (self.data_page, self.settings_page, self.run_page, self.finish_page):
            self.addPage(page)
        self.currentIdChanged.connect(self._on_page_changed)
        self.rejected.connect(self.run_page.stop)

    def settings(self) -> dict[str, Any]:
        """Every setting, resolved by the trainer.

        Raises:
            ParamError: If a value is invalid.
        """
        values = {**self.settings_page.values(), "template": self.data_page.template.text()}
        return self.trainer.resolve_settings(values)

    def job(self) -> TrainingJob:
        """What the pages describe (the run page calls it when shown)."""
        data = Path(self.data_page.folder.text().strip())
        return TrainingJob(self.trainer, data, Path(self.settings_page.run_folder.text().strip()), self.settings())

    def chain_id(self) -> str:
        """The chain the new adapter makes: encoder > adapter > generator."""
        values = self.settings_page.values()
        return f"{values['encoder']}>{values['adapter_id']}>{values['generator']}"

    def set_found(self, found: Mapping[str, Path | None]) -> None:
        """Where weights are now (after a download from the model manager)."""
        self.settings_page.set_found(found)

    def _on_page_changed(self, page_id: int) -> None:
        metrics = self.run_page.metrics
        if self.page(page_id) is self.finish_page and metrics is not None:
            numbers = ", ".join(f"{name} {metrics[name]:.3f}" for name in ("val_mse", "val_cosine") if name in metrics)
            self.finish_page.summary.setText(
                f"Saved {metrics.get('adapter', '')}.\nOn the validation clips: {numbers}.\n"
                f"It makes the chain {self.chain_id()}."
            )

    def _on_use_clicked(self) -> None:
        self.use_requested.emit(self.chain_id())
        self.accept()

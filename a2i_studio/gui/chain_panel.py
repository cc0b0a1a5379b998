"""The chain panel: pick a runnable chain, set its parameters, seed and batch, and generate."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.core import Chain
from a2i_studio.gui.param_form import ParamForm

__all__ = ["SEED_MODES", "ChainPanel"]

SEED_MODES = ("random", "fixed", "increment")
_SEED_HELP = "random: a new seed per job; fixed: the same seed every time; increment: advance by the images per job"
_MAX_SEED = 2**31 - 1


class ChainPanel(QWidget):
    """Chain choice, one parameter form per component, seed and batch, and the Generate buttons.

    Signals:
        generate_requested: Generate from the selected clip's selection.
        batch_requested: Run the chain over every clip in the library.
        chain_changed: The selected :class:`~a2i_studio.core.Chain`, or ``None``.
    """

    generate_requested = Signal()
    batch_requested = Signal()
    chain_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chains: list[Chain] = []
        self.forms: dict[str, ParamForm] = {}
        self._weights: Mapping[str, Path | None] = {}
        self._remembered: dict[str, dict[str, Any]] = {}  # values by component id, kept across chain switches
        self.chain_combo = QComboBox(self)
        self.chain_combo.currentIndexChanged.connect(self._on_chain_index_changed)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.weights_label = QLabel(self)
        self.weights_label.setWordWrap(True)
        self.weights_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.forms_box = QWidget(self)
        self.forms_layout = QVBoxLayout(self.forms_box)
        self.forms_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.forms_box)
        scroll.setMinimumHeight(96)
        self.seed_mode = QComboBox(self)
        self.seed_mode.addItems(list(SEED_MODES))
        self.seed_mode.setToolTip(_SEED_HELP)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, _MAX_SEED)
        self.batch = QSpinBox(self)
        self.batch.setRange(1, 64)
        self.batch.setToolTip("Images per job (seed, seed + 1, ...)")
        run_form = QFormLayout()
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_mode)
        seed_row.addWidget(self.seed, 1)
        run_form.addRow("seed", seed_row)
        run_form.addRow("images", self.batch)
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Queue a job for the selection of the current clip (Ctrl+G)")
        self.generate_button.clicked.connect(self.generate_requested)
        self.batch_button = QPushButton("Run over library", self)
        self.batch_button.setToolTip("Queue one job per clip in the library (an audition)")
        self.batch_button.clicked.connect(self.batch_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.chain_combo)
        layout.addWidget(self.note)
        layout.addWidget(self.weights_label)
        layout.addWidget(scroll, 1)
        layout.addLayout(run_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.batch_button)
        layout.addLayout(buttons)
        self.note.setText("Loading plugins…")
        for button in (self.generate_button, self.batch_button):
            button.setEnabled(False)

    def show_loading(self, plugin: str) -> None:
        """Say which plugin is being imported while the chains are not known yet."""
        self.note.setText(f"Loading plugins… importing {plugin}")

    def show_unavailable(self, reason: str) -> None:
        """Say that no chain can be offered this session, and why (Generate stays disabled)."""
        self.note.setText(f"No chains: the plugins could not be loaded ({reason}).")
        self.note.setVisible(True)

    def set_chains(self, chains: Sequence[Chain], weights: Mapping[str, Path | None], preferred: str | None) -> None:
        """List ``chains`` and select ``preferred``, or the first one when it is not runnable here.

        Args:
            chains: The runnable chains (``find_chains``).
            weights: Where each weights name was found (``None``: missing).
            preferred: Chain id to select (the last session's, or the default chain).
        """
        self.chains = list(chains)
        self._weights = weights
        ids = [chain.id for chain in self.chains]
        self.chain_combo.blockSignals(True)
        self.chain_combo.clear()
        for chain in self.chains:
            self.chain_combo.addItem(chain.id)
            self.chain_combo.setItemData(
                self.chain_combo.count() - 1, _chain_tooltip(chain), Qt.ItemDataRole.ToolTipRole
            )
        self.chain_combo.blockSignals(False)
        if not self.chains:
            self.note.setText("No runnable chain: install or enable a plugin (Tools > Plugins).")
        elif preferred is not None and preferred not in ids:
            self.note.setText(f"Chain {preferred} is not installed here; showing {ids[0]} instead.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))
        self.generate_button.setEnabled(bool(self.chains))
        self.batch_button.setEnabled(bool(self.chains))
        self.chain_combo.setCurrentIndex(ids.index(preferred) if preferred in ids else 0)
        self._on_chain_index_changed(self.chain_combo.currentIndex())

    def current_chain(self) -> Chain | None:
        """The selected chain."""
        index = self.chain_combo.currentIndex()
        return self.chains[index] if 0 <= index < len(self.chains) else None

    def select_chain(self, chain_id: str) -> bool:
        """Select ``chain_id``; returns whether it is listed."""
        index = self.chain_combo.findText(chain_id)
        if index >= 0:
            self.chain_combo.setCurrentIndex(index)
        return index >= 0

    def params(self) -> dict[str, dict[str, Any]]:
        """Parameter values by component id, then by name."""
        return {component_id: form.values() for component_id, form in self.forms.items()}

    def take_seed(self) -> int:
        """The seed of the next job; advances the seed box as the seed mode says."""
        mode = self.seed_mode.currentText()
        if mode == "random":
            self.seed.setValue(random.randint(0, _MAX_SEED))
        seed = self.seed.value()
        if mode == "increment":
            self.seed.setValue((seed + self.batch.value()) % (_MAX_SEED + 1))
        return seed

    def apply_recipe(self, recipe: Mapping[str, Any]) -> bool:
        """Show a recipe's chain, parameters and seed (seed mode becomes fixed); returns whether the chain exists."""
        if not self.select_chain(str(recipe.get("chain", ""))):
            return False
        for component_id, values in recipe.get("params", {}).items():
            if component_id in self.forms:
                self.forms[component_id].set_values(values)
        self.seed_mode.setCurrentText("fixed")
        self.seed.setValue(int(recipe.get("seed", 0)))
        return True

    def use_lora(self, name: str, generator_id: str) -> bool:
        """Add LoRA ``name`` at scale 1 to generator ``generator_id``'s ``loras`` parameter.

        Switches to the first chain ending in that generator when the current one does not;
        returns whether there is such a chain.
        """
        chain = self.current_chain()
        if chain is None or chain.generator.id != generator_id:
            chain = next((chain for chain in self.chains if chain.generator.id == generator_id), None)
            if chain is None:
                return False
            self.select_chain(chain.id)
        form = self.forms[generator_id]
        kept = [item.strip() for item in str(form.values()["loras"]).split(",")
                if item.strip() and item.strip().rpartition(":")[0] not in (name, f"{name}.safetensors")]
        form.set_values({"loras": ", ".join([*kept, f"{name}:1.0"])})
        return True

    def _on_chain_index_changed(self, index: int) -> None:
        for component_id, form in self.forms.items():
            self._remembered[component_id] = form.values()
        while self.forms_layout.count():
            item = self.forms_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # deleted later, in the event loop; hidden now so it never shows under the new forms
                widget.deleteLater()
        self.forms.clear()
        chain = self.current_chain()
        if chain is not None:
            for component in chain.components:
                group = QGroupBox(f"{component.kind}: {component.name or component.id}", self.forms_box)
                group.setToolTip(f"{component.id} {component.version}: {component.description}")
                group_layout = QVBoxLayout(group)
                form = ParamForm(component.params, group)
                form.set_values(self._remembered.get(component.id, {}))
                if not component.params:
                    group_layout.addWidget(QLabel("no parameters", group))
                group_layout.addWidget(form)
                self.forms[component.id] = form
                self.forms_layout.addWidget(group)
        self.forms_layout.addStretch(1)
        self._show_missing_weights(chain)
        self.chain_changed.emit(chain)

    def _show_missing_weights(self, chain: Chain | None) -> None:
        missing = [
            spec
            for component in (chain.components if chain else ())
            for spec in component.weights
            if self._weights.get(spec.name) is None
        ]
        lines = [
            f"⚠ <b>{spec.name}</b> missing ({spec.description}). get it with: "
            f"<code>a2i models download {spec.name}</code>"
            for spec in missing
        ]
        self.weights_label.setText("<br>".join(lines))
        self.weights_label.setVisible(bool(lines))


def _chain_tooltip(chain: Chain) -> str:
    return "\n".join(f"{component.kind} {component.id}: {component.description}" for component in chain.components)

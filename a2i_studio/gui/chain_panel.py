"""The chain panel: pick a chain, set its parameters, seed and batch, and generate.

Every chain is listed, also those that cannot run yet; for those, the panel says
what is missing and offers the next step (download a bundle, train an adapter).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

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
from a2i_studio.gui.next_step import NextStepBox
from a2i_studio.gui.param_form import ParamForm

if TYPE_CHECKING:
    from a2i_studio.bundles import BundleStatus, ChainStatus

__all__ = ["SEED_MODES", "ChainPanel"]

SEED_MODES = ("random", "fixed", "increment")
_SEED_HELP = "random: a new seed per job; fixed: the same seed every time; increment: advance by the images per job"
_MAX_SEED = 2**31 - 1
_NOT_READY = "  — not ready yet"


class ChainPanel(QWidget):
    """Chain choice, one parameter form per component, seed and batch, and the Generate buttons.

    Signals:
        generate_requested: Generate from the selected clip's selection.
        batch_requested: Run the chain over every clip in the library.
        chain_changed: The selected :class:`~a2i_studio.core.Chain`, or ``None`` when its parts are not installed.
        bundle_requested: ``str``: the user wants this bundle (open the model manager at it).
        train_requested: ``Action``: the user wants to train the adapter a chain lacks.
    """

    generate_requested = Signal()
    batch_requested = Signal()
    chain_changed = Signal(object)
    bundle_requested = Signal(str)
    train_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chains: list[Chain] = []
        self.forms: dict[str, ParamForm] = {}
        self._known: dict[str, Chain] = {}  # chains whose components are installed, runnable or not, by id
        self._statuses: dict[str, ChainStatus] = {}
        self._few_step: Mapping[str, Sequence[BundleStatus]] = {}
        self._has_gpu = True
        self._remembered: dict[str, dict[str, Any]] = {}  # values by component id, kept across chain switches
        self.chain_combo = QComboBox(self)
        self.chain_combo.currentIndexChanged.connect(self._on_chain_index_changed)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.next_step = NextStepBox(self)
        self.next_step.bundle_requested.connect(self.bundle_requested)
        self.next_step.train_requested.connect(self.train_requested)
        self.forms_box = QWidget(self)
        self.forms_layout = QVBoxLayout(self.forms_box)
        self.forms_layout.setContentsMargins(0, 0, 0, 0)
        self.forms_scroll = QScrollArea(self)
        self.forms_scroll.setWidgetResizable(True)
        self.forms_scroll.setWidget(self.forms_box)
        self.forms_scroll.setMinimumHeight(96)
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
        layout.addWidget(self.next_step)
        layout.addWidget(self.forms_scroll, 1)
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

    def set_chains(
        self,
        chains: Sequence[Chain],
        preferred: str | None,
        statuses: Sequence[ChainStatus] | None = None,
        few_step: Mapping[str, Sequence[BundleStatus]] | None = None,
    ) -> None:
        """List every chain and select ``preferred``, or the first runnable one when it is not listed.

        Args:
            chains: The chains whose components are installed (``find_chains``).
            preferred: Chain id to select (the last session's, or the default chain).
            statuses: Every chain's status (``chain_statuses``), those that cannot run yet included;
                ``None`` takes each of ``chains`` as runnable.
            few_step: Few-step bundles proposed for chains with slow generators, when there is no GPU.
        """
        self._known = {chain.id: chain for chain in chains}
        self._statuses = {status.chain_id: status for status in statuses or ()}
        self._few_step = few_step or {}
        ids = sorted({*self._known, *self._statuses})
        runnable = [chain_id for chain_id in ids if self._runnable(chain_id)]
        # A chain whose parts are installed can be tried even with weights missing: its model parameter may
        # point at a copy of the user's own; the engine then names what is missing.
        self.chains = [self._known[chain_id] for chain_id in ids if chain_id in self._known]
        self.chain_combo.blockSignals(True)
        self.chain_combo.clear()
        for chain_id in ids:
            ready = chain_id in runnable
            self.chain_combo.addItem(chain_id if ready else chain_id + _NOT_READY, chain_id)
            chain = self._known.get(chain_id)
            tooltip = _chain_tooltip(chain) if chain is not None else ""
            if not ready:
                tooltip = f"{self._statuses[chain_id].reason}\nNext: {self._statuses[chain_id].next_step}.\n{tooltip}"
            self.chain_combo.setItemData(self.chain_combo.count() - 1, tooltip.strip(), Qt.ItemDataRole.ToolTipRole)
        self.chain_combo.blockSignals(False)
        if not runnable:
            self.note.setText("No chain can run yet: pick one below to see what it needs (or Tools > Plugins).")
        elif preferred is not None and preferred not in ids:
            self.note.setText(f"Chain {preferred} is not installed here; showing {runnable[0]} instead.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))
        chosen = preferred if preferred in ids else next(iter(runnable or ids), None)
        self.chain_combo.setCurrentIndex(ids.index(chosen) if chosen is not None else -1)
        self._on_chain_index_changed(self.chain_combo.currentIndex())

    def set_has_gpu(self, has_gpu: bool) -> None:
        """Whether a GPU runs the chains; without one, few-step bundles are proposed for slow generators."""
        self._has_gpu = has_gpu
        self._show_next_step()

    def current_chain_id(self) -> str | None:
        """The id of the selected entry, runnable or not."""
        data = self.chain_combo.currentData()
        return str(data) if data is not None else None

    def current_chain(self) -> Chain | None:
        """The selected chain, when its components are installed (its weights may still be missing)."""
        return self._known.get(self.current_chain_id() or "")

    def current_status(self) -> ChainStatus | None:
        """The selected chain's status; ``None`` when none was given (it runs)."""
        return self._statuses.get(self.current_chain_id() or "")

    def is_runnable(self) -> bool:
        """Whether the selected chain can run now."""
        chain_id = self.current_chain_id()
        return chain_id is not None and self._runnable(chain_id)

    def select_chain(self, chain_id: str) -> bool:
        """Select ``chain_id``; returns whether it is listed."""
        index = self.chain_combo.findData(chain_id)
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

    def _runnable(self, chain_id: str) -> bool:
        status = self._statuses.get(chain_id)
        return status.runnable if status is not None else chain_id in self._known

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
        elif self.current_chain_id() is not None:
            self.forms_layout.addWidget(QLabel("Its parameters show once all its parts are installed.", self.forms_box))
        self.forms_layout.addStretch(1)
        self.generate_button.setEnabled(chain is not None)
        self.batch_button.setEnabled(chain is not None)
        self._show_next_step()
        self.chain_changed.emit(chain)

    def _show_next_step(self) -> None:
        chain_id = self.current_chain_id() or ""
        few_step = () if self._has_gpu else self._few_step.get(chain_id, ())
        self.next_step.show_status(self._statuses.get(chain_id), few_step)


def _chain_tooltip(chain: Chain) -> str:
    return "\n".join(f"{component.kind} {component.id}: {component.description}" for component in chain.components)

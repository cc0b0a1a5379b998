"""Editing a render's modulations: which numeric parameter follows which envelope, through what range and curve."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGridLayout, QLabel, QPushButton, QWidget

from a2i_studio.audio.envelopes import ENVELOPES
from a2i_studio.core import Chain, FloatParam, IntParam
from a2i_studio.frames import CURVES, Modulation

__all__ = ["ModulationEditor"]

_COLUMNS = ("parameter", "follows", "low", "high", "curve", "")


class ModulationEditor(QWidget):
    """One row per modulation, with Add and Remove; the parameters offered are the chain's numeric ones.

    Args:
        chain: The chain whose parameters can be modulated.

    Signals:
        changed: A row was added, removed or edited.
    """

    changed = Signal()

    def __init__(self, chain: Chain, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = {
            f"{component.id}.{param.name}": param
            for component in chain.components
            for param in component.params
            if isinstance(param, (IntParam, FloatParam))
        }
        self.rows: list[tuple[QComboBox, QComboBox, QDoubleSpinBox, QDoubleSpinBox, QComboBox, QPushButton]] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for column, title in enumerate(_COLUMNS):
            self.grid.addWidget(QLabel(title, self), 0, column)
        self.add_button = QPushButton("Add modulation", self)
        self.add_button.setToolTip("Let a numeric parameter of the chain follow a sound envelope")
        self.add_button.setEnabled(bool(self.params))
        self.add_button.clicked.connect(self._on_add_clicked)
        self.grid.addWidget(self.add_button, 1, 0, 1, len(_COLUMNS))

    def modulations(self) -> tuple[Modulation, ...]:
        """The rows as modulations."""
        return tuple(
            Modulation(param.currentText(), envelope.currentText(), low.value(), high.value(), curve.currentText())
            for param, envelope, low, high, curve, _ in self.rows
        )

    def set_modulations(self, modulations: Sequence[Modulation]) -> None:
        """Show ``modulations`` in place of the rows (those naming a parameter the chain lacks are left out)."""
        while self.rows:
            self._remove(self.rows[-1][-1])
        for modulation in modulations:
            if modulation.param in self.params:
                self.add(modulation)

    def add(self, modulation: Modulation | None = None) -> None:
        """Add a row (a default one: the first parameter over its range, following loudness)."""
        param_box = QComboBox(self)
        param_box.addItems(list(self.params))
        envelope = QComboBox(self)
        envelope.setEditable(True)  # for bands such as 60-250hz
        envelope.addItems(list(ENVELOPES))
        low, high = QDoubleSpinBox(self), QDoubleSpinBox(self)
        for spin in (low, high):
            spin.setDecimals(3)
            spin.setRange(-1e6, 1e6)
        curve = QComboBox(self)
        curve.addItems(list(CURVES))
        remove = QPushButton("Remove", self)
        row = (param_box, envelope, low, high, curve, remove)
        self.rows.append(row)
        param_box.currentTextChanged.connect(lambda name, row=row: self._on_param_changed(name, row))
        if modulation is None:
            self._on_param_changed(param_box.currentText(), row)
        else:
            param_box.setCurrentText(modulation.param)
            envelope.setCurrentText(modulation.envelope)
            low.setValue(modulation.low)
            high.setValue(modulation.high)
            curve.setCurrentText(modulation.curve)
        remove.clicked.connect(lambda: self._remove(remove))
        for widget in (envelope, curve):
            widget.currentTextChanged.connect(self.changed)
        for spin in (low, high):
            spin.valueChanged.connect(self.changed)
        self._lay_out()
        self.changed.emit()

    def _on_add_clicked(self) -> None:
        self.add()

    def _on_param_changed(self, name: str, row: tuple) -> None:
        param = self.params[name]
        low, high = row[2], row[3]
        low.setValue(param.minimum if param.minimum is not None else 0.0)
        high.setValue(param.maximum if param.maximum is not None else float(param.default) * 2 or 1.0)
        self.changed.emit()

    def _remove(self, button: QPushButton) -> None:
        row = next(row for row in self.rows if row[-1] is button)
        self.rows.remove(row)
        for widget in row:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self._lay_out()
        self.changed.emit()

    def _lay_out(self) -> None:
        for index, row in enumerate(self.rows, start=1):
            for column, widget in enumerate(row):
                self.grid.addWidget(widget, index, column)
        self.grid.addWidget(self.add_button, len(self.rows) + 1, 0, 1, len(_COLUMNS))

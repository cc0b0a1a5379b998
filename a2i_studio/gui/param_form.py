"""A form built from a component's parameter schema; nothing in it is written per backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from a2i_studio.core import BoolParam, ChoiceParam, FloatParam, IntParam, Param, PathParam, TextParam

__all__ = ["ParamForm"]

_INT_LIMIT = 2**31 - 1
_SHORT_TEXT = 200  # TextParams allowing more than this get a multi-line editor (prompts)


class ParamForm(QWidget):
    """One labelled editor per parameter: spin boxes, combo, check box, text or path.

    Args:
        params: The component's parameter schema.

    Signals:
        changed: Any value changed.
    """

    changed = Signal()

    def __init__(self, params: Sequence[Param], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = tuple(params)
        self.editors: dict[str, QWidget] = {}
        self._getters: dict[str, Callable[[], Any]] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for param in self.params:
            editor = self._build(param)
            editor.setToolTip(param.help)
            self._setters[param.name](param.default)
            self.editors[param.name] = editor
            layout.addRow(param.name.replace("_", " "), editor)

    def values(self) -> dict[str, Any]:
        """The current value of every parameter, by name."""
        return {name: getter() for name, getter in self._getters.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (names this form does not have are ignored)."""
        for name, value in values.items():
            if name in self._setters:
                self._setters[name](value)

    def reset(self) -> None:
        """Back to every parameter's default."""
        self.set_values({param.name: param.default for param in self.params})

    def _build(self, param: Param) -> QWidget:
        name = param.name
        if isinstance(param, IntParam):
            spin = QSpinBox(self)
            spin.setRange(_bound(param.minimum, -_INT_LIMIT), _bound(param.maximum, _INT_LIMIT))
            spin.valueChanged.connect(self.changed)
            self._getters[name], self._setters[name] = spin.value, lambda v: spin.setValue(int(v))
            return spin
        if isinstance(param, FloatParam):
            double = QDoubleSpinBox(self)
            double.setDecimals(4)
            double.setRange(
                -1e9 if param.minimum is None else param.minimum, 1e9 if param.maximum is None else param.maximum
            )
            if param.minimum is not None and param.maximum is not None:
                double.setSingleStep((param.maximum - param.minimum) / 100)
            double.valueChanged.connect(self.changed)
            self._getters[name], self._setters[name] = double.value, lambda v: double.setValue(float(v))
            return double
        if isinstance(param, ChoiceParam):
            combo = QComboBox(self)
            combo.addItems(list(param.choices))
            combo.currentIndexChanged.connect(self.changed)
            self._getters[name], self._setters[name] = combo.currentText, lambda v: combo.setCurrentText(str(v))
            return combo
        if isinstance(param, BoolParam):
            check = QCheckBox(self)
            check.toggled.connect(self.changed)
            self._getters[name], self._setters[name] = check.isChecked, lambda v: check.setChecked(bool(v))
            return check
        if isinstance(param, TextParam) and param.max_length > _SHORT_TEXT:
            text = QPlainTextEdit(self)
            text.setMaximumHeight(70)
            text.textChanged.connect(self.changed)
            self._getters[name], self._setters[name] = text.toPlainText, lambda v: text.setPlainText(str(v))
            return text
        if isinstance(param, PathParam):
            return self._build_path(param)
        line = QLineEdit(self)  # TextParam, and any future text-like kind
        if isinstance(param, TextParam):
            line.setMaxLength(param.max_length)
        line.textChanged.connect(self.changed)
        self._getters[name], self._setters[name] = line.text, lambda v: line.setText(str(v))
        return line

    def _build_path(self, param: PathParam) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        line = QLineEdit(box)
        line.textChanged.connect(self.changed)
        browse = QPushButton("Browse…", box)
        pattern = " ".join(f"*{suffix}" for suffix in param.suffixes) or "*"

        def on_browse_clicked() -> None:
            name, _ = QFileDialog.getOpenFileName(self, param.name, line.text(), f"{param.name} ({pattern})")
            if name:
                line.setText(name)

        browse.clicked.connect(on_browse_clicked)
        row.addWidget(line, 1)
        row.addWidget(browse)
        self._getters[param.name], self._setters[param.name] = line.text, lambda v: line.setText(str(v))
        return box


def _bound(value: float | None, default: int) -> int:
    return default if value is None else int(max(-_INT_LIMIT, min(_INT_LIMIT, value)))

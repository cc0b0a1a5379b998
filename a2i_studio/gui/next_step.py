"""What a chain still needs, and the buttons that get it: download a bundle, train an adapter.

Shown in the chain panel above the parameter form: for a chain that cannot run
yet, its reason and next steps (:class:`~a2i_studio.bundles.ChainStatus`); on
a machine without a GPU, for a chain whose generator takes many steps, the
few-step bundle that paints from the same space in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from a2i_studio.files import format_size

if TYPE_CHECKING:
    from a2i_studio.bundles import Action, BundleStatus, ChainStatus
    from a2i_studio.core import WeightSpec

__all__ = ["MissingWeightsBox", "NextStepBox"]


class NextStepBox(QFrame):
    """A chain's missing pieces and the actions that bring them, or a few-step proposal.

    Signals:
        bundle_requested: ``str``: open the model manager at this bundle (to download it).
        train_requested: ``Action``: open the training wizard for this adapter.
    """

    bundle_requested = Signal(str)
    train_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("next-step")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.buttons: list[QPushButton] = []
        self._row = QHBoxLayout()
        self._row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.text)
        layout.addLayout(self._row)
        self.setVisible(False)

    def show_status(self, status: ChainStatus | None, few_step: Sequence[BundleStatus] = ()) -> None:
        """Show what ``status`` lacks and its actions; else the ``few_step`` offers; else hide."""
        for button in self.buttons:
            self._row.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        if status is not None and not status.runnable:
            self.text.setText(f"<b>Not ready yet.</b> {status.reason}<br>Next: {status.next_step}.")
            for action in status.actions:
                self._add_button(action)
        elif few_step:
            names = " or ".join(offer.bundle.name for offer in few_step)
            self.text.setText(
                f"<b>No GPU found:</b> this generator takes minutes per image on the CPU. {names} makes "
                "one in seconds from the same adapter."
            )
            for offer in few_step:
                size = format_size(offer.missing_bytes) if not offer.installed else "installed"
                self._add_bundle_button(offer.bundle.id, f"Get {offer.bundle.id} ({size})…")
        else:
            self.text.setText("")
        self.setVisible(bool(self.text.text()))

    def _add_button(self, action: Action) -> None:
        if action.kind == "download" and action.bundle:
            self._add_bundle_button(action.bundle, f"{action.text[0].upper()}{action.text[1:]}…")
        elif action.kind == "train":
            button = QPushButton(f"Train an adapter for {action.encoder} → {action.generator}…", self)
            button.clicked.connect(lambda: self.train_requested.emit(action))
            self._insert(button)

    def _add_bundle_button(self, bundle_id: str, text: str) -> None:
        button = QPushButton(text, self)
        button.clicked.connect(lambda: self.bundle_requested.emit(bundle_id))
        self._insert(button)

    def _insert(self, button: QPushButton) -> None:
        self._row.insertWidget(len(self.buttons), button)
        self.buttons.append(button)


class MissingWeightsBox(NextStepBox):
    """Weights a wizard needs before it can start (the base model), and the download buttons that bring them."""

    def show_missing(self, what: str, missing: Sequence[WeightSpec], actions: Sequence[Action]) -> None:
        """Say that ``what`` needs ``missing`` and offer ``actions``; hide when nothing is missing."""
        for button in self.buttons:
            self._row.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        if missing:
            names = ", ".join(f"{spec.description} ({spec.name}, {format_size(spec.size_bytes)})" for spec in missing)
            self.text.setText(f"<b>Not downloaded yet:</b> {what} needs {names}.")
            for action in actions:
                self._add_button(action)
        else:
            self.text.setText("")
        self.setVisible(bool(missing))

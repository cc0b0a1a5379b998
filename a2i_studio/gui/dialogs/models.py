"""The model manager: bundles to download, a Hugging Face token for gated models, and every weights file.

The Bundles tab (:class:`~a2i_studio.gui.dialogs.bundle_page.BundlePage`) is
where an artist gets what a chain needs without a terminal; the Weights tab
lists each component's weights, found or missing, and where.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2i_studio import config
from a2i_studio.errors import A2IError
from a2i_studio.files import format_size
from a2i_studio.gui.dialogs.bundle_page import BundlePage
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.core import Registry

__all__ = ["ModelsDialog"]

COLUMNS = ("component", "weights", "status", "size", "location")


class ModelsDialog(QDialog):
    """Bundles, the Hugging Face token, and one row per weights file a registered component needs.

    Args:
        registry: The loaded components and bundles.
        found: Where each weights name was found (``None``: missing), from :func:`a2i_studio.bundles.locate_all`.

    Signals:
        weights_changed: ``dict``: where each weights name is, after a download or a removal.
        failed: ``(error, context)`` of an unexpected failure, for the window's notices.
    """

    weights_changed = Signal(dict)
    failed = Signal(object, str)

    def __init__(self, registry: Registry, found: Mapping[str, Path | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(980, 600)
        self.registry = registry
        folder = config.models_dir()
        self.folder_label = QLabel(self)
        self.folder_label.setWordWrap(True)
        open_folder = QPushButton("Open folder", self)
        open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        top = QHBoxLayout()
        top.addWidget(self.folder_label, 1)
        top.addWidget(open_folder)
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("hf_… (from huggingface.co/settings/tokens)")
        self.login_button = QPushButton("Log in", self)
        self.login_button.clicked.connect(self._on_login_clicked)
        self.token_status = QLabel(self)
        self.token_status.setWordWrap(True)
        token_row = QHBoxLayout()
        token_row.addWidget(QLabel("Hugging Face token:", self))
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.login_button)
        self.bundles = BundlePage(registry, found, self)
        self.bundles.weights_changed.connect(self._on_weights_changed)
        self.bundles.failed.connect(self.failed)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.bundles, "Bundles")
        self.tabs.addTab(self.tree, "All weights")
        self.refresh_button = QPushButton("Look again", self)
        self.refresh_button.setToolTip("Look for every weights file again (after copying files by hand)")
        self.refresh_button.clicked.connect(self.bundles.refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(token_row)
        layout.addWidget(self.token_status)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self._show_folder()
        self._show_token()
        self.show_found(found)

    def show_found(self, found: Mapping[str, Path | None]) -> None:
        """Fill the weights table from ``found``."""
        from a2i_studio import weights

        self.tree.clear()
        for kind in ("encoder", "adapter", "generator"):
            for entry in self.registry.all(kind):
                component = entry.component
                for spec in component.weights:
                    path = found.get(spec.name)
                    size = path.stat().st_size if path is not None and path.is_file() else spec.size_bytes
                    where = str(path) if path is not None else str(weights.user_path(spec))
                    row = QTreeWidgetItem(
                        [f"{kind} {component.id}", spec.name, "found" if path else "missing", format_size(size), where]
                    )
                    row.setToolTip(1, spec.description)
                    row.setToolTip(4, where if path else weights.missing_message(spec))
                    if path is None:
                        row.setForeground(2, Qt.GlobalColor.red)
                    self.tree.addTopLevelItem(row)
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)

    def _show_folder(self) -> None:
        folder = config.models_dir()
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        free = shutil.disk_usage(existing).free
        self.folder_label.setText(f"Models folder: {folder} ({format_size(free)} free). Weights are also found in "
                                  "the Hugging Face cache.")

    def _show_token(self) -> None:
        from a2i_studio import downloads

        stored = downloads.hub_token_file()
        self.token_status.setText(
            f"A token is stored in {stored}: gated models whose terms you accepted can be downloaded."
            if stored is not None else
            "No token stored. Gated models (Stable Diffusion 3) need one: accept the model's terms on huggingface.co, "
            "then paste a read token here."
        )

    def _on_login_clicked(self) -> None:
        from a2i_studio import downloads

        token = self.token.text()
        self.login_button.setEnabled(False)
        self.token_status.setText("Checking the token with huggingface.co…")
        start_task(lambda: downloads.hub_login(token), on_done=self._on_logged_in, on_failed=self._on_login_failed)

    def _on_logged_in(self, user: str) -> None:
        self.login_button.setEnabled(True)
        self.token.clear()
        self._show_token()
        self.token_status.setText(f"Logged in as {user}. {self.token_status.text()}")

    def _on_login_failed(self, error: BaseException) -> None:
        self.login_button.setEnabled(True)
        if isinstance(error, A2IError):
            self.token_status.setText(str(error))
        else:
            self.token_status.setText(f"The login failed unexpectedly ({type(error).__name__}).")
            self.failed.emit(error, "logging in to huggingface.co")

    def _on_weights_changed(self, found: dict[str, Path | None]) -> None:
        self.show_found(found)
        self._show_folder()
        self.weights_changed.emit(found)

"""The model manager's bundles: each with its size, licence, gate, what it unlocks and what is on disk; download
with progress, speed and ETA, cancel and resume; removal.

A view over :mod:`a2i_studio.bundles`: the list and the details come from
:class:`~a2i_studio.bundles.BundleStatus`, downloads and removals run in a
worker, and a licence that must be accepted is shown first and accepted once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.core import CancelToken, Progress
from a2i_studio.errors import A2IError, Cancelled
from a2i_studio.files import format_size
from a2i_studio.gui.jobs_panel import Eta, format_seconds
from a2i_studio.gui.widgets import ProgressStrip, TextLine
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.bundles import BundleStatus
    from a2i_studio.core import Bundle, Registry

__all__ = ["BundlePage"]

COLUMNS = ("bundle", "size", "on disk", "licence")


class BundlePage(QWidget):
    """Every bundle, its details, and Download / Cancel / Remove.

    Args:
        registry: The loaded components and bundles.
        found: Where each weights name was found (``None``: missing).

    Signals:
        weights_changed: ``dict``: where each weights name is now, after a download or a removal.
        failed: ``(error, context)`` of an unexpected failure (a bug), for the window's notices.
    """

    weights_changed = Signal(dict)
    failed = Signal(object, str)

    def __init__(self, registry: Registry, found: Mapping[str, Path | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.found: dict[str, Path | None] = dict(found)
        self.statuses: dict[str, BundleStatus] = {}
        self._cancel: CancelToken | None = None
        self._downloading: str | None = None
        self._eta = Eta()
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.details = QTextBrowser(self)
        self.details.setOpenExternalLinks(True)
        self.download_button = QPushButton("Download", self)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.cancel_button = QPushButton("Cancel download", self)
        self.cancel_button.setToolTip("Stop now; what arrived is kept and the next Download resumes it")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Delete its weights from the models folder (what another bundle holds stays)")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.progress = ProgressStrip(self)
        self.status = TextLine("", self)
        for widget in (self.progress,):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self.progress.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.details, 1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.show_statuses()

    # -- what is shown ----------------------------------------------------------------------------

    def show_statuses(self) -> None:
        """Fill the list from :attr:`found`, keeping the selection."""
        from a2i_studio import bundles

        current = self.current_bundle_id()
        self.statuses = {status.bundle.id: status for status in bundles.bundle_statuses(self.registry, self.found)}
        self.tree.clear()
        for bundle_id, status in self.statuses.items():
            terms = ", ".join(licence.name for licence in status.bundle.licences) or "—"
            item = QTreeWidgetItem([status.bundle.name, format_size(status.size_bytes), status.disk_status, terms])
            item.setData(0, Qt.ItemDataRole.UserRole, bundle_id)
            item.setToolTip(0, status.bundle.description)
            item.setToolTip(3, terms)
            self.tree.addTopLevelItem(item)
        for column in range(len(COLUMNS) - 1):  # the licences take what is left, elided
            self.tree.resizeColumnToContents(column)
        self.select(current or next(iter(self.statuses), ""))

    def select(self, bundle_id: str) -> bool:
        """Show ``bundle_id``; returns whether it is listed."""
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == bundle_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def current_bundle_id(self) -> str | None:
        """The selected bundle's id."""
        item = self.tree.currentItem()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def _on_current_changed(self, *_args: object) -> None:
        bundle_id = self.current_bundle_id()
        status = self.statuses.get(bundle_id or "")
        self.details.setHtml(_details_html(status) if status is not None else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        status = self.statuses.get(self.current_bundle_id() or "")
        busy = self._downloading is not None
        self.download_button.setEnabled(status is not None and not status.installed and not busy)
        self.cancel_button.setEnabled(busy)
        on_disk = status is not None and any(self.found.get(spec.name) for spec in status.specs)
        self.remove_button.setEnabled(on_disk and not busy)

    # -- download ---------------------------------------------------------------------------------

    def download(self, bundle_id: str) -> bool:
        """Download ``bundle_id`` after its licences are accepted; returns whether it started."""
        from a2i_studio import bundles

        status = self.statuses[bundle_id]
        if not bundles.licences_accepted(status.bundle):
            if not self._ask_to_accept(status.bundle):
                return False
            bundles.accept_licences(status.bundle)
        registry, bundle = self.registry, status.bundle
        cancel = self._cancel = CancelToken()
        self._downloading = bundle_id
        self._eta.reset()
        self.progress.setRange(0, max(status.missing_bytes, 1))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText(f"Starting the download of {bundle.name}…")
        self._update_buttons()
        start_task(
            lambda report: bundles.download_bundle(registry, bundle, report, cancel),
            on_done=self._on_download_done,
            on_failed=self._on_download_failed,
            on_progress=self._on_download_progress,
        )
        return True

    def _ask_to_accept(self, bundle: Bundle) -> bool:
        terms = "".join(
            f"<p><b>{licence.name}</b>: {licence.summary} <a href='{licence.url}'>Read it</a>.</p>"
            for licence in bundle.must_accept
        )
        box = QMessageBox(QMessageBox.Icon.Question, "Licence", f"{bundle.name} comes under:", parent=self)
        box.setInformativeText(f"{terms}<p>Do you accept these terms? You are asked once.</p>")
        box.setTextFormat(Qt.TextFormat.RichText)
        accept = box.addButton("Accept and download", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is accept

    def _on_download_clicked(self) -> None:
        bundle_id = self.current_bundle_id()
        if bundle_id is not None:
            self.download(bundle_id)

    def _on_cancel_clicked(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
            self.status.setText("Cancelling…")

    def _on_download_progress(self, progress: Progress) -> None:
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.step)
        left = self._eta.update(progress.step, progress.total)
        eta = f" · ETA {format_seconds(left)}" if left is not None else ""
        self.status.setText(f"{format_size(progress.step)} of {format_size(progress.total)} · {progress.stage}{eta}")

    def _on_download_done(self, paths: list[Path]) -> None:
        status = self.statuses[self._downloading or ""]
        self._finish(f"{status.bundle.name} is installed ({len(paths)} weights).")

    def _on_download_failed(self, error: BaseException) -> None:
        if isinstance(error, Cancelled):
            self._finish("Cancelled; what arrived is kept: Download resumes it.")
        elif isinstance(error, A2IError):
            self._finish(str(error))
        else:
            self._finish(f"The download failed unexpectedly ({type(error).__name__}); details in the log file.")
            self.failed.emit(error, "downloading a bundle")

    def _finish(self, message: str) -> None:
        self._downloading, self._cancel = None, None
        self.progress.setVisible(False)
        self.status.setText(message)
        self.status.setToolTip(message)
        self.refresh()

    # -- removal ----------------------------------------------------------------------------------

    def remove(self, bundle_id: str) -> None:
        """Delete ``bundle_id``'s weights from the models folder (after the caller confirmed)."""
        from a2i_studio import bundles

        registry, bundle, found = self.registry, self.statuses[bundle_id].bundle, dict(self.found)
        self.remove_button.setEnabled(False)
        start_task(
            lambda: bundles.remove_bundle(registry, bundle, found),
            on_done=lambda freed: self._finish(f"Removed {bundle.name}: {format_size(freed)} freed."),
            on_failed=self._on_download_failed,
        )

    def _on_remove_clicked(self) -> None:
        bundle_id = self.current_bundle_id()
        if bundle_id is None:
            return
        name = self.statuses[bundle_id].bundle.name
        answer = QMessageBox.question(self, "Remove", f"Delete the weights of {name} from the models folder?")
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(bundle_id)

    def refresh(self) -> None:
        """Look for every weights file again (off the UI thread), then show what is on disk."""
        from a2i_studio import bundles

        registry = self.registry
        start_task(lambda: bundles.locate_all(registry), on_done=self._on_located, on_failed=self._on_locate_failed)

    def _on_located(self, found: dict[str, Path | None]) -> None:
        self.found = found
        self.show_statuses()
        self.weights_changed.emit(found)

    def _on_locate_failed(self, error: BaseException) -> None:
        self.failed.emit(error, "looking for weights")


def _details_html(status: BundleStatus) -> str:
    bundle = status.bundle
    rows = "".join(
        f"<li>{spec.name} ({format_size(spec.size_bytes)}): "
        f"{'on disk' if status.found.get(spec.name) else 'to download'}</li>"
        for spec in status.specs
    )
    unknown = "".join(f"<li>{name}: no installed plugin declares it</li>" for name in status.unknown)
    licences = "".join(
        f"<li><a href='{licence.url}'>{licence.name}</a>: {licence.summary}"
        f"{' <i>(accepted)</i>' if licence.must_accept and status.accepted else ''}"
        f"{' <b>(to accept before the download)</b>' if licence.must_accept and not status.accepted else ''}</li>"
        for licence in bundle.licences
    )
    gated = (
        "<p><b>Gated:</b> accept its terms on its huggingface.co page, then log in with a Hugging Face token "
        "above.</p>" if bundle.gated else ""
    )
    unlocks = ", ".join(f"<code>{chain}</code>" for chain in status.unlocks) or "—"
    return (
        f"<h3>{bundle.name}</h3><p>{bundle.description}</p>"
        f"<p><b>Size:</b> {format_size(status.size_bytes)}, {format_size(status.missing_bytes)} still to download."
        f"</p><p><b>For:</b> {unlocks}</p>{gated}<p><b>Weights:</b></p><ul>{rows}{unknown}</ul>"
        f"<p><b>Licences:</b></p><ul>{licences}</ul>"
    )

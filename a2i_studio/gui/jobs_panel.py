"""The Queue panel: the jobs waiting and running, the running job's progress and preview."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from a2i_studio.core import Progress
from a2i_studio.gui.jobs import Job, JobQueue
from a2i_studio.gui.widgets import ProgressStrip, TextLine

__all__ = ["JobsPanel"]

_PREVIEW_SIZE = 80
_REFRESH_MS = 50


class JobsPanel(QWidget):
    """Shows a :class:`JobQueue`: reorder or remove queued jobs, cancel the running one."""

    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.view = QListView(self)
        self.view.setModel(queue)
        self.view.setMinimumHeight(60)
        self.progress = ProgressStrip(self)
        self.progress.setVisible(False)
        self.stage = TextLine("Idle", self)
        self.preview = QLabel(self)
        self.preview.setFixedSize(_PREVIEW_SIZE, _PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setVisible(False)
        self.up_button = QPushButton("▲", self)
        self.up_button.setToolTip("Run earlier")
        self.up_button.clicked.connect(lambda: self._on_move_clicked(-1))
        self.down_button = QPushButton("▼", self)
        self.down_button.setToolTip("Run later")
        self.down_button.clicked.connect(lambda: self._on_move_clicked(1))
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Take the selected job out of the queue (cancels it if running)")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running job at its next step; nothing of it is saved")
        self.cancel_button.clicked.connect(queue.cancel_running)
        buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button, self.cancel_button):
            buttons.addWidget(button)
        status = QVBoxLayout()
        status.addWidget(self.stage)
        status.addWidget(self.progress)
        status.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(status, 1)
        row.addWidget(self.preview)
        for widget in (self.progress, self.preview):  # showing them must not lay out the window again
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addLayout(row)
        self._latest: tuple[Job, Progress, QImage | None] | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(_REFRESH_MS)
        self._refresh.timeout.connect(self._on_refresh_timeout)
        queue.job_progress.connect(self._on_job_progress)
        queue.job_finished.connect(self._on_job_done)
        queue.job_failed.connect(self._on_job_done)
        queue.rowsInserted.connect(self._on_rows_changed)
        queue.rowsRemoved.connect(self._on_rows_changed)
        queue.dataChanged.connect(self._on_rows_changed)
        self._on_rows_changed()

    def _on_job_progress(self, job: Job, progress: Progress, preview: QImage | None) -> None:
        # A job may report hundreds of steps a second; the latest report is shown at most every _REFRESH_MS.
        self._latest = (job, progress, preview if preview is not None else self._latest_preview(job))
        if not self._refresh.isActive():
            self._refresh.start()

    def _latest_preview(self, job: Job) -> QImage | None:
        if self._latest is not None and self._latest[0] is job:
            return self._latest[2]
        return None

    def _on_refresh_timeout(self) -> None:
        if self._latest is None:
            return
        job, progress, preview = self._latest
        self.stage.setText(f"{job.label}: {progress.stage or 'working'}")
        self.progress.setVisible(True)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.step)
        if preview is not None:
            pixmap = QPixmap.fromImage(preview).scaled(
                _PREVIEW_SIZE,
                _PREVIEW_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.preview.setPixmap(pixmap)
            self.preview.setVisible(True)

    def _on_job_done(self, *_args: object) -> None:
        self._refresh.stop()
        self._latest = None
        self.preview.setVisible(False)
        self.preview.clear()
        self.progress.setVisible(False)

    def _on_rows_changed(self, *_args: object) -> None:
        count = self.queue.rowCount()
        self.cancel_button.setEnabled(self.queue.running is not None)
        if count == 0:
            self.stage.setText("Idle")
        for button in (self.up_button, self.down_button, self.remove_button):
            button.setEnabled(count > 0)

    def _on_move_clicked(self, offset: int) -> None:
        row = self.view.currentIndex().row()
        if row >= 0 and self.queue.move(row, offset):
            self.view.setCurrentIndex(self.queue.index(row + offset))

    def _on_remove_clicked(self) -> None:
        row = self.view.currentIndex().row()
        if row >= 0:
            self.queue.remove(row)

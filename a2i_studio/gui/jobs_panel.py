"""The Queue panel and the status bar's job line: the running job's stage, progress bar, ETA and preview."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from a2i_studio.core import Progress
from a2i_studio.gui.jobs import Job, JobQueue
from a2i_studio.gui.widgets import ProgressStrip, TextLine

__all__ = ["SHOW_AFTER_MS", "Eta", "JobStatus", "JobsPanel", "format_seconds"]

SHOW_AFTER_MS = 1000
"""A job's progress bar appears once it has run this long (quicker jobs would only flash it)."""

_PREVIEW_SIZE = 80
_REFRESH_MS = 50


def format_seconds(seconds: float) -> str:
    """``0:07``, ``12:30`` or ``1:02:03``."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Eta:
    """Seconds left in the current stage, from the time its steps took so far.

    A stage is a run of reports with the same total (the engine reports decoding, loading,
    encoding and denoising as separate stages); a new total, or a step that goes back,
    starts a new one. The first report of a stage only starts the clock.

    Args:
        clock: Seconds, monotonic (a parameter so tests can drive it).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start: tuple[float, int, int] | None = None  # time, step and total at the stage's first report
        self._last_step = 0

    def update(self, step: int, total: int) -> float | None:
        """Record a report; returns the seconds left, or ``None`` while it cannot tell yet."""
        now = self._clock()
        last, self._last_step = self._last_step, step
        if self._start is None or self._start[2] != total or step < last:
            self._start = (now, step, total)
            return None
        started, first, _ = self._start
        if step <= first or total <= 0:
            return None
        return (now - started) / (step - first) * max(total - step, 0)

    def reset(self) -> None:
        """Forget the stage (a new job starts)."""
        self._start = None


class JobStatus(QWidget):
    """The running job of a queue in one line: stage, a progress bar and the ETA (or the time so far).

    Nothing shows for the first :data:`SHOW_AFTER_MS` of a job; its size never changes with what it
    shows, so a job starting or ending never lays out the window.

    Args:
        queue: The job queue to follow.
        with_label: Show which job runs before its stage (the status bar does; the queue panel lists jobs).
    """

    def __init__(self, queue: JobQueue, parent: QWidget | None = None, *, with_label: bool = True) -> None:
        super().__init__(parent)
        self._with_label = with_label
        self.stage = TextLine("", self)
        self.progress = ProgressStrip(self)
        self.eta = TextLine("", self, right=True, room="ETA 00:00:00")
        self._eta = Eta()
        self._job: Job | None = None
        self._latest: Progress | None = None
        self._started = 0.0
        self._seconds_left: float | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.stage, 3)
        row.addWidget(self.progress, 2)
        row.addWidget(self.eta)
        for widget in (self.stage, self.progress, self.eta):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self._reveal = QTimer(self)
        self._reveal.setSingleShot(True)
        self._reveal.setInterval(SHOW_AFTER_MS)
        self._reveal.timeout.connect(self._on_reveal_timeout)
        self._tick = QTimer(self)  # the elapsed time moves on while a stage reports nothing (loading a model)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show)
        queue.job_progress.connect(self._on_job_progress)
        queue.job_finished.connect(self._on_job_done)
        queue.job_failed.connect(self._on_job_done)
        self._set_shown(False)

    def _on_job_progress(self, job: Job, progress: Progress, _preview: QImage | None) -> None:
        if job is not self._job:
            self._job, self._started = job, time.monotonic()
            self._eta.reset()
            self._reveal.start()
        self._latest = progress
        self._seconds_left = self._eta.update(progress.step, progress.total)
        if self.progress.isVisible():
            self._show()

    def _on_reveal_timeout(self) -> None:
        self._set_shown(True)
        self._tick.start()
        self._show()

    def _show(self) -> None:
        progress, job = self._latest, self._job
        if progress is None or job is None:
            return
        stage = progress.stage or "working"
        self.stage.setText(f"{job.label}: {stage}" if self._with_label else stage)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.step)
        if self._seconds_left is not None:
            self.eta.setText(f"ETA {format_seconds(self._seconds_left)}")
        else:
            self.eta.setText(format_seconds(time.monotonic() - self._started))

    def _on_job_done(self, *_args: object) -> None:
        self._job, self._latest = None, None
        self._reveal.stop()
        self._tick.stop()
        self._set_shown(False)

    def _set_shown(self, shown: bool) -> None:
        for widget in (self.stage, self.progress, self.eta):
            widget.setVisible(shown)


class JobsPanel(QWidget):
    """Shows a :class:`JobQueue`: reorder or remove queued jobs, cancel the running one."""

    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.view = QListView(self)
        self.view.setModel(queue)
        self.view.setMinimumHeight(60)
        self.status = JobStatus(queue, self, with_label=False)
        self.preview = QLabel(self)
        self.preview.setFixedSize(_PREVIEW_SIZE, _PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setVisible(False)
        policy = self.preview.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it must not lay out the window again
        self.preview.setSizePolicy(policy)
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
        row = QHBoxLayout()  # the preview beside the list: the dock stays short on a laptop
        row.addWidget(self.view, 1)
        row.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._latest: tuple[Job, QImage] | None = None
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

    def _on_job_progress(self, job: Job, _progress: Progress, preview: QImage | None) -> None:
        # A job may report hundreds of previews a second; the latest is shown at most every _REFRESH_MS.
        if preview is None:
            return
        self._latest = (job, preview)
        if not self._refresh.isActive():
            self._refresh.start()

    def _on_refresh_timeout(self) -> None:
        if self._latest is None:
            return
        pixmap = QPixmap.fromImage(self._latest[1]).scaled(
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

    def _on_rows_changed(self, *_args: object) -> None:
        count = self.queue.rowCount()
        self.cancel_button.setEnabled(self.queue.running is not None)
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

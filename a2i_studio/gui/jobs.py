"""The job queue: generation requests run one at a time on a worker thread, by one shared engine.

The engine keeps loaded components between runs, so every job goes through
the same :class:`~a2i_studio.engine.Engine` on the same thread; the queue is a
list model the Queue panel shows, reorders and cancels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDeadlineTimer,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThread,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage

from a2i_studio.core import CancelToken, Progress
from a2i_studio.gui.workers import wait_for_workers

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.engine import Engine, GenerationRequest

__all__ = ["Job", "JobQueue", "describe", "to_qimage"]

_Index = QModelIndex | QPersistentModelIndex
_left_running: list[QThread] = []  # worker threads a Quit left behind (see JobQueue.shutdown)


def to_qimage(image: Image) -> QImage:
    """A deep-copied RGBA ``QImage`` of a PIL image (safe to build off the UI thread)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, 4 * rgba.width, QImage.Format.Format_RGBA8888).copy()


def describe(request: GenerationRequest) -> str:
    """How the queue names a request: clip, segment, chain, seed and count."""
    start = 0.0 if request.start is None else request.start
    segment = "" if request.start is None and request.end is None else f" {start:.1f}–{request.end or 0:.1f} s"
    count = f" ×{request.n}" if request.n > 1 else ""
    return f"{Path(request.audio).name}{segment} · {request.chain} · seed {request.seed}{count}"


@dataclass(eq=False)
class Job:
    """One request in the queue, with its cancel token and last progress.

    Attributes:
        request: What to generate.
        label: How the queue shows it.
        cancel: Set by Cancel; the engine stops at its next step and saves nothing.
        running: Whether the worker is running it.
        progress: The last progress report.
    """

    request: GenerationRequest
    label: str
    cancel: CancelToken = field(default_factory=CancelToken)
    running: bool = False
    progress: Progress | None = None


class _Runner(QObject):
    """Lives on the worker thread; runs one job at a time."""

    progress = Signal(object, object, object)
    finished = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @Slot(object)
    def run(self, job: Job) -> None:
        def report(progress: Progress) -> None:
            preview = to_qimage(progress.preview) if progress.preview is not None else None
            self.progress.emit(job, progress, preview)

        try:
            results = self.engine.generate(job.request, progress=report, cancel=job.cancel)
        except Exception as error:  # every failure reaches the user; the queue goes on
            self.failed.emit(job, error)
        else:
            self.finished.emit(job, results)


class JobQueue(QAbstractListModel):
    """Queued jobs, the running one first, run in order on one worker thread.

    Args:
        engine: The engine every job runs on.

    Signals:
        job_progress: ``(job, Progress, QImage | None)`` for the running job; the image is its preview.
        job_finished: ``(job, list[GenerationResult])``.
        job_failed: ``(job, error)``; a cancelled job fails with :class:`~a2i_studio.errors.Cancelled`.
        idle: The queue ran empty.
    """

    job_progress = Signal(object, object, object)
    job_finished = Signal(object, object)
    job_failed = Signal(object, object)
    idle = Signal()
    _dispatch = Signal(object)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[Job] = []
        self._thread = QThread(self)
        self._thread.setObjectName("a2i-jobs")
        self._runner = _Runner(engine)
        self._runner.moveToThread(self._thread)
        self._dispatch.connect(self._runner.run)
        self._runner.progress.connect(self._on_runner_progress)
        self._runner.finished.connect(self._on_runner_finished)
        self._runner.failed.connect(self._on_runner_failed)
        self._thread.start()

    @property
    def running(self) -> Job | None:
        """The job on the worker, if any."""
        return self.jobs[0] if self.jobs and self.jobs[0].running else None

    def set_engine(self, engine: Engine) -> None:
        """Run the next jobs on ``engine`` (the plugins were loaded again); call while no job runs."""
        assert self.running is None, "the running job keeps its engine"
        self._runner.engine = engine

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of jobs, running and queued."""
        return 0 if parent.isValid() else len(self.jobs)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The job's label and state."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        job = self.jobs[index.row()]
        if not job.running:
            return f"⏸ {job.label}"
        state = "starting"
        if job.progress is not None:
            state = f"{job.progress.stage} {job.progress.step}/{job.progress.total}".strip()
        return f"▶ {job.label} — {'cancelling' if job.cancel.cancelled else state}"

    def add(self, request: GenerationRequest, label: str) -> Job:
        """Queue ``request``; it starts when the jobs before it are done."""
        job = Job(request, label)
        self.beginInsertRows(QModelIndex(), len(self.jobs), len(self.jobs))
        self.jobs.append(job)
        self.endInsertRows()
        self._start_next()
        return job

    def move(self, row: int, offset: int) -> bool:
        """Move queued job ``row`` by ``offset`` rows among the queued jobs; returns whether it moved."""
        target = row + offset
        first_queued = 1 if self.running else 0
        if not (first_queued <= row < len(self.jobs) and first_queued <= target < len(self.jobs)) or offset == 0:
            return False
        destination = target + 1 if offset > 0 else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        self.jobs.insert(target, self.jobs.pop(row))
        self.endMoveRows()
        return True

    def remove(self, row: int) -> None:
        """Take a queued job out, or cancel the running one (row 0)."""
        job = self.jobs[row]
        if job.running:
            self.cancel_running()
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.jobs[row]
        self.endRemoveRows()

    def cancel_running(self) -> None:
        """Ask the running job to stop at its next step; nothing of it is saved."""
        job = self.running
        if job is not None:
            job.cancel.cancel()
            self.dataChanged.emit(self.index(0), self.index(0))

    def shutdown(self, deadline: QDeadlineTimer | None = None) -> bool:
        """Drop queued jobs, cancel the running one and stop the worker thread.

        Args:
            deadline: When to stop waiting (default: :data:`~a2i_studio.gui.workers.QUIT_WAIT_SECONDS` from now).

        Returns:
            Whether the thread stopped before ``deadline``; a job stuck in a call that ignores
            cancel may keep it running.
        """
        running = self.running
        self.beginResetModel()
        self.jobs = [running] if running else []
        self.endResetModel()
        self.cancel_running()
        self._thread.quit()
        stopped = wait_for_workers(self._thread, "the job queue", deadline)
        if not stopped:
            # Qt aborts when a running QThread is destroyed: the thread leaves the window's object tree
            # and is kept here until the process ends, however the window goes.
            self._thread.setParent(None)
            _left_running.append(self._thread)
        return stopped

    def _start_next(self) -> None:
        if not self.jobs or self.jobs[0].running or not self._thread.isRunning():
            return
        job = self.jobs[0]
        job.running = True
        self.dataChanged.emit(self.index(0), self.index(0))
        self._dispatch.emit(job)

    def _on_runner_progress(self, job: Job, progress: Progress, preview: QImage | None) -> None:
        job.progress = progress
        if self.jobs and self.jobs[0] is job:
            self.dataChanged.emit(self.index(0), self.index(0))
        self.job_progress.emit(job, progress, preview)

    def _on_runner_finished(self, job: Job, results: list[Any]) -> None:
        self._pop(job)
        self.job_finished.emit(job, results)
        self._start_next()

    def _on_runner_failed(self, job: Job, error: BaseException) -> None:
        self._pop(job)
        self.job_failed.emit(job, error)
        self._start_next()

    def _pop(self, job: Job) -> None:
        row = self.jobs.index(job)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.jobs[row]
        self.endRemoveRows()
        if len(self.jobs) == 0:
            self.idle.emit()

"""Running work off the UI thread and reporting back through Qt signals.

The core takes plain callables for progress (CONTRIBUTING.md, "Long work"); a
:class:`Task` hands such a callable to the work, and turns each call into a
signal delivered on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["Task", "start_task"]

_running: set[Task] = set()  # keeps each task's Python side alive until it has reported


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)


class Task(QRunnable):
    """Runs ``function`` on a thread-pool thread and emits ``done``, ``failed`` or ``progress``.

    Args:
        function: Called as ``function()``, or ``function(report)`` when ``reports`` is true,
            where ``report(value)`` emits ``progress(value)`` on the UI thread.
        reports: Whether ``function`` takes the ``report`` callable.
    """

    def __init__(self, function: Callable[..., Any], *, reports: bool = False) -> None:
        super().__init__()
        self.signals = _TaskSignals()
        self._function = function
        self._reports = reports

    def run(self) -> None:
        """Run the function (on the pool's thread)."""
        try:
            result = self._function(self.signals.progress.emit) if self._reports else self._function()
        except BaseException as error:  # a worker thread never gets a real Ctrl-C: a plugin's SystemExit
            self.signals.failed.emit(error)  # or KeyboardInterrupt reaches the UI thread as a failure too
        else:
            self.signals.done.emit(result)


def start_task(
    function: Callable[..., Any],
    *,
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
    on_progress: Callable[[Any], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``function`` in ``pool`` (default: the global pool) and call back on the UI thread.

    Args:
        function: The work; receives a ``report`` callable when ``on_progress`` is given.
        on_done: Called with the function's return value.
        on_failed: Called with the exception the function raised.
        on_progress: Called with each value the function reports.
        pool: The thread pool to run in.

    Returns:
        The started task.
    """
    task = Task(function, reports=on_progress is not None)
    task.setAutoDelete(False)
    _running.add(task)
    task.signals.done.connect(on_done)
    task.signals.failed.connect(on_failed)
    task.signals.done.connect(lambda _result: _running.discard(task))
    task.signals.failed.connect(lambda _error: _running.discard(task))
    if on_progress is not None:
        task.signals.progress.connect(on_progress)
    (pool or QThreadPool.globalInstance()).start(task)
    return task

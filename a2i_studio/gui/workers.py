"""Running work off the UI thread and reporting back through Qt signals.

The core takes plain callables for progress (CONTRIBUTING.md, "Long work"); a
:class:`Task` hands such a callable to the work, and turns each call into a
signal delivered on the UI thread.

Quitting never waits for work without a bound: :func:`wait_for_workers`
gives running work until a shared deadline (:data:`QUIT_WAIT_SECONDS` after
Quit) and logs what is still running, so a worker stuck in a call that
ignores cancel (a plugin, a blocking read) cannot freeze Quit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QMetaObject, QObject, QRunnable, QThread, QThreadPool, Signal

__all__ = ["QUIT_WAIT_SECONDS", "Task", "drop_callbacks", "quit_deadline", "start_task", "wait_for_workers"]

QUIT_WAIT_SECONDS = 5.0
"""How long Quit waits, in all, for cancelled work to stop before the app leaves without it."""

log = logging.getLogger(__name__)

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
        self.callbacks: list[QMetaObject.Connection] = []  # the caller's, which drop_callbacks() cuts
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
    task.callbacks = [task.signals.done.connect(on_done), task.signals.failed.connect(on_failed)]
    task.signals.done.connect(lambda _result: _running.discard(task))
    task.signals.failed.connect(lambda _error: _running.discard(task))
    if on_progress is not None:
        task.callbacks.append(task.signals.progress.connect(on_progress))
    (pool or QThreadPool.globalInstance()).start(task)
    return task


def drop_callbacks() -> None:
    """Deliver the results of tasks still running to no one.

    Quit calls this when it leaves work behind: the widgets those results were for are about to
    go, and a result arriving later must not reach them.
    """
    for task in _running:
        for connection in task.callbacks:
            QObject.disconnect(connection)
        task.callbacks.clear()


def quit_deadline() -> QDeadlineTimer:
    """The deadline shared by every wait of one Quit: :data:`QUIT_WAIT_SECONDS` from now."""
    return QDeadlineTimer(int(QUIT_WAIT_SECONDS * 1000))


def wait_for_workers(workers: QThreadPool | QThread, what: str, deadline: QDeadlineTimer | None = None) -> bool:
    """Wait until ``workers`` are done or ``deadline`` passes; log it and return ``False`` if they are not.

    Args:
        workers: A thread pool (waits for its tasks) or a thread (waits for it to finish).
        what: What the workers do, for the log ("the job queue").
        deadline: When to give up (default: :func:`quit_deadline`, a new one).
    """
    milliseconds = max(0, (deadline or quit_deadline()).remainingTime())
    done = workers.waitForDone(milliseconds) if isinstance(workers, QThreadPool) else workers.wait(milliseconds)
    if not done:
        log.warning(
            "Quit: %s did not stop within %g s of being cancelled; a2i-studio leaves without waiting for it.",
            what, QUIT_WAIT_SECONDS,
        )
    return done

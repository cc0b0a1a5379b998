"""A live session in the app: :func:`~a2i_studio.frames.run_live` on a worker, its newest frame on the UI thread.

The session runs on a thread-pool worker with an engine of its own (the job
queue's may be busy), opens its input there (opening a device can take a
moment), and hands each frame over as a ``QImage`` made on the worker. Only
the newest frame waits for the UI thread: when the UI is busy, a frame it has
not taken yet is replaced by the next one, so what reaches the screen is never
stale. :attr:`meter` measures the frame rate and the latency at the moment
each frame is handed to the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from a2i_studio.core import CancelToken
from a2i_studio.frames import LiveFrame, LiveMeter, LiveRequest, LiveSource, LiveSummary, run_live
from a2i_studio.gui.jobs import to_qimage
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from a2i_studio.audio.live_input import LiveInput
    from a2i_studio.core import Registry

__all__ = ["LiveSession"]


class LiveSession(QObject):
    """Starts and stops live sessions; one at a time.

    Signals:
        frame: ``(QImage, LiveFrame)``, the newest frame, on the UI thread.
        finished: ``LiveSummary`` when a session ends (stopped, or its file ended).
        failed: ``error`` when it could not start or stopped on an error (a device unplugged).
    """

    frame = Signal(object, object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.meter = LiveMeter()
        self.input: LiveInput | None = None
        """The running session's input (for the level meter), once the worker has opened it."""
        self._cancel: CancelToken | None = None
        self._lock = threading.Lock()
        self._newest: tuple[QImage, LiveFrame] | None = None
        self._replaced = 0  # frames painted that the UI never took: dropped too

    @property
    def running(self) -> bool:
        """Whether a session is under way (or stopping)."""
        return self._cancel is not None

    def start(self, registry: Registry, request: LiveRequest, source: LiveSource) -> None:
        """Open ``source`` and run ``request`` on a worker; frames arrive through :attr:`frame`."""
        assert not self.running, "one live session at a time"
        cancel = self._cancel = CancelToken()
        self.meter, self.input, self._newest, self._replaced = LiveMeter(), None, None, 0

        def work(report: Callable[[Any], None]) -> LiveSummary:
            from a2i_studio.engine import Engine

            def show(live: LiveFrame) -> None:
                image = to_qimage(live.image)
                with self._lock:
                    waiting = self._newest is not None
                    if self._newest is not None:  # the UI never took it: it was dropped too
                        self._replaced += self._newest[1].dropped + 1
                    self._newest = (image, live)
                if not waiting:  # one hand-over in flight at most: the UI takes the newest frame
                    report(None)

            engine = Engine(registry)
            try:
                self.input = source.open()
                return run_live(engine, request, self.input, show, cancel)
            finally:
                engine.unload_all()

        start_task(work, on_done=self._on_done, on_failed=self._on_failed, on_progress=self._on_frame_ready)

    def stop(self) -> None:
        """Ask the session to end after its current frame (a recording is kept)."""
        if self._cancel is not None:
            self._cancel.cancel()

    def _on_frame_ready(self, _nothing: None) -> None:
        with self._lock:
            newest, self._newest = self._newest, None
            replaced, self._replaced = self._replaced, 0
        if newest is None or self._cancel is None:
            return
        image, live = newest
        self.meter.shown(live.heard, live.dropped + replaced)
        self.frame.emit(image, live)

    def _on_done(self, summary: LiveSummary) -> None:
        self._cancel = None
        self.input = None
        self.finished.emit(summary)

    def _on_failed(self, error: BaseException) -> None:
        self._cancel = None
        self.input = None
        self.failed.emit(error)

"""Playing a clip or a segment of it, with the playhead position as a signal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.audio import Clip
    from a2i_studio.audio.live import Playback

__all__ = ["MAX_PLAY_SECONDS", "Player"]

MAX_PLAY_SECONDS = 600.0
"""Playing without a selection decodes at most this much from the playhead, so memory stays small."""

_TICK_MS = 30


class Player(QObject):
    """Decodes the part to play off the UI thread, plays it, and reports the playhead.

    Signals:
        position: Playhead in seconds of the source file, about 30 times a second while playing.
        stopped: Playback ended or was stopped.
        failed: ``(error, context)``, e.g. no speaker connected.
    """

    position = Signal(float)
    stopped = Signal()
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._playback: Playback | None = None
        self._seconds = 0.0  # written by the audio thread, read by the tick
        self._request = 0
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._on_tick)

    @property
    def playing(self) -> bool:
        """Whether sound is playing (or being prepared)."""
        return self._timer.isActive()

    def play(self, path: Path, start: float, end: float | None) -> None:
        """Play ``path`` from ``start`` to ``end`` seconds (``None``: up to :data:`MAX_PLAY_SECONDS` later)."""
        self.stop()
        self._request += 1
        request = self._request
        end = end if end is not None else start + MAX_PLAY_SECONDS

        def decode() -> Clip:
            from a2i_studio import audio

            duration = audio.probe(path).duration
            return audio.load(path, start=start, end=min(end, duration))

        self._seconds = start
        self._timer.start()
        start_task(
            decode,
            on_done=lambda clip: self._on_decoded(request, clip),
            on_failed=lambda error: self._on_failed(error) if request == self._request else None,
        )

    def stop(self) -> None:
        """Stop playing."""
        self._request += 1
        if self._playback is not None:
            self._playback.stop()
            self._playback = None
        if self._timer.isActive():
            self._timer.stop()
            self.stopped.emit()

    def _on_decoded(self, request: int, clip: Clip) -> None:
        if request != self._request:
            return
        from a2i_studio.audio import live
        from a2i_studio.errors import A2IError

        try:
            self._playback = live.play(clip, on_position=self._on_audio_position)
        except A2IError as error:
            self._on_failed(error)

    def _on_audio_position(self, seconds: float) -> None:
        self._seconds = seconds  # audio thread: a float assignment, read by the tick on the UI thread

    def _on_failed(self, error: BaseException) -> None:
        self.stop()
        self.failed.emit(error, "playing")

    def _on_tick(self) -> None:
        self.position.emit(self._seconds)
        if self._playback is not None and not self._playback.active:
            self._playback = None
            self.stop()

"""Playing a rendered video in the app: its frames in a view, its sound through the app's own player.

PySide6-Essentials has no QtMultimedia, so frames are decoded by PyAV on a
thread of their own, a couple of seconds ahead at most (memory stays small
for any length), and shown by a timer when the sound's playhead reaches
them; the sound plays through :class:`~a2i_studio.gui.playback.Player`, as
clips do. Without a sound device (or for a GIF, which has no sound), the
frames follow the clock instead, and a notice says so.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from a2i_studio.gui.playback import Player
from a2i_studio.gui.widgets import ImageView, TextLine

__all__ = ["VideoDialog", "VideoPlayer"]

_AHEAD = 48  # frames decoded ahead of the one shown
_TICK_MS = 15


class _Decoder(threading.Thread):
    """Decodes a video's frames into a bounded queue as ``(seconds, QImage)``; ``None`` marks the end."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="a2i-video-decoder", daemon=True)
        self.path = path
        self.frames: queue.Queue[tuple[float, QImage] | None] = queue.Queue(maxsize=_AHEAD)
        self.error: BaseException | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        import av

        try:
            with av.open(str(self.path)) as container:
                for frame in container.decode(video=0):
                    rgb = frame.to_ndarray(format="rgb24")
                    height, width, _ = rgb.shape
                    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
                    if not self._put((float(frame.time or 0.0), image)):
                        return
        except (av.FFmpegError, OSError) as error:
            self.error = error
        self._put(None)

    def stop(self) -> None:
        """Stop decoding and let the thread end."""
        self._stopping.set()
        while True:  # make room, so a blocked put sees the stop
            try:
                self.frames.get_nowait()
            except queue.Empty:
                break
        self.join(timeout=5)

    def _put(self, item: tuple[float, QImage] | None) -> bool:
        while not self._stopping.is_set():
            try:
                self.frames.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


class VideoPlayer(QWidget):
    """A video's frames in sync with its sound, with Play/Stop.

    Signals:
        failed: ``(error, context)``: the file cannot be decoded.
        notice: A sentence to show, e.g. that the video plays without sound.
        finished: The last frame was shown.
    """

    failed = Signal(object, str)
    notice = Signal(str)
    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.shown = 0  # frames shown since play()
        self.view = ImageView(self)
        self.title = TextLine("", self)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.player = Player(self)
        self.player.position.connect(self._on_position)
        self.player.failed.connect(self._on_sound_failed)
        self._decoder: _Decoder | None = None
        self._next: tuple[float, QImage] | None = None
        self._playhead = 0.0
        self._clock: float | None = None  # the wall-clock start when frames follow the clock
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)

    @property
    def playing(self) -> bool:
        """Whether frames are being shown."""
        return self._timer.isActive()

    def set_video(self, path: Path) -> None:
        """Show ``path`` (stopped)."""
        self.stop()
        self.path = path
        self.title.setText(f" {path}", bold=path.name)

    def play(self) -> None:
        """Play from the start, with sound where the file and the machine have it."""
        if self.path is None:
            return
        self.stop()
        self.shown, self._playhead, self._next = 0, 0.0, None
        self._decoder = _Decoder(self.path)
        self._decoder.start()
        if self.path.suffix.lower() == ".gif":
            self._clock = time.monotonic()
        else:
            self._clock = None
            self.player.play(self.path, 0.0, None)
        self._timer.start()
        self.play_button.setText("■ Stop")

    def stop(self) -> None:
        """Stop frames and sound."""
        self._timer.stop()
        self.player.stop()
        if self._decoder is not None:
            self._decoder.stop()
            self._decoder = None
        self.play_button.setText("▶ Play")

    def shutdown(self) -> None:
        """Stop (before the widget goes away)."""
        self.stop()

    def _on_play_clicked(self) -> None:
        if self.playing:
            self.stop()
        else:
            self.play()

    def _on_position(self, seconds: float) -> None:
        self._playhead = seconds

    def _on_sound_failed(self, error: BaseException, _context: str) -> None:
        if self.playing:
            self.notice.emit(f"The video plays without sound: {error}")
            self._clock = time.monotonic() - self._playhead

    def _on_tick(self) -> None:
        decoder = self._decoder
        if decoder is None:
            return
        now = time.monotonic() - self._clock if self._clock is not None else self._playhead
        latest: QImage | None = None
        while True:
            if self._next is None:
                try:
                    self._next = decoder.frames.get_nowait()
                except queue.Empty:
                    break
                if self._next is None:  # the end
                    self._show(latest)
                    self._finish(decoder)
                    return
            if self._next[0] > now:
                break
            latest, self._next = self._next[1], None
        self._show(latest)

    def _show(self, image: QImage | None) -> None:
        if image is not None:
            self.view.setPixmap(QPixmap.fromImage(image))
            self.shown += 1

    def _finish(self, decoder: _Decoder) -> None:
        error = decoder.error
        self.stop()
        if error is not None:
            self.failed.emit(error, f"playing {self.path}")
        self.finished.emit()


class VideoDialog(QDialog):
    """A window that plays one video (a gallery video's file)."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(path.name)
        self.resize(640, 560)
        self.player = VideoPlayer(self)
        self.player.set_video(path)
        layout = QVBoxLayout(self)
        layout.addWidget(self.player)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Stop playing."""
        self.player.shutdown()
        super().closeEvent(event)

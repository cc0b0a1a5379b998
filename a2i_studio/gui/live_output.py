"""The live output: a window that holds only the picture, for a projector or a second screen.

No title bar, no menus, no cursor: the newest frame, scaled to fit (black
bars keep its shape) with the chosen filter (``smooth``, or ``nearest`` for
sharp pixels), optionally fading in over the one before. It opens fullscreen
on the chosen screen, or as a plain window. Keys: ``Esc`` closes it, ``F`` (or
a double click) toggles fullscreen, ``I`` shows the frame rate and latency in
a corner. The picture is held until the next frame arrives, so a slow chain
shows its last frame rather than nothing.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QScreen
from PySide6.QtWidgets import QWidget

__all__ = ["FILTERS", "LiveOutput"]

FILTERS = ("smooth", "nearest")
"""How the picture is scaled: bilinear, or nearest neighbour (sharp pixels)."""
_FADE_STEP_MS = 15  # repaints while a crossfade runs


class LiveOutput(QWidget):
    """The picture alone, scaled to the window, fullscreen or not.

    Args:
        scaling: How the picture is scaled: one of :data:`FILTERS`.
        crossfade: Seconds each frame fades in over the one before (0: cut).

    Signals:
        closed: The window was closed (``Esc``, or by the system).
    """

    closed = Signal()

    def __init__(self, scaling: str = "smooth", crossfade: float = 0.0) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setWindowTitle("a2i-studio live output")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.BlankCursor)
        self.resize(640, 640)
        self.scaling = scaling
        self.crossfade = crossfade
        self.overlay = False
        self.status = ""
        self.image: QImage | None = None
        self._previous: QImage | None = None
        self._fade_started = 0.0
        self._fade = QTimer(self)
        self._fade.setInterval(_FADE_STEP_MS)
        self._fade.timeout.connect(self._on_fade_tick)

    def show_on(self, screen: QScreen, fullscreen: bool = True) -> None:
        """Show on ``screen``: filling it, or as a window in its middle."""
        self.setScreen(screen)
        area = screen.geometry()
        if fullscreen:
            self.setGeometry(area)
            self.showFullScreen()
        else:
            self.move(area.center() - self.rect().center())
            self.showNormal()

    def set_frame(self, image: QImage) -> None:
        """Show ``image`` (fading it in over the last one, if a crossfade is set)."""
        if self.crossfade > 0 and self.image is not None:
            self._previous = self._blend() if self._fade.isActive() else self.image
            self._fade_started = time.monotonic()
            self._fade.start()
        self.image = image
        self.update()

    def set_status(self, text: str) -> None:
        """The frame rate and latency, shown in a corner while the overlay is on (``I``)."""
        self.status = text
        if self.overlay:
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Black, the picture scaled to fit (and the one it fades from), and the overlay."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scaling == "smooth")
        if self.image is not None:
            if self._previous is not None and self._fade.isActive():
                painter.drawImage(self._target(self._previous), self._previous)
                painter.setOpacity(self._progress())
            painter.drawImage(self._target(self.image), self.image)
            painter.setOpacity(1.0)
        if self.overlay and self.status:
            flags = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft
            box = painter.boundingRect(self.rect().adjusted(12, 8, -12, -8), flags, self.status)
            painter.fillRect(box.adjusted(-6, -3, 6, 3), QColor(0, 0, 0, 170))  # readable over any picture
            painter.setPen(QColor("white"))
            painter.drawText(box, flags, self.status)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """``Esc`` closes, ``F`` toggles fullscreen, ``I`` toggles the overlay."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        elif event.key() == Qt.Key.Key_F:
            self._toggle_fullscreen()
        elif event.key() == Qt.Key.Key_I:
            self.overlay = not self.overlay
            self.update()
        else:
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """A double click toggles fullscreen."""
        self._toggle_fullscreen()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop the fade and say so."""
        self._fade.stop()
        super().closeEvent(event)
        self.closed.emit()

    def _toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _target(self, image: QImage) -> QRectF:
        """Where ``image`` goes: as large as fits, centred, its shape kept."""
        scale = min(self.width() / image.width(), self.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def _progress(self) -> float:
        return min(1.0, (time.monotonic() - self._fade_started) / self.crossfade) if self.crossfade > 0 else 1.0

    def _blend(self) -> QImage:
        """The picture as shown mid-fade, to fade the next frame in from (no jump when frames come fast)."""
        assert self.image is not None and self._previous is not None
        blend = QImage(self.image.size(), QImage.Format.Format_RGB32)
        painter = QPainter(blend)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scaling == "smooth")
        painter.drawImage(blend.rect(), self._previous)
        painter.setOpacity(self._progress())
        painter.drawImage(blend.rect(), self.image)
        painter.end()
        return blend

    def _on_fade_tick(self) -> None:
        if self._progress() >= 1.0:
            self._fade.stop()
        self.update()

"""A progress bar that repaints with the next frame instead of at once.

``QProgressBar.setValue`` repaints synchronously, and a synchronous repaint
flushes every pending update of the window, plots included: a burst of
progress reports then stalls the UI thread. :class:`ProgressStrip` draws the
same native progress bar but only schedules a repaint.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionProgressBar, QStylePainter, QWidget

__all__ = ["ProgressStrip"]


class ProgressStrip(QWidget):
    """``value`` of ``minimum..maximum``, drawn by the style as a progress bar with a percentage."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._minimum, self._maximum, self._value = 0, 100, 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def value(self) -> int:
        """The current value."""
        return self._value

    def maximum(self) -> int:
        """The value that means done."""
        return self._maximum

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802 - Qt's name, for a drop-in
        """Set the range; the value is clamped into it."""
        self._minimum, self._maximum = minimum, max(minimum, maximum)
        self.setValue(self._value)

    def setValue(self, value: int) -> None:  # noqa: N802 - Qt's name, for a drop-in
        """Set the value and schedule a repaint (never repaints now)."""
        value = min(max(value, self._minimum), self._maximum)
        if value != self._value:
            self._value = value
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The style's progress bar height."""
        option = self._option()
        return self.style().sizeFromContents(QStyle.ContentsType.CT_ProgressBar, option, QSize(120, 0), self)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the native progress bar."""
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_ProgressBar, self._option())

    def _option(self) -> QStyleOptionProgressBar:
        option = QStyleOptionProgressBar()
        option.initFrom(self)
        option.minimum, option.maximum, option.progress = self._minimum, self._maximum, self._value
        span = self._maximum - self._minimum
        option.text = f"{round(100 * (self._value - self._minimum) / span) if span else 0}%"
        option.textVisible = True
        return option

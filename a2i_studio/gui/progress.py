"""Status widgets that change often and cost the window nothing when they do.

``QProgressBar.setValue`` repaints synchronously, and a synchronous repaint
flushes every pending update of the window, plots included: a burst of
progress reports then stalls the UI thread. :class:`ProgressStrip` draws the
same native progress bar but only schedules a repaint.

``QLabel.setText`` asks the layout for new geometry, and in a dock that means
laying out the whole main window again (and resizing it when the text grows
past the window's minimum width). :class:`TextLine` keeps one size whatever
its text and elides what does not fit.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionProgressBar, QStylePainter, QWidget

__all__ = ["ProgressStrip", "TextLine"]


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


class TextLine(QWidget):
    """One line of text, an optional bold part first, elided at the right; its size never changes."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bold, self._text = "", text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        """The whole line, bold part included."""
        return self._bold + self._text

    def setText(self, text: str, bold: str = "") -> None:  # noqa: N802 - Qt's name, for a drop-in
        """Show ``bold`` (in bold) then ``text``; schedules a repaint, never a new layout."""
        if (bold, text) != (self._bold, self._text):
            self._bold, self._text = bold, text
            self.setToolTip(self.text())
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """A short line's width; the layout gives it what is left."""
        return QSize(120, self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for a few characters."""
        return QSize(40, self.fontMetrics().height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the bold part, then as much of the rest as fits, with an ellipsis."""
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        area = self.contentsRect().adjusted(2, 0, -2, 0)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        left = area.left()
        if self._bold:
            bold = QFont(self.font())
            bold.setBold(True)
            metrics = QFontMetrics(bold)
            shown = metrics.elidedText(self._bold, Qt.TextElideMode.ElideRight, area.width())
            painter.setFont(bold)
            painter.drawText(area, flags, shown)
            left += metrics.horizontalAdvance(shown)
            painter.setFont(self.font())
        rest = QRect(left, area.top(), max(area.right() - left, 0), area.height())
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, rest.width())
        painter.drawText(rest, flags, shown)

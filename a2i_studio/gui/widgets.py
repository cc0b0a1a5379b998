"""Small widgets whose size never depends on what they show, so that showing something new is cheap.

``QProgressBar.setValue`` repaints synchronously, and a synchronous repaint
flushes every pending update of the window, plots included: a burst of
progress reports then stalls the UI thread. :class:`ProgressStrip` draws the
same native progress bar but only schedules a repaint.

``QLabel.setText`` asks the layout for new geometry, and in a dock that means
laying out the whole main window again (and resizing it when the text grows
past the window's minimum width). :class:`TextLine` keeps one size whatever
its text and elides what does not fit; :class:`ImageView` does the same for
a picture, scaled to the room it is given.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionProgressBar, QStylePainter, QWidget

__all__ = ["ImageView", "ProgressStrip", "TextLine"]


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

    def __init__(self, text: str = "", parent: QWidget | None = None, *, right: bool = False, room: str = "") -> None:
        """``right`` aligns the text to the right; ``room`` is a text whose width the line asks for."""
        super().__init__(parent)
        self._bold, self._text = "", text
        self._right, self._room = right, room
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
        """Room for ``room``, or a short line; the layout may give it more."""
        width = self.fontMetrics().horizontalAdvance(self._room) + 4 if self._room else 120
        return QSize(width, self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for a few characters."""
        return QSize(40, self.fontMetrics().height() + 4)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the bold part, then as much of the rest as fits, with an ellipsis."""
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        area = self.contentsRect().adjusted(2, 0, -2, 0)
        regular, bold = self.font(), QFont(self.font())
        bold.setBold(True)
        parts = [(bold, self._bold), (regular, self._text)]
        widths = [QFontMetrics(font).horizontalAdvance(text) for font, text in parts]
        left, end = area.x(), area.x() + area.width()
        if self._right:
            left = max(end - sum(widths), left)
        for font, text in parts:
            if not text or left >= end:
                continue
            metrics = QFontMetrics(font)
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, end - left)
            painter.setFont(font)
            painter.drawText(
                QRect(left, area.top(), end - left, area.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
            left += metrics.horizontalAdvance(shown)


class ImageView(QWidget):
    """A picture scaled to fit the widget, aspect kept; its size hints never depend on the picture."""

    def __init__(self, parent: QWidget | None = None, *, smooth: bool = False) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self._smooth = smooth
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def pixmap(self) -> QPixmap:
        """The picture at its own size (null when cleared)."""
        return self._pixmap

    def setPixmap(self, pixmap: QPixmap) -> None:  # noqa: N802 - Qt's name, for a drop-in
        """Show ``pixmap``; schedules a repaint."""
        self._pixmap = pixmap
        self.update()

    def clear(self) -> None:
        """Show nothing."""
        self.setPixmap(QPixmap())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for a thumbnail-sized picture."""
        return QSize(200, 200)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Still recognisable."""
        return QSize(64, 64)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the picture as large as fits, centred."""
        if self._pixmap.isNull():
            return
        size = self._pixmap.size().scaled(self.contentsRect().size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.contentsRect().center())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
        painter.drawPixmap(target, self._pixmap)

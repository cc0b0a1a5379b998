"""The Live window: the chain panel's chain painting an input device, or a file played in real time, as it is heard.

Its controls: the source (any input device, loopback ones marked, or a file
played live, muted or not) with a level meter; the live settings (the render
settings live mode takes, :data:`~a2i_studio.frames.LIVE_PARAMS`, and the
modulations); the output (the screen, the scaling filter, a crossfade, and a
fullscreen window with nothing but the picture); and a recording. The session
runs on a worker (:class:`~a2i_studio.gui.live_session.LiveSession`); this
window stays usable beside the output, shows each frame in a small preview
and the frame rate, latency and dropped frames under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.audio.live_input import METER_FLOOR_DB, InputDevice, input_devices
from a2i_studio.errors import A2IError, ParamError
from a2i_studio.frames import LIVE_PARAMS, LiveFrame, LiveRequest, LiveSource, LiveSummary, VideoSettings
from a2i_studio.gui.live_output import FILTERS, LiveOutput
from a2i_studio.gui.live_session import LiveSession
from a2i_studio.gui.modulation_editor import ModulationEditor
from a2i_studio.gui.param_form import ParamForm
from a2i_studio.gui.widgets import ImageView, TextLine
from a2i_studio.gui.workers import start_task

if TYPE_CHECKING:
    from a2i_studio.core import Chain, Registry

__all__ = ["LevelMeter", "LiveWindow"]

_METER_MS = 50  # level meter and status refresh
_FILE = "File played live…"


class LevelMeter(QWidget):
    """A horizontal peak meter, -60 to 0 dBFS: green, yellow above -12 dB, red above -3 dB."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = METER_FLOOR_DB
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Input level (peak, dBFS)")

    def set_level(self, level: float) -> None:
        """Show ``level`` dBFS."""
        if level != self.level:
            self.level = level
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """A thin bar."""
        return QSize(200, 10)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw the bar."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202020"))
        share = min(max((self.level + 60.0) / 60.0, 0.0), 1.0)
        colour = "#d23c3c" if self.level > -3 else "#d2b43c" if self.level > -12 else "#3cb44b"
        painter.fillRect(QRect(0, 0, round(self.width() * share), self.height()), QColor(colour))


class LiveWindow(QWidget):
    """Source, settings, output and recording for live sessions of one chain.

    Args:
        registry: The loaded components.
        chain: The chain to paint with; ``params`` its parameters, ``seed`` the seed.
        record_folder: Where a recording goes by default.
        device: ``auto``, ``cpu``, ``cuda``, ... (the app's setting).
        precision: ``auto``, ``float32``, ... (the app's setting).

    Signals:
        failed: ``(error, context)`` for errors to show in the main window (a missing device).
    """

    failed = Signal(object, str)

    def __init__(
        self,
        registry: Registry,
        chain: Chain,
        params: dict[str, dict[str, Any]],
        seed: int,
        record_folder: Path,
        device: str = "auto",
        precision: str = "auto",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Live")
        self.resize(860, 600)
        self.registry, self.chain, self.chain_params, self.seed = registry, chain, params, seed
        self.device = None if device in ("", "auto") else device
        self.dtype = None if precision in ("", "auto") else precision
        self.devices: list[InputDevice] = []
        self.session = LiveSession(self)
        self.session.frame.connect(self._on_frame)
        self.session.finished.connect(self._on_finished)
        self.session.failed.connect(self._on_failed)
        self.output: LiveOutput | None = None

        # Source: a device or a file, and the meter.
        self.source = QComboBox(self)
        self.source.currentIndexChanged.connect(self._on_source_changed)
        refresh = QPushButton("Refresh", self)
        refresh.setToolTip("List the input devices and the screens again (after plugging one in)")
        refresh.clicked.connect(self.refresh_devices)
        self.file = QLineEdit(self)
        self.file.setPlaceholderText("a file to play as if it were live")
        browse = QPushButton("…", self)
        browse.clicked.connect(self._on_browse_file_clicked)
        self.mute = QCheckBox("Mute", self)
        self.mute.setToolTip("Keep the file's sound in (the clock paces it)")
        self.file_row = _row(self.file, browse, self.mute)
        self.meter = LevelMeter(self)
        # Settings: the render settings live mode takes, and modulations.
        self.form = ParamForm(LIVE_PARAMS, self)
        self.modulations = ModulationEditor(chain, self)
        # Output and recording.
        self.screen_choice = QComboBox(self)
        self.filter = QComboBox(self)
        self.filter.addItems(FILTERS)
        self.crossfade = QDoubleSpinBox(self)
        self.crossfade.setRange(0.0, 5.0)
        self.crossfade.setSingleStep(0.05)
        self.crossfade.setSuffix(" s")
        self.crossfade.setToolTip("Seconds each frame fades in over the one before (0: cut)")
        self.fullscreen = QCheckBox("Fullscreen", self)
        self.fullscreen.setChecked(True)
        self.output_button = QPushButton("Show output", self)
        self.output_button.setCheckable(True)
        self.output_button.toggled.connect(self._on_output_toggled)
        self.record = QCheckBox("Record to", self)
        self.record_path = QLineEdit(str(record_folder / f"live-{chain.id.replace('>', '-')}-seed{seed}.mp4"), self)
        browse_record = QPushButton("…", self)
        browse_record.clicked.connect(self._on_browse_record_clicked)

        settings = QWidget(self)
        form = QFormLayout(settings)
        header = TextLine(parent=settings)
        header.setText(f" · seed {seed}", bold=chain.id)
        form.addRow(header)
        form.addRow("source", _row(self.source, refresh))
        form.addRow("", self.file_row)
        form.addRow("level", self.meter)
        form.addRow(self.form)
        form.addRow("modulate", self.modulations)
        form.addRow("screen", self.screen_choice)
        form.addRow("scaling", _row(self.filter, self.crossfade))
        form.addRow("output", _row(self.fullscreen, self.output_button))
        form.addRow(self.record, _row(self.record_path, browse_record))
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(settings)
        self.preview = ImageView(self, smooth=True)
        self.status = TextLine("Choose a source, then Start.", self)
        self.start_button = QPushButton("Start", self)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.session.stop)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addWidget(self.preview, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.start_button, self.stop_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(_METER_MS)
        self._timer.timeout.connect(self._on_timer)
        self._on_source_changed()
        self.refresh_devices()

    # -- source ------------------------------------------------------------------------------------

    def refresh_devices(self) -> None:
        """List the screens, and the input devices (off the UI thread: PortAudio may take a moment to look)."""
        chosen = self.screen_choice.currentIndex()
        self.screen_choice.clear()
        for screen in QGuiApplication.screens():
            self.screen_choice.addItem(f"{screen.name()} ({screen.geometry().width()}×{screen.geometry().height()})")
        self.screen_choice.setCurrentIndex(max(0, min(chosen, self.screen_choice.count() - 1)))
        start_task(input_devices, on_done=self._on_devices, on_failed=self._on_devices_failed)

    def _on_devices(self, devices: list[InputDevice]) -> None:
        chosen = self.source.currentText()
        self.devices = devices
        self.source.clear()
        for device in devices:
            mark = "↺ " if device.loopback else ""
            self.source.addItem(f"{mark}{device.name} ({device.host_api}{', loopback' if device.loopback else ''})")
        self.source.addItem(_FILE)
        default = next((index for index, device in enumerate(devices) if device.default), 0)
        index = self.source.findText(chosen)
        self.source.setCurrentIndex(index if index >= 0 else default)

    def _on_devices_failed(self, error: BaseException) -> None:
        self._on_devices([])
        self.status.setText(f"{error} Files can still be played live.")

    def _on_source_changed(self) -> None:
        self.file_row.setVisible(self.source.currentText() == _FILE)

    def live_source(self) -> LiveSource:
        """The source as chosen.

        Raises:
            ParamError: If a file is to be played and none is chosen.
        """
        index = self.source.currentIndex()
        if 0 <= index < len(self.devices):
            device = self.devices[index]
            unique = sum(other.name == device.name for other in self.devices) == 1
            return LiveSource(device=device.name if unique else str(device.index))  # a name reads better in errors
        if self.source.currentText() == _FILE and self.file.text().strip():
            return LiveSource(file=Path(self.file.text().strip()).expanduser(), mute=self.mute.isChecked())
        raise ParamError("Choose an input device, or a file to play live, first.")

    # -- session -----------------------------------------------------------------------------------

    def request(self) -> LiveRequest:
        """The session Start would run.

        Raises:
            ParamError: For a setting live mode refuses.
        """
        settings = VideoSettings.from_values({**self.form.values(), "modulations": self.modulations.modulations()})
        record = Path(self.record_path.text().strip()).expanduser() if self.record.isChecked() else None
        return LiveRequest(
            chain=self.chain.id, settings=settings, seed=self.seed, params=self.chain_params, device=self.device,
            dtype=self.dtype, record=record,
        )

    def start(self) -> None:
        """Start a session with the settings shown (the output opens if it is not shown yet)."""
        if self.session.running:
            return
        try:
            request, source = self.request(), self.live_source()
        except A2IError as error:
            self.status.setText(str(error))
            return
        self.session.start(self.registry, request, source)
        self._set_running(True)
        self.status.setText("Starting…")
        self._timer.start()

    def _on_frame(self, image: QImage, live: LiveFrame) -> None:
        if self.output is not None:
            self.output.set_frame(image)
        self.preview.setPixmap(QPixmap.fromImage(image))

    def _on_timer(self) -> None:
        source = self.session.input
        self.meter.set_level(source.level if source is not None else METER_FLOOR_DB)
        if self.session.meter.latencies:
            text = self.session.meter.describe()
            self.status.setText(text)
            if self.output is not None:
                self.output.set_status(text)

    def _on_finished(self, summary: LiveSummary) -> None:
        self._set_running(False)
        recorded = f"; recorded to {summary.recording}" if summary.recording is not None else ""
        self.status.setText(summary.describe() + recorded, bold="Stopped. ")
        for warning in summary.warnings:
            self.failed.emit(A2IError(warning), "recording the live session")

    def _on_failed(self, error: BaseException) -> None:
        self._set_running(False)
        self.status.setText(str(error))
        self.failed.emit(error, "running live")

    def _set_running(self, running: bool) -> None:
        if not running:
            self._timer.stop()
            self.meter.set_level(METER_FLOOR_DB)
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.form, self.modulations, self.source, self.file_row, self.record, self.record_path):
            widget.setEnabled(not running)

    # -- output ------------------------------------------------------------------------------------

    def _on_output_toggled(self, shown: bool) -> None:
        if not shown:
            if self.output is not None:
                self.output.close()
            return
        self.output = LiveOutput(self.filter.currentText(), self.crossfade.value())
        self.output.closed.connect(self._on_output_closed)
        self.filter.currentTextChanged.connect(self._on_filter_changed)
        self.crossfade.valueChanged.connect(self._on_crossfade_changed)
        screens = QGuiApplication.screens()
        screen = screens[min(self.screen_choice.currentIndex(), len(screens) - 1)]
        if self.preview.pixmap() and not self.preview.pixmap().isNull():
            self.output.set_frame(self.preview.pixmap().toImage())
        self.output.show_on(screen, self.fullscreen.isChecked())

    def _on_output_closed(self) -> None:
        self.filter.currentTextChanged.disconnect(self._on_filter_changed)
        self.crossfade.valueChanged.disconnect(self._on_crossfade_changed)
        self.output = None
        self.output_button.setChecked(False)

    def _on_filter_changed(self, name: str) -> None:
        if self.output is not None:
            self.output.scaling = name
            self.output.update()

    def _on_crossfade_changed(self, seconds: float) -> None:
        if self.output is not None:
            self.output.crossfade = seconds

    def _on_browse_file_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Play live", self.file.text(), "Audio and video (*)")
        if name:
            self.file.setText(name)

    def _on_browse_record_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Record to", self.record_path.text(), "Video (*.mp4 *.webm *.gif);;All files (*)"
        )
        if name:
            self.record_path.setText(name)
            self.record.setChecked(True)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop the session (a recording is kept) and close the output."""
        self.session.stop()
        self._timer.stop()
        if self.output is not None:
            self.output.close()
        super().closeEvent(event)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if index == 0 else 0)
    return row

"""Live mode in the app: the fullscreen output (no chrome, the chosen scaling, crossfades, Esc), the Live window
playing a file live into it while staying usable, and a notice, not a crash, for a device that is gone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from a2i_studio.audio.live_input import METER_FLOOR_DB, InputDevice
from a2i_studio.gui.live_output import LiveOutput
from a2i_studio.gui.live_window import LiveWindow
from a2i_studio.gui.main_window import MainWindow

TIMEOUT = 30_000


def _image(*colours: str) -> QImage:
    """One pixel of each colour, side by side."""
    image = QImage(len(colours), 1, QImage.Format.Format_RGB32)
    for x, colour in enumerate(colours):
        image.setPixelColor(x, 0, QColor(colour))
    return image


def _rgb(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    colour = image.pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def test_the_output_opens_fullscreen_with_nothing_but_the_picture_and_closes(qtbot: QtBot) -> None:
    output = LiveOutput("nearest")
    qtbot.addWidget(output)
    screen = QGuiApplication.primaryScreen()
    output.show_on(screen, fullscreen=True)
    qtbot.waitUntil(output.isVisible)
    assert output.isFullScreen() and output.geometry() == screen.geometry()
    assert output.windowFlags() & Qt.WindowType.FramelessWindowHint
    # 1. A 2 x 1 picture fills the square screen's width, centred, its shape kept; nearest: two sharp halves.
    output.set_frame(_image("red", "blue"))
    shown = output.grab().toImage()
    width, height = shown.width(), shown.height()
    middle = height // 2
    across = [_rgb(shown, x, middle) for x in range(width // 2 - 8, width // 2 + 8)]
    assert across[0] == (255, 0, 0) and across[-1] == (0, 0, 255)
    assert set(across) == {(255, 0, 0), (0, 0, 255)}  # no blend anywhere
    assert _rgb(shown, width // 2, height // 4 - 2) == (0, 0, 0)  # black bars above and below
    # 2. Smooth: the halves blend across the middle.
    output.scaling = "smooth"
    red, _, blue = _rgb(output.grab().toImage(), width // 2, middle)
    assert 60 < red < 200 and 60 < blue < 200
    # 3. A crossfade shows both frames for a moment, then the new one alone.
    output.crossfade = 0.4
    output.set_frame(_image("lime", "lime"))
    time.sleep(0.2)
    red, green, _ = _rgb(output.grab().toImage(), width // 4, middle)
    assert 40 < red < 220 and 40 < green < 220
    qtbot.waitUntil(lambda: _rgb(output.grab().toImage(), width // 4, middle) == (0, 255, 0), timeout=2000)
    # 4. Esc closes it.
    with qtbot.waitSignal(output.closed):
        qtbot.keyClick(output, Qt.Key.Key_Escape)
    assert not output.isVisible()


@pytest.fixture
def rain(tmp_path: Path) -> Path:
    """2 s of the bundled rain, as a file to play live."""
    from a2i_studio.config import resources_dir

    samples, rate = soundfile.read(resources_dir() / "sounds" / "rain.wav", dtype="float32")
    path = tmp_path / "rain.wav"
    soundfile.write(path, samples[: 2 * rate], rate)
    return path


def _open_live(window: MainWindow, qtbot: QtBot) -> LiveWindow:
    assert window.chain_panel is not None and window.chain_panel.select_chain("mfcc>aegan")
    window.menu_actions["live"].trigger()
    live = window.dialogs["live"]
    assert isinstance(live, LiveWindow) and live.chain.id == "mfcc>aegan"
    qtbot.waitUntil(lambda: live.source.findText("File played live…") >= 0)  # the devices are listed
    return live


def test_a_file_played_live_fills_the_fullscreen_output_while_the_window_stays_usable(
    start_window: Callable[..., MainWindow], rain: Path, qtbot: QtBot
) -> None:
    window = start_window()
    live = _open_live(window, qtbot)
    live.source.setCurrentIndex(live.source.findText("File played live…"))
    assert live.file_row.isVisibleTo(live)
    live.file.setText(str(rain))
    live.mute.setChecked(True)
    live.form.set_values({"fps": 12.0, "width": 64, "height": 64})
    live.output_button.setChecked(True)  # the output, fullscreen by default
    output = live.output
    assert output is not None and output.isFullScreen()
    levels: list[float] = []
    live.start_button.click()
    qtbot.waitUntil(lambda: levels.append(live.meter.level) or output.image is not None, timeout=TIMEOUT)
    # Frames reach the output and the preview; the status shows the frame rate and latency.
    qtbot.waitUntil(lambda: levels.append(live.meter.level) or "fps · latency" in live.status.text(), timeout=TIMEOUT)
    assert output.image is not None and output.image.size().width() == 64
    assert not live.preview.pixmap().isNull() and max(levels) > METER_FLOOR_DB
    # The window stays usable beside the output: settings of the output change as it plays.
    live.crossfade.setValue(0.2)
    assert output.crossfade == 0.2 and not live.start_button.isEnabled() and live.stop_button.isEnabled()
    # The file ends; the session stops by itself and says what it did.
    qtbot.waitUntil(live.start_button.isEnabled, timeout=TIMEOUT)
    assert live.status.text().startswith("Stopped. ") and "frames in 2.0 s" in live.status.text()
    live.output_button.setChecked(False)
    assert live.output is None and not output.isVisible()


def test_a_device_that_is_gone_gives_a_notice_and_the_app_keeps_running(
    start_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = start_window()
    live = _open_live(window, qtbot)
    # The list still shows a microphone unplugged since it was made.
    live._on_devices([InputDevice(index=7, name="USB mic", host_api="ALSA", channels=1, sample_rate=48_000.0)])
    live.source.setCurrentIndex(0)
    assert live.source.currentText() == "USB mic (ALSA)"
    live.start_button.click()
    qtbot.waitUntil(lambda: bool(window.notices.texts()), timeout=TIMEOUT)
    (notice,) = window.notices.texts()
    assert notice.startswith("There is no input device 'USB mic'") or "PortAudio" in notice
    assert live.status.text() == notice
    assert live.start_button.isEnabled() and not live.session.running  # ready to try another source
    assert window.isVisible() and window.jobs is not None

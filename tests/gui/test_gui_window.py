"""The main window: dropping files, the timeline, keys, and the session restored on the next start."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from a2i_studio.gui import session
from a2i_studio.gui.jobs_panel import Eta, format_seconds
from a2i_studio.gui.main_window import MainWindow


def drop(widget: QWidget, *paths: Path) -> bool:
    """Drag ``paths`` as file URLs onto ``widget`` and drop them, as a file manager does.

    Returns:
        Whether both the drag and the drop were accepted.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    args = (QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter, dropped = QDragEnterEvent(*args), QDropEvent(*args)
    QApplication.sendEvent(widget, enter)  # Qt delivers a drop only to the widget that accepted the drag
    QApplication.sendEvent(widget, dropped)
    return enter.isAccepted() and dropped.isAccepted()


def test_dropped_file_appears_in_library_and_timeline(
    qtbot: QtBot, start_window: Callable[..., MainWindow], clip: Path
) -> None:
    window = start_window()
    assert drop(window.library, clip)
    qtbot.waitUntil(lambda: window.library.model.rowCount() == 1)
    assert window.library.current() is not None and window.library.current().path == clip
    assert window.timeline is not None
    qtbot.waitUntil(lambda: window.timeline is not None and window.timeline.pyramid is not None)
    xs, ys = window.timeline.waveform_curve.getData()
    pixels = int(window.timeline.wave_plot.vb.width())
    assert len(xs) == 2 * pixels  # one min/max pair per pixel of the view
    assert xs[0] == pytest.approx(0.0, abs=2.0 / pixels)
    assert xs[-1] == pytest.approx(2.0, abs=2.0 / pixels)  # the chirp lasts 2 s
    assert 0.45 < ys.max() <= 0.55 and -0.55 <= ys.min() < -0.45  # amplitude 0.5 plus a little noise
    assert window.timeline.selection() == (0.0, 2.0)  # the toy encoder has no window: the whole clip


def test_drop_on_window_adds_folder_contents_and_reports_bad_files(
    qtbot: QtBot, start_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    folder = tmp_path / "sounds"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.wav", "sub/b.flac"):
        soundfile.write(folder / name, np.zeros(8000, dtype=np.float32) + 0.1, 8000)
    (folder / "notes.txt").write_text("not audio")
    broken = tmp_path / "broken.wav"
    broken.write_text("this is text")
    window = start_window()
    assert drop(window, folder, broken)
    qtbot.waitUntil(lambda: window.library.model.rowCount() == 2)
    assert [info.path.name for info in window.library.model.clips] == ["a.wav", "b.flac"]
    qtbot.waitUntil(lambda: len(window.notices.texts()) == 1)
    assert "broken.wav" in window.notices.texts()[0]


def test_timeline_keys_zoom_fit_and_requery_visible_range(window: MainWindow, qtbot: QtBot) -> None:
    timeline = window.timeline
    assert timeline is not None
    qtbot.keyClick(timeline, Qt.Key.Key_Plus)
    qtbot.keyClick(timeline, Qt.Key.Key_Plus)
    (low, high), _ = timeline.wave_plot.viewRange()
    assert high - low == pytest.approx(2.0 / 1.5**2, rel=1e-3)
    qtbot.waitUntil(lambda: timeline.waveform_curve.getData()[0][-1] < high)
    xs, _ = timeline.waveform_curve.getData()
    assert low <= xs[0] and xs[-1] <= high  # only the visible range was queried
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    (moved_low, _), _ = timeline.wave_plot.viewRange()
    assert moved_low == pytest.approx(low + 0.25 * (high - low), rel=1e-3)
    qtbot.keyClick(timeline, Qt.Key.Key_F)
    assert timeline.wave_plot.viewRange()[0] == pytest.approx([0.0, 2.0], abs=1e-6)


def test_space_without_a_speaker_shows_a_notice_and_keeps_running(window: MainWindow, qtbot: QtBot) -> None:
    timeline = window.timeline
    assert timeline is not None
    qtbot.keyClick(timeline, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(window.notices.texts()))
    text = window.notices.texts()[-1]
    assert "speaker" in text or "PortAudio" in text
    assert not timeline.player.playing
    assert timeline.play_button.text() == "▶ Play"


def test_session_restores_clips_chain_and_layout(
    qtbot: QtBot, start_window: Callable[..., MainWindow], clip: Path, app_dirs: dict[str, Path]
) -> None:
    first = start_window(clip)
    assert first.chain_panel is not None and first.chain_panel.select_chain("toy-proj>slow-gen")
    first.docks["queue"].setFloating(True)
    first.close()
    assert (app_dirs["config"] / "gui.ini").is_file()
    assert session.recent() == [clip]

    second = start_window()
    qtbot.waitUntil(lambda: second.library.model.rowCount() == 1)
    assert second.library.current() is not None and second.library.current().path == clip
    assert second.chain_panel is not None
    assert second.chain_panel.current_chain() is not None
    assert second.chain_panel.current_chain().id == "toy-proj>slow-gen"
    assert second.docks["queue"].isFloating()


def test_window_fits_a_small_laptop_screen_and_status_text_never_relayouts(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: window.gallery_panel is not None)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 700  # 1366x768 less the desktop's panels
    assert window.timeline is not None and window.jobs is not None
    title = window.timeline.title
    assert title.text().startswith("chirp.wav · 2.0 s · selection 0.00–2.00 s")
    size = title.sizeHint(), title.minimumSizeHint()
    title.setText(" · " + "a very long status line " * 20, bold="x" * 200)
    assert (title.sizeHint(), title.minimumSizeHint()) == size  # a new text repaints, it never lays out
    assert title.toolTip() == title.text()  # the whole line stays readable where it is elided
    panel = window.docks["queue"].widget()
    before = panel.minimumSizeHint(), window.job_status.sizeHint()
    for status in (panel.status, window.job_status):
        status._set_shown(True)
    panel.preview.setVisible(True)
    assert (panel.minimumSizeHint(), window.job_status.sizeHint()) == before  # progress keeps the dock's size


def test_restored_layout_keeps_each_dock_and_the_centre_their_size(
    qtbot: QtBot, toy: None, clip: Path, app_dirs: dict[str, Path]
) -> None:
    def start() -> MainWindow:
        window = MainWindow(files=[clip])
        qtbot.addWidget(window)
        window.resize(1440, 900)  # the same size both times (offscreen screens are smaller)
        window.show()
        qtbot.waitUntil(lambda: window.jobs is not None and window.gallery_panel is not None, timeout=20_000)
        qtbot.wait(50)
        return window

    def sizes(window: MainWindow) -> dict[str, tuple[int, int]]:
        docks = {key: dock.size().toTuple() for key, dock in window.docks.items()}
        return {"centre": window.centralWidget().size().toTuple(), **docks}

    first = start()
    before = sizes(first)
    first.close()
    second = start()
    assert sizes(second) == before


def test_eta_is_the_time_per_step_so_far_times_the_steps_left() -> None:
    now = [100.0]
    eta = Eta(clock=lambda: now[0])
    assert eta.update(0, 1) is None  # "decoding audio": a stage of its own
    assert eta.update(0, 50) is None  # denoising starts: the clock starts
    now[0] += 2.0
    assert eta.update(4, 50) == pytest.approx(2.0 / 4 * 46)
    now[0] += 3.0
    assert eta.update(10, 50) == pytest.approx(5.0 / 10 * 40)
    assert eta.update(1, 50) is None  # a step that goes back is the next image's stage
    assert format_seconds(23) == "0:23" and format_seconds(754.4) == "12:34" and format_seconds(3723) == "1:02:03"


def test_notices_float_over_the_timeline_without_moving_it(window: MainWindow, qtbot: QtBot) -> None:
    assert window.timeline is not None
    before = window.timeline.geometry()
    window.notices.show_notice("A first notice.", "warning")
    window.notices.show_notice("A second notice, long enough to wrap on a narrow window. " * 4, "error")
    assert window.notices.isVisible() and window.notices.height() > 0
    assert window.notices.geometry().top() == 0 and window.notices.width() == window.centralWidget().width()
    assert window.timeline.geometry() == before

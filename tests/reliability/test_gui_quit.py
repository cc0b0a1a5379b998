"""Issue 21, item 5 and the GUI item: Quit never freezes, and special files give a notice."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile import CLI_TIMEOUT_S
from pytestqt.qtbot import QtBot

from a2i_studio.gui import session, workers
from a2i_studio.gui.main_window import MainWindow

HERE = Path(__file__).parent


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The file that lets the hung plugin return; created at the end so no thread outlives the test."""
    path = tmp_path / "release"
    monkeypatch.setenv("A2I_TEST_RELEASE", str(path))
    yield path
    path.touch()


@pytest.fixture
def plugins(app_dirs: dict[str, Path], drop_in: Callable[[str], Path]) -> Path:
    """The toy plugin and the hung plugin in the drop-in folder."""
    drop_in("toy_plugin")
    return Path(shutil.copy(HERE / "hung_plugin.py", app_dirs["config"] / "plugins" / "hung_plugin.py"))


def _start(qtbot: QtBot, *files: Path) -> MainWindow:
    window = MainWindow(files=list(files))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.jobs is not None, timeout=30_000)
    return window


def test_quit_leaves_a_hung_job_behind_within_the_bound_and_logs_it(
    qtbot: QtBot, plugins: Path, release: Path, clip: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "QUIT_WAIT_SECONDS", 0.5)
    window = _start(qtbot, clip)
    assert window.chain_panel is not None and window.jobs is not None
    # torch loads in the background after start-up; only the hung job should be left running
    qtbot.waitUntil(lambda: window.library.current() is not None and window.warmed_up, timeout=60_000)
    assert window.chain_panel.select_chain("toy-proj>hung-gen")
    jobs = window.jobs
    window.chain_panel.generate_button.click()

    def hanging() -> bool:  # the generator itself is running, past every step that honours cancel
        running = jobs.running
        return running is not None and running.progress is not None and running.progress.stage == "hanging"

    qtbot.waitUntil(hanging, timeout=30_000)

    window.menu_actions["quit"].trigger()  # before the bound, this never returned

    assert window.workers_left_running and not window.isVisible()
    assert [record.getMessage() for record in caplog.records if record.name == "a2i_studio.gui.workers"] == [
        "Quit: the job queue did not stop within 0.5 s of being cancelled; a2i-studio leaves without waiting for it."
    ]
    release.touch()
    assert jobs._thread.wait(30_000)  # released: the worker ends and nothing outlives the test


def test_special_files_from_the_command_line_and_recent_files_give_notices(
    qtbot: QtBot, plugins: Path, release: Path, tmp_path: Path, clip: Path
) -> None:
    fifo, loop = tmp_path / "pipe.wav", tmp_path / "loop.wav"
    os.mkfifo(fifo)
    loop.symlink_to(loop)
    session.add_recent([fifo])
    window = _start(qtbot, loop, clip)
    qtbot.waitUntil(lambda: len(window.notices.texts()) >= 1)
    window.recent_menu.actions()[-1].trigger()  # the oldest recent file: the FIFO
    qtbot.waitUntil(lambda: len(window.notices.texts()) >= 2)

    assert window.notices.texts()[:2] == [
        "loop.wav is a symbolic link that loops back on itself: choose a regular audio file.",
        "pipe.wav is a FIFO (named pipe), not a file: choose a regular audio file.",
    ]
    assert [info.path for info in window.library.model.clips] == [clip]  # the app keeps working
    window.close()
    assert not window.workers_left_running


_DRIVER = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from a2i_studio.gui import app, workers
from a2i_studio.gui.main_window import MainWindow

workers.QUIT_WAIT_SECONDS = 0.5
qt = QApplication([sys.argv[0]])

def close_once_plugins_load():
    windows = [w for w in qt.topLevelWidgets() if isinstance(w, MainWindow) and w.chain_panel is not None]
    if windows:
        windows[0].close()  # File > Quit while the plugins are loading
    else:
        QTimer.singleShot(50, close_once_plugins_load)

QTimer.singleShot(50, close_once_plugins_load)
app.main([])
print("main returned", flush=True)  # never reached: the app ends the process instead of waiting
"""


def test_the_app_process_ends_although_a_plugin_hangs_at_import(
    plugins: Path, release: Path, app_dirs: dict[str, Path]
) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "A2I_TEST_HANG_AT_IMPORT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
    )
    assert result.returncode == 0 and "main returned" not in result.stdout, result.stderr
    logged = (app_dirs["data"] / "logs" / "a2i.log").read_text(encoding="utf-8")
    assert "Quit: background work (opening files, plugins) did not stop within 0.5 s of being cancelled" in logged

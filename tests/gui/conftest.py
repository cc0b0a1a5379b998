"""GUI test fixtures: offscreen Qt, the toy plugins, a started main window, and no leaked windows."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from a2i_studio.gui.main_window import MainWindow

HERE = Path(__file__).parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Fail a test that leaves a visible top-level window behind (after its fixtures closed theirs)."""
    yield
    app = QApplication.instance()
    if app is None:
        return
    app.processEvents()
    leaked = [widget for widget in QApplication.topLevelWidgets() if widget.isVisible()]
    for widget in leaked:
        widget.close()
    # This test's unreachable widgets die here, on the UI thread: left to the automatic collection,
    # they could be collected on a worker thread of the next test, where destroying Qt objects
    # deadlocks against the UI thread (shiboken's GIL and a Qt mutex); the app collects on the UI
    # thread alone for the same reason (gui/app.py).
    gc.collect()
    if leaked:
        pytest.fail(f"{item.name} leaked windows: {[type(widget).__name__ for widget in leaked]}")


@pytest.fixture
def toy(drop_in: Callable[[str], Path], app_dirs: dict[str, Path]) -> None:
    """The toy plugin (chain toy-proj>toy-gen) and the GUI test generators, in the drop-in folder.

    The first-run welcome is dismissed, as after a user's first start (its own tests show it).
    """
    from a2i_studio import config

    config.save_settings({"welcome_dismissed": True})
    drop_in("toy_plugin")
    shutil.copy(HERE / "gui_test_plugin.py", app_dirs["config"] / "plugins" / "gui_test_plugin.py")


@pytest.fixture
def start_window(qtbot: QtBot, toy: None) -> Callable[..., MainWindow]:
    """Start a main window as ``a2i-studio FILES`` would, and wait until jobs can run."""

    def start(*files: Path, safe_mode: bool = False) -> MainWindow:
        window = MainWindow(files=list(files), safe_mode=safe_mode)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.jobs is not None, timeout=20_000)
        if files:
            qtbot.waitUntil(lambda: window.timeline is not None and window.timeline.pyramid is not None)
        return window

    return start


@pytest.fixture
def generate(qtbot: QtBot) -> Callable[[MainWindow], list[Any]]:
    """Click Generate in a window and wait for the job; returns its results."""

    def run(window: MainWindow) -> list[Any]:
        assert window.chain_panel is not None and window.jobs is not None
        with qtbot.waitSignal(window.jobs.job_finished, timeout=30_000) as finished:
            window.chain_panel.generate_button.click()
        results: list[Any] = finished.args[1]
        return results

    return run


@pytest.fixture
def window(start_window: Callable[..., MainWindow], clip: Path) -> MainWindow:
    """A started main window with the 2 s chirp loaded and the toy chain selected."""
    window = start_window(clip)
    assert window.chain_panel is not None
    assert window.chain_panel.select_chain("toy-proj>toy-gen")
    return window

"""Start-up: the first window is painted before torch is imported, and plugins cannot hold it up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from a2i_studio.gui.app import EXIT_AFTER_PAINT


def test_first_window_is_painted_before_torch_is_imported(clip: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", EXIT_AFTER_PAINT: "1"}
    result = subprocess.run(
        [sys.executable, "-m", "a2i_studio.gui", str(clip)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("first-paint "))
    report = json.loads(line.removeprefix("first-paint "))
    assert report["torch"] is False
    assert report["numpy"] is False and report["pyqtgraph"] is False  # they load after the first paint too


def test_a_plugin_exiting_in_a_worker_is_a_failure_the_ui_hears(qtbot: QtBot) -> None:
    from a2i_studio.gui.workers import start_task

    outcomes: list[BaseException] = []
    # Wait on what the UI hears (on_failed), not on the signal: the task may finish before a wait could connect.
    start_task(lambda: sys.exit(3), on_done=print, on_failed=outcomes.append)
    qtbot.waitUntil(lambda: bool(outcomes))
    assert isinstance(outcomes[0], SystemExit) and outcomes[0].code == 3


def test_the_chain_panel_says_why_when_the_plugins_cannot_load(
    qtbot: QtBot, app_dirs: dict[str, Path], clip: Path
) -> None:
    from a2i_studio.gui.main_window import MainWindow

    app_dirs["config"].mkdir(parents=True, exist_ok=True)
    (app_dirs["config"] / "settings.json").write_text("{not json")
    window = MainWindow(files=[clip])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.chain_panel is not None and window.chain_panel.note.text().startswith("No chains"))
    assert window.chain_panel is not None and not window.chain_panel.generate_button.isEnabled()
    assert "settings" in window.chain_panel.note.text()


def test_the_gallery_folder_from_the_environment_wins_over_settings(
    app_dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from a2i_studio import config
    from a2i_studio.gui.backend import load_backend

    config.save_settings({"gallery_dir": str(tmp_path / "chosen-in-settings")})
    roots = []
    for unset in (False, True):
        if unset:  # without the variable, the folder saved in Settings is used
            monkeypatch.delenv("A2I_GALLERY_DIR")
        backend = load_backend(safe_mode=True)
        assert backend.engine.gallery is not None
        roots.append((backend.gallery.root, backend.engine.gallery.root))
        backend.close()
    assert roots == [(app_dirs["gallery"],) * 2, (tmp_path / "chosen-in-settings",) * 2]


def test_the_app_collects_garbage_on_the_ui_thread_only(qtbot: QtBot) -> None:
    import gc
    import threading
    import weakref

    from a2i_studio.gui import app

    assert gc.isenabled()
    try:
        app._collect_garbage_on_this_thread()
        collector = app._collector
        assert not gc.isenabled()  # no collection can start on a worker thread now
        assert collector is not None and collector.timer.isActive()  # type: ignore[attr-defined]

        class Cycle:
            def __init__(self) -> None:
                self.me = self

        refs: list[weakref.ref[Cycle]] = []

        def worker() -> None:  # makes cyclic garbage, more than a collection's threshold
            refs.extend(weakref.ref(Cycle()) for _ in range(2000))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert all(ref() is not None for ref in refs)  # the worker thread collected nothing
        qtbot.waitUntil(lambda: all(ref() is None for ref in refs), timeout=5000)  # the UI thread's timer did
    finally:
        if app._collector is not None:
            app._collector.timer.stop()  # type: ignore[attr-defined]
        app._collector = None
        gc.enable()

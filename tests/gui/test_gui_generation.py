"""Generating from the window: the queue, cancel, re-run, errors and the batch audition."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image
from pytestqt.qtbot import QtBot

from a2i_studio.errors import Cancelled
from a2i_studio.gui.main_window import MainWindow

TIMEOUT = 30_000


def test_generate_saves_the_selection_with_its_recipe(
    window: MainWindow, qtbot: QtBot, generate: Callable[[MainWindow], list]
) -> None:
    assert window.timeline is not None and window.chain_panel is not None and window.gallery_panel is not None
    window.timeline.set_selection(0.5, 1.5)
    window.chain_panel.seed_mode.setCurrentText("fixed")
    window.chain_panel.seed.setValue(7)
    window.chain_panel.batch.setValue(2)
    results = generate(window)
    model = window.gallery_panel.model
    assert model.rowCount() == 2
    assert sorted(model.item(row).seed for row in range(2)) == [7, 8]
    for row in range(2):
        item = model.item(row)
        assert item.recipe["segment"] == {"start": 0.5, "end": 1.5}
        assert item.recipe["chain"] == "toy-proj>toy-gen"
        assert item.recipe["params"]["toy-gen"] == {"steps": 3, "noise": 0.5, "palette": "rgb"}
        with Image.open(item.path) as image:
            assert image.size == (32, 32)
    assert {result.item.id for result in results} == {model.item(row).id for row in range(2)}
    assert window.chain_panel.seed.value() == 7  # fixed seed stays


def test_cancel_stops_the_running_job_and_saves_nothing(
    window: MainWindow, qtbot: QtBot, app_dirs: dict[str, Path]
) -> None:
    assert window.chain_panel is not None and window.jobs is not None and window.gallery_panel is not None
    assert window.chain_panel.select_chain("toy-proj>slow-gen")
    window.chain_panel.forms["slow-gen"].set_values({"steps": 200})  # 5 s
    panel = window.docks["queue"].widget()
    with qtbot.waitSignal(
        window.jobs.job_progress, timeout=TIMEOUT, check_params_cb=lambda job, progress, preview: progress.step >= 2
    ):
        window.chain_panel.generate_button.click()
    # after a second, the panel and the status bar show progress and an ETA; previews at most 20 times a second
    status = window.job_status
    assert status is not None
    qtbot.waitUntil(lambda: panel.preview.isVisible() and status.progress.isVisible() and status.progress.value() >= 2)
    assert panel.preview.pixmap().width() == 80  # the 16 px live preview, scaled up to the 80 px box
    assert panel.status.progress.isVisible() and panel.status.progress.maximum() == 200
    assert re.fullmatch(r"ETA \d+:\d\d", status.eta.text())
    assert status.stage.text().startswith("chirp.wav") and status.stage.text().endswith(": slowly")
    assert panel.cancel_button.isEnabled()
    with qtbot.waitSignal(window.jobs.job_failed, timeout=TIMEOUT) as failed:
        panel.cancel_button.click()
    assert isinstance(failed.args[1], Cancelled)
    assert window.gallery_panel.model.rowCount() == 0
    assert list(app_dirs["gallery"].rglob("*.png")) == []
    assert any("nothing was saved" in text for text in window.notices.texts())
    assert window.jobs.rowCount() == 0


def test_queue_runs_jobs_in_the_order_left_after_reordering_and_removing(window: MainWindow, qtbot: QtBot) -> None:
    chain_panel, jobs = window.chain_panel, window.jobs
    assert chain_panel is not None and jobs is not None and window.gallery_panel is not None
    assert chain_panel.select_chain("toy-proj>slow-gen")
    chain_panel.seed_mode.setCurrentText("increment")
    chain_panel.seed.setValue(0)
    chain_panel.forms["slow-gen"].set_values({"steps": 30})
    chain_panel.generate_button.click()  # seed 0 starts at once and runs for ~0.75 s
    chain_panel.forms["slow-gen"].set_values({"steps": 1})
    for _ in range(3):
        chain_panel.generate_button.click()  # seeds 1, 2, 3 wait
    assert jobs.running is jobs.jobs[0]
    assert [job.request.seed for job in jobs.jobs] == [0, 1, 2, 3]
    assert not jobs.move(0, 1)  # the running job stays first
    assert jobs.move(3, -1)
    assert [job.request.seed for job in jobs.jobs] == [0, 1, 3, 2]
    jobs.remove(1)
    assert [job.request.seed for job in jobs.jobs] == [0, 3, 2]
    qtbot.waitUntil(lambda: jobs.rowCount() == 0, timeout=TIMEOUT)
    model = window.gallery_panel.model
    assert [model.item(row).seed for row in range(model.rowCount())] == [2, 3, 0]  # newest first


def test_rerun_from_the_gallery_gives_the_same_pixels(
    window: MainWindow, qtbot: QtBot, generate: Callable[[MainWindow], list]
) -> None:
    assert window.chain_panel is not None and window.jobs is not None and window.gallery_panel is not None
    window.chain_panel.seed_mode.setCurrentText("fixed")
    window.chain_panel.seed.setValue(11)
    generate(window)
    gallery = window.gallery_panel
    gallery.view.setCurrentIndex(gallery.model.index(0))
    with qtbot.waitSignal(window.jobs.job_finished, timeout=TIMEOUT):
        gallery.buttons["rerun"].click()
    with qtbot.waitSignal(window.jobs.job_finished, timeout=TIMEOUT):
        gallery.buttons["reseed"].click()
    newest, rerun, original = (gallery.model.item(row) for row in range(3))
    assert rerun.seed == original.seed == 11 and newest.seed != 11
    assert rerun.recipe["segment"] == original.recipe["segment"]
    pixels = [np.asarray(Image.open(item.path)) for item in (original, rerun, newest)]
    assert np.array_equal(pixels[0], pixels[1])
    assert not np.array_equal(pixels[0], pixels[2])


def test_out_of_memory_says_what_to_try_and_the_app_keeps_working(
    window: MainWindow, qtbot: QtBot, generate: Callable[[MainWindow], list]
) -> None:
    assert window.chain_panel is not None and window.jobs is not None and window.gallery_panel is not None
    assert window.chain_panel.select_chain("toy-proj>oom-gen")
    with qtbot.waitSignal(window.jobs.job_failed, timeout=TIMEOUT):
        window.chain_panel.generate_button.click()
    text = window.notices.texts()[-1]
    assert text.startswith("Out of memory while generating chirp.wav")
    assert "fewer images" in text and "--device cpu" in text
    assert window.chain_panel.select_chain("toy-proj>toy-gen")
    generate(window)
    assert window.gallery_panel.model.rowCount() == 1


def test_unexpected_error_is_shown_and_logged_with_its_traceback(
    window: MainWindow, qtbot: QtBot, app_dirs: dict[str, Path]
) -> None:
    assert window.chain_panel is not None and window.jobs is not None
    assert window.chain_panel.select_chain("toy-proj>crash-gen")
    with qtbot.waitSignal(window.jobs.job_failed, timeout=TIMEOUT):
        window.chain_panel.generate_button.click()
    text = window.notices.texts()[-1]
    log = app_dirs["data"] / "logs" / "a2i.log"
    assert text == (
        "generator 'crash-gen' (plugin gui_test_plugin) raised ZeroDivisionError: integer division or modulo by "
        "zero; that is a bug in the plugin: report it to the plugin's author with the traceback. The traceback is "
        f"in {log} (Help > Open log file)."
    )
    logged = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in logged and "1 // 0" in logged


def test_run_over_library_makes_one_image_per_clip(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    assert window.chain_panel is not None and window.jobs is not None and window.gallery_panel is not None
    other = tmp_path / "hum.wav"
    soundfile.write(other, 0.3 * np.sin(np.linspace(0, 600, 24_000)).astype(np.float32), 8000)
    window.library.add_paths([other])
    qtbot.waitUntil(lambda: window.library.model.rowCount() == 2)
    window.chain_panel.batch_button.click()
    assert window.jobs.rowCount() == 2
    qtbot.waitUntil(lambda: window.jobs.rowCount() == 0, timeout=TIMEOUT)
    items = [window.gallery_panel.model.item(row) for row in range(window.gallery_panel.model.rowCount())]
    assert sorted(item.audio_name for item in items) == ["chirp.wav", "hum.wav"]
    assert all(item.recipe["segment"] == {"start": 0.0, "end": None} for item in items)


def test_rerun_makes_the_same_checks_as_the_cli(
    window: MainWindow, qtbot: QtBot, generate: Callable[[MainWindow], list], clip: Path
) -> None:
    assert window.jobs is not None and window.gallery_panel is not None
    generate(window)
    clip.write_bytes(clip.read_bytes()[:-200])  # the source audio changed since
    gallery = window.gallery_panel
    gallery.view.setCurrentIndex(gallery.model.index(0))
    gallery.buttons["rerun"].click()
    qtbot.waitUntil(lambda: any("sha256 differs" in text for text in window.notices.texts()), timeout=TIMEOUT)
    assert f"{clip} is not the audio the image made from chirp.wav was made from" in window.notices.texts()[-1]
    assert window.jobs.rowCount() == 0 and gallery.model.rowCount() == 1

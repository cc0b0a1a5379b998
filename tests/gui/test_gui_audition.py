"""The audition grid: fills clips x chains from the job queue, judges, re-rolls and exports, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image
from pytestqt.qtbot import QtBot

from a2i_studio.core import find_chains
from a2i_studio.engine import Engine
from a2i_studio.gallery import Gallery, read_recipe
from a2i_studio.gui.audition import AuditionDialog
from a2i_studio.gui.jobs import JobQueue
from a2i_studio.gui.main_window import MainWindow
from a2i_studio.plugins import PluginManager


@pytest.fixture
def queue(toy: None, app_dirs: dict[str, Path]) -> Iterator[JobQueue]:
    engine = Engine(PluginManager().load().registry, Gallery())
    jobs = JobQueue(engine)
    yield jobs
    jobs.shutdown()


def _clips(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for index in range(count):
        paths.append(folder / f"c{index:02d}.wav")
        t = np.arange(4000) / 8000
        soundfile.write(paths[-1], (0.3 * np.sin(2 * np.pi * (100 + 40 * index) * t)).astype(np.float32), 8000)
    return paths


def test_grid_fills_judges_rerolls_and_exports(qtbot: QtBot, queue: JobQueue, tmp_path: Path) -> None:
    registry = PluginManager().load().registry
    chains = [chain for chain in find_chains(registry) if chain.id in ("toy-proj>toy-gen", "toy-proj>slow-gen")]
    clips = _clips(tmp_path / "clips", 30)
    (tmp_path / "clips" / "broken.wav").write_text("not audio")
    gallery = Gallery()

    def params_for(chain: object) -> dict[str, dict[str, int]]:
        return {"slow-gen": {"steps": 1}} if getattr(chain, "id", "") == "toy-proj>slow-gen" else {}

    dialog = AuditionDialog(queue, chains, [], params_for, gallery)
    qtbot.addWidget(dialog)
    dialog.show()
    ids = ["toy-proj>toy-gen", "toy-proj>slow-gen"]
    dialog.fill([*clips, tmp_path / "clips" / "broken.wav"], ids, seed=5)
    model = dialog.model
    assert model is not None and (model.rowCount(), model.columnCount()) == (31, 2)
    qtbot.waitUntil(lambda: model.done() == 62, timeout=60_000)
    assert dialog.status.text() == "62/62 cells"
    made = model.cell(3, 0)
    assert made.state == "made" and made.path is not None and read_recipe(made.path)["seed"] == 5
    assert read_recipe(model.cell(3, 1).path)["params"]["slow-gen"]["steps"] == 1  # type: ignore[arg-type]
    broken = model.cell(30, 1)
    assert broken.state == "failed" and "broken.wav" in broken.reason
    assert model.data(model.index(30, 1)) == "failed"

    view = dialog.view
    view.selectionModel().select(model.index(3, 0), view.selectionModel().SelectionFlag.ClearAndSelect)
    dialog.buttons["star"].click()
    assert model.data(model.index(3, 0)) == "★ seed 5"
    assert [item.path for item in gallery.items(starred=True)] == [made.path]
    dialog.judge(4, 1, "kept")
    dialog.judge(5, 0, "rejected")

    before = model.cell(4, 1).path
    dialog.reroll(4, 1)
    assert model.cell(4, 1).state == "pending"
    qtbot.waitUntil(lambda: model.cell(4, 1).state == "made", timeout=20_000)
    rerolled = model.cell(4, 1)
    assert rerolled.job.seed != 5 and rerolled.path != before and rerolled.verdict == "kept"
    assert read_recipe(rerolled.path)["seed"] == rerolled.job.seed  # type: ignore[arg-type]

    copies = dialog.export_kept(tmp_path / "kept")
    assert sorted(path.name for path in copies) == sorted(
        ["c03-toy-proj-toy-gen-5.png", f"c04-toy-proj-slow-gen-{rerolled.job.seed}.png"]
    )
    with Image.open(copies[0]) as copy, Image.open(made.path) as original:
        assert copy.tobytes() == original.tobytes()
    dialog.close()


def test_menu_opens_the_grid_with_the_librarys_clips(
    start_window: Callable[..., MainWindow], clip: Path, qtbot: QtBot
) -> None:
    window = start_window(clip)
    window.menu_actions["audition"].trigger()
    dialog = window.dialogs["audition"]
    assert isinstance(dialog, AuditionDialog) and dialog.isVisible()
    assert [dialog.clip_list.item(row).text() for row in range(dialog.clip_list.count())] == ["chirp.wav"]
    dialog.close()

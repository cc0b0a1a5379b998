"""The generic training wizard: any trainer's form from its schema, presets, a run with live events, the result."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from a2i_studio.gui.main_window import MainWindow
from a2i_studio.gui.training_wizard import TrainingWizard

LINE_PLUGIN = Path(__file__).parents[1] / "training" / "line_trainer_plugin.py"


def test_any_trainer_runs_from_the_wizard_built_from_its_schema(
    qtbot: QtBot, start_window: Callable[..., MainWindow], app_dirs: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copy(LINE_PLUGIN, app_dirs["config"] / "plugins" / LINE_PLUGIN.name)
    window = start_window()
    window.menu_actions["train"].trigger()
    wizard = window.dialogs["train"]
    assert isinstance(wizard, TrainingWizard)
    page = wizard.setup_page

    # 1. Every registered trainer, built-in or plugin, gets a form of all its settings but the preset.
    assert {"aegan", "pixel", "line", "echo"} <= set(page.trainers)
    for trainer_id, trainer in page.trainers.items():
        page.select(trainer_id)
        assert set(page.form.values()) == {param.name for param in trainer.params} - {"preset"}

    # 2. A preset fills the form; edits there win.
    page.select("line")
    assert page.preset.currentText() == "slow" and page.form.values()["learning_rate"] == 0.1
    page.preset.setCurrentText("fast")
    assert (page.form.values()["learning_rate"], page.form.values()["epochs"]) == (0.3, 3)
    page.form.set_values({"precision": "no"})
    page.data.setText(str(tmp_path))
    assert page.out.text().endswith("line-" + tmp_path.name) and page.isComplete()
    page.out.setText(str(tmp_path / "run"))

    # 3. The run page draws every step's loss and shows the metrics after each epoch.
    with qtbot.waitSignal(wizard.run_page.finished, timeout=30_000):
        wizard.next()
    run = wizard.run_page
    assert run.isComplete(), run.status.text()
    assert len(run.losses) == 9 and list(run._raw_curve.getData()[1]) == run.losses
    assert run.progress.value() == 9
    assert run.evaluation.text().startswith("After 3 of 3") and "val_loss" in run.evaluation.text()
    assert (tmp_path / "run" / "line.json").is_file()

    # 4. The result page lists the metrics.
    wizard.next()
    assert "best_epoch: " in wizard.result_page.summary.text()
    assert "steps: 9" in wizard.result_page.summary.text()
    wizard.close()

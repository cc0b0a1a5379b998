"""The Train LoRA wizard, walked from the data page to "Use this LoRA now" with a tiny SD pipeline."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from _lora_fixtures import build_tiny_sd, image_folder
from pytestqt.qtbot import QtBot

from a2i_studio.gui.lora_wizard import LoraWizard
from a2i_studio.gui.main_window import MainWindow

# A chain toy-proj>toy-sd15>sd15, so the chain panel has an SD generator to put the LoRA into.
SD_BEHIND_TOY = '''
from importlib.metadata import entry_points

from a2i_studio.core import CLIP_TEXT_SD15, Adapter, Space
from a2i_studio.hookspecs import hookimpl


class ToyToSd15(Adapter):
    id = "toy-sd15"
    name = "toy to SD 1.5"
    description = "Never run; connects the toy encoder to sd15."
    input_space = Space("toy", (8,))
    output_space = CLIP_TEXT_SD15


@hookimpl
def a2i_register_components(registry):
    registry.add_adapter(ToyToSd15())
    if "diffusion" not in {entry.name for entry in entry_points(group="a2i_studio")}:
        from a2i_plugins.diffusion import StableDiffusion15Generator

        registry.add_generator(StableDiffusion15Generator())
'''


def test_the_wizard_trains_a_lora_and_puts_it_into_the_chain_panel(
    qtbot: QtBot, start_window: Callable[..., MainWindow], app_dirs: dict[str, Path], tmp_path: Path
) -> None:
    (app_dirs["config"] / "plugins" / "sd_behind_toy.py").write_text(SD_BEHIND_TOY)
    base = build_tiny_sd(tmp_path / "tiny-sd")
    data = image_folder(tmp_path / "birds")
    window = start_window()
    assert window.chain_panel is not None
    window.menu_actions["train_lora"].trigger()
    wizard = window.dialogs["lora"]
    assert isinstance(wizard, LoraWizard)

    # 1. Data: the scan shows each image with its caption, and that 48 px is small for 512 px training.
    with qtbot.waitSignal(wizard.data_page.scanned, timeout=10_000):
        wizard.data_page.set_folder(data)
    assert wizard.data_page.summary.text() == "3 images, 3 usable, 0 skipped, 3 problem(s)"
    assert wizard.data_page.examples.item(0).text() == "blue.png: a blue bird"
    assert wizard.data_page.problems.item(0).text() == (
        "tiny: blue.png is 48 x 48: it will be upscaled and look soft."
    )
    wizard.next()

    # 2. Settings: a preset fills the Advanced form; edits there win; the JSON file is what the CLI reads.
    page = wizard.settings_page
    assert page.name.text() == "birds"
    page.base.setCurrentText(str(base))
    page.preset.setCurrentText("quick")
    assert page.advanced.values()["max_steps"] == 300
    page.advanced.set_values({"max_steps": 3, "resolution": 32, "sample_every": 2, "sample_steps": 1,
                              "checkpoint_every": 0, "learning_rate": 5e-5, "precision": "no"})
    wizard.save_settings(tmp_path / "lora.json")
    saved = json.loads((tmp_path / "lora.json").read_text())
    assert (saved["preset"], saved["max_steps"], saved["learning_rate"], saved["base"]) == (
        "quick", 3, 5e-5, str(base)
    )
    assert saved == wizard.settings() and saved["rank"] == 8  # every setting: the preset's where not edited

    # 3. Run: the curve and the samples fill in as it trains.
    with qtbot.waitSignal(wizard.run_page.finished, timeout=90_000):
        wizard.next()
    run = wizard.run_page
    assert run.isComplete(), run.status.text()
    assert len(run.losses) == 3 and all(math.isfinite(loss) for loss in run.losses)
    assert list(run._raw_curve.getData()[1]) == run.losses
    assert not run.samples[0].pixmap().isNull()
    assert run.progress.value() == 3
    assert (app_dirs["models"] / "loras" / "birds.safetensors").is_file()

    # 4. Finish: "Use this LoRA now" selects it in the chain panel's sd15 generator.
    wizard.next()
    assert "birds.safetensors" in wizard.finish_page.summary.text()
    wizard.finish_page.use_button.click()
    chain = window.chain_panel.current_chain()
    assert chain is not None and chain.id == "toy-proj>toy-sd15>sd15"
    assert window.chain_panel.params()["sd15"]["loras"] == "birds:1.0"
    wizard.close()

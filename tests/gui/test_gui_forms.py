"""Parameter forms and the chain panel, built from real component schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QPlainTextEdit, QSpinBox
from pytestqt.qtbot import QtBot

from a2i_studio.core import (
    BoolParam,
    ChoiceParam,
    Encoder,
    FloatParam,
    Generator,
    IntParam,
    PathParam,
    Registry,
    Space,
    TextParam,
    find_chains,
)
from a2i_studio.gui.chain_panel import ChainPanel
from a2i_studio.gui.param_form import ParamForm

SPACE = Space("form-test", (4,))
PARAMS = (
    IntParam("steps", 20, "denoising steps", minimum=1, maximum=150),
    FloatParam("guidance", 7.5, "how closely to follow", minimum=0.0, maximum=30.0),
    ChoiceParam("scheduler", "ddim", "sampler", choices=("ddim", "euler", "dpm")),
    BoolParam("tile", False, "seamless tiling"),
    TextParam("prompt", "a forest", "what to add"),
    TextParam("tag", "x", "short label", max_length=20),
    PathParam("lora", "", "LoRA file", suffixes=(".safetensors",)),
)


class FormEncoder(Encoder):
    id = "form-enc"
    name = "Form encoder"
    output_space = SPACE
    window_seconds = 4.0


class FormGenerator(Generator):
    id = "form-gen"
    name = "Form generator"
    input_space = SPACE
    params = PARAMS


class OtherGenerator(Generator):
    id = "other-gen"
    name = "Other"
    input_space = SPACE
    params = (IntParam("size", 64, "pixels", minimum=32, maximum=512),)


def chains() -> list:
    registry = Registry()
    registry.add_space(SPACE)
    registry.add_encoder(FormEncoder())
    registry.add_generator(FormGenerator())
    registry.add_generator(OtherGenerator())
    return find_chains(registry)


def test_param_form_builds_one_editor_per_kind(qtbot: QtBot) -> None:
    form = ParamForm(PARAMS)
    qtbot.addWidget(form)
    kinds = {name: type(editor) for name, editor in form.editors.items()}
    assert kinds == {
        "steps": QSpinBox,
        "guidance": QDoubleSpinBox,
        "scheduler": QComboBox,
        "tile": QCheckBox,
        "prompt": QPlainTextEdit,
        "tag": QLineEdit,
        "lora": kinds["lora"],
    }
    assert form.editors["lora"].findChild(QLineEdit) is not None
    steps = form.editors["steps"]
    assert isinstance(steps, QSpinBox) and (steps.minimum(), steps.maximum()) == (1, 150)
    assert steps.toolTip() == "denoising steps"
    assert form.values() == {param.name: param.default for param in PARAMS}


def test_param_form_values_round_trip_and_validate(qtbot: QtBot, tmp_path: Path) -> None:
    form = ParamForm(PARAMS)
    qtbot.addWidget(form)
    lora = str(tmp_path / "style.safetensors")
    chosen = {
        "steps": 30,
        "guidance": 3.25,
        "scheduler": "euler",
        "tile": True,
        "prompt": "rain",
        "tag": "t",
        "lora": lora,
    }
    with qtbot.waitSignal(form.changed):
        form.set_values(chosen)
    assert form.values() == chosen
    assert {param.name: param.validate(form.values()[param.name]) for param in PARAMS} == chosen
    form.set_values({"steps": 999})  # the spin box keeps values in range
    assert form.values()["steps"] == 150
    form.reset()
    assert form.values()["scheduler"] == "ddim"


def test_chain_panel_falls_back_to_the_first_chain_when_the_default_is_missing(qtbot: QtBot) -> None:
    panel = ChainPanel()
    qtbot.addWidget(panel)
    assert not panel.generate_button.isEnabled() and panel.note.text() == "Loading plugins…"
    panel.set_chains(chains(), "mfcc>aegan")
    assert panel.current_chain() is not None and panel.current_chain().id == "form-enc>form-gen"
    assert panel.note.text() == "Chain mfcc>aegan is not installed here; showing form-enc>form-gen instead."
    assert panel.generate_button.isEnabled()
    assert set(panel.forms) == {"form-enc", "form-gen"}
    panel.forms["form-gen"].set_values({"steps": 12})
    assert panel.select_chain("form-enc>other-gen")
    assert panel.params() == {"form-enc": {}, "other-gen": {"size": 64}}
    assert panel.select_chain("form-enc>form-gen")
    assert panel.params()["form-gen"]["steps"] == 12  # remembered across chain switches
    panel.set_chains([], None)
    assert not panel.generate_button.isEnabled() and "No chain can run yet" in panel.note.text()


@pytest.mark.parametrize(("mode", "expected_seeds", "box_after"), [("fixed", [9, 9], 9), ("increment", [9, 12], 15)])
def test_seed_modes(qtbot: QtBot, mode: str, expected_seeds: list[int], box_after: int) -> None:
    panel = ChainPanel()
    qtbot.addWidget(panel)
    panel.set_chains(chains(), None)
    panel.seed_mode.setCurrentText(mode)
    panel.seed.setValue(9)
    panel.batch.setValue(3)
    assert [panel.take_seed(), panel.take_seed()] == expected_seeds
    assert panel.seed.value() == box_after


def test_random_seed_mode_shows_each_new_seed(qtbot: QtBot) -> None:
    panel = ChainPanel()
    qtbot.addWidget(panel)
    panel.set_chains(chains(), None)
    seeds = [panel.take_seed() for _ in range(5)]
    assert len(set(seeds)) == 5 and panel.seed.value() == seeds[-1]

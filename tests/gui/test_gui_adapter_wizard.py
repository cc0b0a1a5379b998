"""The adapter wizard on tiny models: from a chain that lacks its adapter, through labelled sounds, a run that is
cancelled and resumed, to "Use this adapter now" and a picture; and both wizards refusing to start without their
base model."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from _lora_fixtures import build_tiny_sd
from pytestqt.qtbot import QtBot

from a2i_studio.core import EvaluationEvent
from a2i_studio.gui.adapter_wizard import AdapterWizard
from a2i_studio.gui.lora_wizard import LoraWizard
from a2i_studio.gui.main_window import MainWindow


def _sounds(folder: Path) -> Path:
    """Class folders: rain (noise) and birds (chirps), four 1 s clips each; one unreadable file; a lone 'wind'."""
    rate = 16_000
    t = np.arange(rate) / rate
    rng = np.random.default_rng(0)
    for index in range(4):
        rain = 0.3 * rng.standard_normal(rate)
        birds = 0.5 * np.sin(2 * np.pi * (2000 + 1500 * index + 3000 * t) * t)
        for label, samples in (("rain", rain), ("birds", birds)):
            (folder / label).mkdir(parents=True, exist_ok=True)
            soundfile.write(folder / label / f"{label}{index}.wav", samples.astype(np.float32), rate)
    (folder / "birds" / "broken.wav").write_text("not audio")
    (folder / "wind").mkdir()
    soundfile.write(folder / "wind" / "gust.wav", (0.1 * rng.standard_normal(rate)).astype(np.float32), rate)
    return folder


@pytest.fixture
def tiny_sd15_installed(app_dirs: dict[str, Path], tmp_path: Path) -> Path:
    """A tiny SD 1.5-shaped pipeline where the sd15 generator's default model looks: its weights are on disk."""
    target = app_dirs["models"] / "checkpoints" / "stable-diffusion-v1-5"
    target.parent.mkdir(parents=True)
    target.symlink_to(build_tiny_sd(tmp_path / "tiny-sd"), target_is_directory=True)
    return target


@pytest.mark.slow
def test_a_chain_without_its_adapter_gets_one_trained_through_the_wizard_and_then_runs(
    tiny_sd15_installed: Path, start_window: Callable[..., MainWindow], qtbot: QtBot, clip: Path,
    app_dirs: dict[str, Path], tmp_path: Path,
) -> None:
    window = start_window(clip)
    panel = window.chain_panel
    assert panel is not None
    # 1. The chain panel's "train an adapter" step opens the wizard with the chain's ends; VGGish is not
    #    downloaded, so the wizard will not start and offers the bundle.
    assert panel.select_chain("vggish>mlp-vggish-sd15>sd15")
    train = next(button for button in panel.next_step.buttons if button.text().startswith("Train an adapter"))
    assert train.text() == "Train an adapter for vggish → sd15…"
    train.click()
    wizard = window.dialogs["adapter"]
    assert isinstance(wizard, AdapterWizard)
    settings = wizard.settings_page
    assert (settings.encoder.currentData(), settings.generator.currentData()) == ("vggish", "sd15")
    assert settings.adapter_id.text() == "mlp-vggish-sd15"
    assert settings.missing.isVisibleTo(settings) and not settings.isComplete()
    assert "vggish" in settings.missing.text.text() and "sd15 (" not in settings.missing.text.text()
    # the bundle's size counts what is still to download: SD 1.5 is here, VGGish is not
    assert [button.text() for button in settings.missing.buttons] == ["Download bundle sd15-adapters (288.7 MB)…"]

    # 2. Data: each clip with its caption; the unreadable file and the lone label are problems.
    with qtbot.waitSignal(wizard.data_page.scanned, timeout=10_000):
        wizard.data_page.set_folder(_sounds(tmp_path / "sounds"))
    report = wizard.data_page.report
    assert report is not None and report.labels == {"birds": 4, "rain": 4, "wind": 1}
    assert wizard.data_page.preview.topLevelItem(0).text(3) == "a photo of a birds"
    problems = [wizard.data_page.problems.item(row).text() for row in range(wizard.data_page.problems.count())]
    assert problems[0].startswith("✗ birds/broken.wav cannot be used (") and problems[0].endswith("folder.")
    assert problems[1].startswith("⚠ Label 'wind' has 1 clip: too few to hold one out for validation")
    assert not wizard.data_page.isComplete()  # the trainer would stop at the broken file: it must go first
    (tmp_path / "sounds" / "birds" / "broken.wav").unlink()
    wizard.data_page.template.setText("the sound of {label}")
    with qtbot.waitSignal(wizard.data_page.scanned, timeout=10_000):
        wizard.data_page.scan()
    assert wizard.data_page.isComplete()
    assert wizard.data_page.preview.topLevelItem(0).text(3) == "the sound of birds"
    wizard.next()

    # 3. Settings: the weight-free MFCC encoder needs no download; a tiny MLP, a few epochs.
    settings.choose("mfcc", "sd15")
    assert not settings.missing.isVisibleTo(settings) and settings.adapter_id.text() == "mlp-mfcc-sd15"
    settings.tokens.setValue(4)
    settings.advanced.set_values({"hidden": "16", "epochs": 6, "batch_size": 2, "dropout": 0.0, "precision": "no",
                                  "val_fraction": 0.25})
    assert settings.isComplete()

    # 4. Run: cancel after the first epoch, then resume from its checkpoint to the end.
    run = wizard.run_page
    first = []
    run_events = run._on_progress

    def cancel_after_first(value: object) -> None:
        run_events(value)
        if isinstance(value, EvaluationEvent) and not first:
            first.append(value)
            run.stop()

    run._on_progress = cancel_after_first  # type: ignore[method-assign]
    with qtbot.waitSignal(run.finished, timeout=120_000):
        wizard.next()
    assert run.metrics is None and run.resume_button.isVisible(), run.status.text()
    run._on_progress = run_events  # type: ignore[method-assign]
    with qtbot.waitSignal(run.finished, timeout=120_000):
        run.resume_button.click()
    assert run.isComplete(), run.status.text()
    assert run.metrics is not None and run.metrics["epochs"] == 6
    assert set(run.metric_curves) == {"val_loss", "val_mse", "val_cosine"}
    xs, ys = run.metric_curves["val_cosine"].getData()
    resumed_at = int(xs[0])
    assert resumed_at > 1 and list(xs) == list(range(resumed_at, 7))  # the epochs after the checkpoint, only
    assert all(math.isfinite(value) for value in ys)
    assert (app_dirs["models"] / "adapters" / "mlp-mfcc-sd15.safetensors").is_file()

    # 5. Finish: use it now: the plugins load again and its chain is selected, ready, and makes a picture.
    wizard.next()
    summary = wizard.finish_page.summary.text()
    assert "val_mse" in summary and "mfcc>mlp-mfcc-sd15>sd15" in summary
    wizard.finish_page.use_button.click()
    qtbot.waitUntil(lambda: panel.current_chain_id() == "mfcc>mlp-mfcc-sd15>sd15", timeout=30_000)
    panel.set_has_gpu(True)
    assert not panel.next_step.isVisible()  # ready: nothing to do
    panel.set_has_gpu(False)  # without a GPU, the few-step generator that reads the same adapter is proposed
    assert panel.next_step.text.text().startswith("<b>No GPU found:</b>")
    assert [button.text() for button in panel.next_step.buttons] == ["Get sd15-lcm (423.7 MB)…"]
    panel.forms["sd15"].set_values({"width": 32, "height": 32, "steps": 1})
    assert window.jobs is not None
    with qtbot.waitSignal(window.jobs.job_finished, timeout=60_000) as finished:
        panel.generate_button.click()
    assert finished.args[1][0].image.size == (32, 32)


def test_the_lora_wizard_will_not_start_without_its_base_model_and_offers_the_bundle(
    start_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = start_window()
    window.menu_actions["train_lora"].trigger()
    wizard = window.dialogs["lora"]
    assert isinstance(wizard, LoraWizard)
    page = wizard.settings_page
    page.name.setText("birds")
    page.run_folder.setText(str(tmp_path / "run"))
    assert page.missing.isVisibleTo(page) and not page.isComplete()
    assert "Stable Diffusion 1.5 pipeline weights (sd15, 4.3 GB)" in page.missing.text.text()
    (button,) = page.missing.buttons
    button.click()  # opens the model manager at the bundle that holds it
    assert window.dialogs["models"].bundles.current_bundle_id() == "sd15-adapters"  # type: ignore[attr-defined]
    page.base.setCurrentText(str(tmp_path))  # a local folder of the user's own: not the app's to check
    assert not page.missing.isVisibleTo(page) and page.isComplete()

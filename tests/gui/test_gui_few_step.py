"""The few-step chain in the app: SD 1.5 with the LCM-LoRA merged in, fed by the same adapter, on tiny models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from _lora_fixtures import build_tiny_sd
from gui_adapters import write_adapter
from pytestqt.qtbot import QtBot

from a2i_studio.core import Progress
from a2i_studio.gui.main_window import MainWindow


@pytest.fixture
def lcm_models(app_dirs: dict[str, Path], tmp_path: Path) -> None:
    """A tiny SD 1.5-shaped pipeline and a LoRA for it where sd15-lcm looks, and a random mfcc -> sd15 adapter."""
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from peft import LoraConfig, get_peft_model_state_dict


    checkpoints = app_dirs["models"] / "checkpoints"
    checkpoints.mkdir(parents=True)
    pipeline = build_tiny_sd(tmp_path / "tiny-sd")
    (checkpoints / "stable-diffusion-v1-5").symlink_to(pipeline, target_is_directory=True)
    torch.manual_seed(3)
    unet = UNet2DConditionModel.from_pretrained(pipeline / "unet")
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_v"], init_lora_weights=False))
    StableDiffusionPipeline.save_lora_weights(checkpoints / "lcm-lora-sdv1-5", get_peft_model_state_dict(unet),
                                              weight_name="pytorch_lora_weights.safetensors")
    write_adapter(app_dirs["models"], "mlp-mfcc-sd15", "mfcc", "mfcc-summary", "clip-text/sd15")


def test_the_few_step_chain_makes_a_picture_in_four_steps(
    lcm_models: None, start_window: Callable[..., MainWindow], qtbot: QtBot, clip: Path
) -> None:
    window = start_window(clip)
    panel, jobs = window.chain_panel, window.jobs
    assert panel is not None and jobs is not None
    assert panel.select_chain("mfcc>mlp-mfcc-sd15>sd15-lcm") and not panel.next_step.isVisible()
    assert panel.forms["sd15-lcm"].values()["steps"] == 4 and "scheduler" not in panel.forms["sd15-lcm"].values()
    panel.forms["sd15-lcm"].set_values({"width": 32, "height": 32})
    steps: list[Progress] = []
    jobs.job_progress.connect(lambda job, progress, preview: steps.append(progress))
    with qtbot.waitSignal(jobs.job_finished, timeout=60_000) as finished:
        panel.generate_button.click()
    (result,) = finished.args[1]
    assert result.image.size == (32, 32)
    assert result.recipe["chain"] == "mfcc>mlp-mfcc-sd15>sd15-lcm"
    assert [(report.step, report.total) for report in steps if report.stage.startswith("image")] == [
        (step, 4) for step in range(1, 5)
    ]

"""Few-step diffusion: SD-Turbo (SD 2.1's text space, 1-4 steps) and SD 1.5 with the LCM-LoRA merged in (4-8 steps),
through the same adapters; their bundles, and the SounDiff bundle's two pieces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_plugins.diffusion import LcmStableDiffusion15Generator, SdTurboGenerator, StableDiffusion15Generator
from a2i_studio import bundles
from a2i_studio.core import Progress, Registry, RunContext, resolve_params
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.errors import ParamError

SMALL = {"width": 32, "height": 32}


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _lcm_lora(tiny_sd15: Path, folder: Path) -> dict[str, torch.Tensor]:
    """A random rank-4 LoRA on the tiny U-Net's attention, saved where the LCM-LoRA weights are looked for."""
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from peft import LoraConfig, get_peft_model_state_dict

    torch.manual_seed(3)
    unet = UNet2DConditionModel.from_pretrained(tiny_sd15 / "unet")
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v"], init_lora_weights=False))
    state = {key: value * 2 for key, value in get_peft_model_state_dict(unet).items()}
    folder.mkdir(parents=True)
    name = "pytorch_lora_weights.safetensors"
    StableDiffusionPipeline.save_lora_weights(folder, unet_lora_layers=state, weight_name=name)
    return state


@pytest.fixture
def turbo_models(
    tiny_vggish: torch.nn.Module,
    tiny_sd21: Path,
    write_adapter: Callable[..., Path],
    install_checkpoint: Callable[[Path, str], Path],
) -> Path:
    """Tiny VGGish, a random SD 2.1 adapter and a tiny SD 2.1-shaped pipeline where SD-Turbo's default looks."""
    write_adapter("mlp-vggish-sd21", "vggish", "clip-text/sd21")
    return install_checkpoint(tiny_sd21, "sd-turbo")


def test_sd_turbo_runs_the_trailing_schedule_in_one_step_through_an_sd21_adapter(
    turbo_models: Path, registry: Registry, clip: Path
) -> None:
    chain = "vggish>mlp-vggish-sd21>sd-turbo"
    assert chain in [c.id for c in Engine(registry).chains()]  # the SD 2.1 adapter feeds SD-Turbo as it is
    reports: list[Progress] = []
    engine = Engine(registry)
    results = engine.generate(GenerationRequest(clip, chain, seed=4, params={"sd-turbo": SMALL}), reports.append)
    assert results[0].image.size == (32, 32)
    assert [(r.step, r.total) for r in reports if r.stage.startswith("image")] == [(1, 1)]  # one model call
    assert results[0].recipe["params"]["sd-turbo"]["steps"] == 1
    assert results[0].recipe["params"]["sd-turbo"]["guidance"] == 0.0
    generator = registry.get("generator", "sd-turbo")
    assert isinstance(generator, SdTurboGenerator)
    scheduler = generator._loaded.pipeline.scheduler  # type: ignore[union-attr]
    assert type(scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    assert scheduler.config.timestep_spacing == "trailing"
    scheduler.set_timesteps(1)
    assert int(scheduler.timesteps[0]) == 999  # one step starts from pure noise
    again = engine.generate(GenerationRequest(clip, chain, seed=4, params={"sd-turbo": SMALL}))
    assert np.array_equal(_pixels(again[0].image), _pixels(results[0].image))
    assert "scheduler" not in {param.name for param in SdTurboGenerator.params}  # its own schedule, always


def test_lcm_merges_its_lora_runs_the_lcm_scheduler_and_differs_from_plain_sd15(
    tiny_sd15: Path, install_checkpoint: Callable[[Path, str], Path], app_dirs: dict[str, Path]
) -> None:
    install_checkpoint(tiny_sd15, "stable-diffusion-v1-5")
    state = _lcm_lora(tiny_sd15, app_dirs["models"] / "checkpoints" / "lcm-lora-sdv1-5")
    lcm, plain = LcmStableDiffusion15Generator(), StableDiffusion15Generator()
    ctx = RunContext("cpu", "float32", (2,))
    audio = torch.randn(77, 768, generator=torch.Generator().manual_seed(9))
    lcm_params = resolve_params(lcm.params, SMALL, "sd15-lcm")
    assert (lcm_params["steps"], lcm_params["guidance"]) == (4, 1.0)
    image = lcm.generate(audio, lcm_params, ctx)[0]
    pipeline = lcm._loaded.pipeline  # type: ignore[union-attr]
    assert type(pipeline.scheduler).__name__ == "LCMScheduler"
    assert not pipeline.get_list_adapters()  # merged into the weights: no LoRA layers left to run each step
    base_q = plain.pipeline(resolve_params(plain.params, SMALL, "sd15"), ctx).unet.state_dict()
    fused_q = pipeline.unet.state_dict()
    (down_key,) = [key for key in state if "attn1.to_q.lora_A" in key and "down_blocks.0.attentions.0" in key]
    weight = down_key.removeprefix("unet.").replace(".lora_A.weight", ".weight")
    expected = base_q[weight] + state[down_key.replace("lora_A", "lora_B")] @ state[down_key]  # alpha / r = 1
    assert torch.allclose(fused_q[weight], expected, atol=1e-5)
    plain_image = plain.generate(audio, {**resolve_params(plain.params, SMALL, "sd15"), "steps": 4}, ctx)[0]
    assert np.abs(_pixels(image) - _pixels(plain_image)).mean() > 1


def test_few_step_models_load_from_folders_not_single_files(tmp_path: Path) -> None:
    checkpoint = tmp_path / "turbo.safetensors"
    checkpoint.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    generator = SdTurboGenerator()
    params = resolve_params(generator.params, {**SMALL, "model": str(checkpoint)}, "sd-turbo")
    with pytest.raises(ParamError, match=r"sd-turbo loads from its Hugging Face repository or a diffusers folder"):
        generator.generate(torch.zeros(77, 1024), params, RunContext("cpu", "float32", (0,)))


def test_the_builtin_bundles_name_every_piece_and_the_few_step_ones() -> None:
    import a2i_plugins.diffusion
    import a2i_plugins.imagebind
    import a2i_plugins.mlp_adapter
    import a2i_plugins.unclip
    import a2i_plugins.vggish
    from a2i_studio.testing import load_plugins

    plugins = (a2i_plugins.imagebind, a2i_plugins.unclip, a2i_plugins.vggish, a2i_plugins.mlp_adapter,
               a2i_plugins.diffusion)
    everything = load_plugins(*plugins).registry
    found = bundles.locate_all(everything)
    statuses = {status.chain_id: status for status in bundles.chain_statuses(everything, found)}
    soundiff = statuses["imagebind>unclip"]
    assert [spec.name for spec in soundiff.missing_weights] == ["imagebind", "sd21-unclip"]  # both, up front
    assert soundiff.next_step == "download bundle soundiff (12.5 GB)"
    by_id = {status.bundle.id: status for status in bundles.bundle_statuses(everything, found)}
    assert [licence.name for licence in by_id["soundiff"].bundle.must_accept] == ["CC BY-NC 4.0 (ImageBind)"]
    assert {bundle_id for bundle_id, status in by_id.items() if status.bundle.few_step} == {"sd-turbo", "sd15-lcm"}
    turbo = statuses["vggish>mlp-vggish-sd21>sd-turbo"]
    assert turbo.next_step == (
        "train an adapter for vggish → sd-turbo, then download bundle sd-turbo (5.5 GB)"
    )
    assert turbo.actions[0].component == "mlp-vggish-sd21"
    assert by_id["sd3-adapters"].bundle.gated

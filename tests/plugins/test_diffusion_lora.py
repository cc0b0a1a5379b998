"""LoRA files from the models dir's loras/: diffusers/PEFT and kohya key formats, scales, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from a2i_plugins.diffusion import StableDiffusion15Generator
from a2i_studio.core import RunContext, resolve_params
from a2i_studio.errors import CheckpointError, WeightsMissing

CTX = RunContext("cpu", "float32", (7,))


def _pixels(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _peft_lora(tiny_sd15: Path) -> dict[str, torch.Tensor]:
    """A random rank-4 LoRA on the tiny U-Net's attention projections, in PEFT's key names."""
    from diffusers import UNet2DConditionModel
    from peft import LoraConfig, get_peft_model_state_dict

    torch.manual_seed(2)
    unet = UNet2DConditionModel.from_pretrained(tiny_sd15 / "unet")
    config = LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"], init_lora_weights=False)
    unet.add_adapter(config)
    return {key: value * 3 for key, value in get_peft_model_state_dict(unet).items()}


def _kohya(peft_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The same LoRA in kohya-ss names: lora_unet_<module_with_underscores>.lora_down/lora_up/alpha."""
    kohya = {}
    for key, value in peft_state.items():
        module, _, kind = key.rpartition(".lora_")
        name = "lora_unet_" + module.replace(".", "_")
        kohya[f"{name}.{'lora_down' if kind.startswith('A') else 'lora_up'}.weight"] = value
        kohya[f"{name}.alpha"] = torch.tensor(4.0)
    return kohya


@pytest.fixture
def loras(tiny_sd15: Path, app_dirs: dict[str, Path]) -> Path:
    from diffusers import StableDiffusionPipeline

    folder = app_dirs["models"] / "loras"
    folder.mkdir(parents=True)
    state = _peft_lora(tiny_sd15)
    StableDiffusionPipeline.save_lora_weights(folder, unet_lora_layers=state, weight_name="peft.safetensors")
    save_file(_kohya(state), folder / "kohya.safetensors")
    return folder


def test_both_key_formats_load_and_change_the_image_alike(tiny_sd15: Path, loras: Path) -> None:
    from safetensors.torch import load_file

    assert next(iter(load_file(loras / "peft.safetensors"))).startswith("unet.")
    assert next(iter(load_file(loras / "kohya.safetensors"))).startswith("lora_unet_")
    generator = StableDiffusion15Generator()
    params = resolve_params(
        generator.params, {"width": 32, "height": 32, "steps": 1, "scheduler": "ddim", "model": str(tiny_sd15)}, "sd15"
    )
    audio = torch.randn(77, 768, generator=torch.Generator().manual_seed(5))
    base = _pixels(generator.generate(audio, params, CTX)[0])
    peft = _pixels(generator.generate(audio, {**params, "loras": "peft.safetensors:1.0"}, CTX)[0])
    kohya = _pixels(generator.generate(audio, {**params, "loras": "kohya"}, CTX)[0])
    off = _pixels(generator.generate(audio, {**params, "loras": "peft.safetensors:0"}, CTX)[0])
    assert np.abs(peft - base).mean() > 1
    assert np.abs(peft - kohya).max() <= 1
    assert np.abs(off - base).max() <= 1
    again = _pixels(generator.generate(audio, params, CTX)[0])  # unloading restores the base model
    assert np.abs(again - base).max() <= 1


def test_missing_and_fake_lora_files_are_named(tiny_sd15: Path, loras: Path) -> None:
    generator = StableDiffusion15Generator()
    params = resolve_params(generator.params, {"width": 32, "height": 32, "steps": 1, "model": str(tiny_sd15)}, "sd15")
    with pytest.raises(WeightsMissing, match=f"The LoRA owls is missing: looked in {loras / 'owls.safetensors'}"):
        generator.generate(torch.zeros(77, 768), {**params, "loras": "owls:0.5"}, CTX)
    (loras / "fake.safetensors").write_text("<html>rate limited</html>")
    with pytest.raises(CheckpointError, match="does not hold safetensors data"):
        generator.generate(torch.zeros(77, 768), {**params, "loras": "fake"}, CTX)

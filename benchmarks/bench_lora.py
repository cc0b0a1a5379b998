"""LoRA training steps per second on a real-size SD 1.5 U-Net, with and without gradient checkpointing.

Builds the SD 1.5 pipeline at real size with random weights from the configs
shipped in ``a2i_resources/diffusion/sd15/`` (no download), adds a rank-16 LoRA
with the trainer's own code (``a2i_studio.training.lora``), and times full
optimisation steps (denoising loss, backward, AdamW) on batch-1 latents, as a
run with cached latents and a frozen text encoder takes them. Each setting runs
in its own process so its peak memory is its own: resident memory on the CPU,
``torch.cuda.max_memory_allocated`` on a GPU. Gradient checkpointing is
compared against the plain run (the baseline) in the same invocation.

Run: ``python benchmarks/bench_lora.py [--size 512] [--steps 5] [--device cpu|cuda]``;
``--quick`` is 256 px and 2 timed steps (512 px steps take minutes on a small CPU).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch


def _letter_tokenizer() -> Any:
    """A CLIP tokenizer over single letters (the real vocabulary cannot be downloaded here)."""
    from transformers import CLIPTokenizer

    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {token: index for index, token in enumerate([*letters, *(f"{c}</w>" for c in letters)])}
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def _build_model(device: str) -> Any:
    """SD 1.5 at real size, random weights, frozen, as the trainer's :class:`BaseModel`."""
    from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from a2i_studio.config import resources_dir
    from a2i_studio.training.lora._model import BaseModel

    folder = resources_dir() / "diffusion" / "sd15"
    torch.manual_seed(0)
    pipeline = StableDiffusionPipeline(
        vae=AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae")),
        text_encoder=CLIPTextModel(CLIPTextConfig.from_pretrained(folder / "text_encoder")),
        tokenizer=_letter_tokenizer(),
        unet=UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet")),
        scheduler=DDPMScheduler.from_config(DDPMScheduler.load_config(folder / "scheduler")),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    ).to(device)
    for module in (pipeline.unet, pipeline.vae, pipeline.text_encoder):
        module.requires_grad_(False)
    return BaseModel(pipeline, "sd15", folder)


def measure(size: int, steps: int, checkpointing: bool, device: str) -> dict[str, float]:
    """Steps per second and peak memory (GB) of LoRA training steps in this process."""
    from a2i_studio.training.lora import LoraTrainer, settings_from
    from a2i_studio.training.lora._model import add_lora
    from a2i_studio.training.lora._steps import denoising_loss, step_generator

    model = _build_model(device)
    settings = settings_from(LoraTrainer().resolve_settings(
        {"rank": 16, "alpha": 16.0, "resolution": size, "gradient_checkpointing": checkpointing}))
    parameters = add_lora(model, settings)
    unet = model.pipeline.unet
    if checkpointing:
        unet.enable_gradient_checkpointing()
    unet.train()
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate)
    latents = torch.randn((1, 4, size // 8, size // 8), generator=torch.Generator().manual_seed(1)).to(device)
    states = torch.randn((1, 77, 768), generator=torch.Generator().manual_seed(2)).to(device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()

    def train_step(index: int) -> None:
        loss = denoising_loss(model, unet, latents, states, None, 0.0, step_generator(0, index))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    train_step(0)  # warm-up: allocator, kernels, optimizer state
    start = time.perf_counter()
    for index in range(1, steps + 1):
        train_step(index)
    seconds = time.perf_counter() - start
    if device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 1e9
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kilobytes on Linux
    return {"steps_per_second": steps / seconds, "seconds_per_step": seconds / steps, "peak_gb": peak,
            "trainable_params": float(sum(parameter.numel() for parameter in parameters))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="256 px, 2 timed steps")
    parser.add_argument("--child", choices=("plain", "checkpointing"), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size, steps = (256, 2) if args.quick else (args.size, args.steps)
    if args.child:
        result = measure(size, steps, args.child == "checkpointing", args.device)
        args.result.write_text(json.dumps(result))
        return

    print(f"SD 1.5 U-Net LoRA training, real size, random weights: rank 16, {size}x{size}, batch 1, "
          f"{steps} timed steps, device {args.device} ({torch.get_num_threads()} threads)")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("plain", "checkpointing"):
            path = Path(folder) / f"{name}.json"
            command = [sys.executable, __file__, "--child", name, "--result", str(path), "--size", str(size),
                       "--steps", str(steps), "--device", args.device]
            subprocess.run(command, check=True)
            results[name] = json.loads(path.read_text())
    memory = "peak GPU memory" if args.device.startswith("cuda") else "peak resident memory"
    base = results["plain"]
    print(f"trainable LoRA parameters: {base['trainable_params'] / 1e6:.2f} M")
    for name, result in results.items():
        speed, peak = result["steps_per_second"] / base["steps_per_second"], result["peak_gb"] / base["peak_gb"]
        print(f"{name:>14}: {result['steps_per_second']:.3f} steps/s ({result['seconds_per_step']:.1f} s/step), "
              f"{memory} {result['peak_gb']:.2f} GB; vs plain: {speed:.2f}x speed, {peak:.2f}x memory")


if __name__ == "__main__":
    main()

"""Seconds per SD 1.5 image: our pipeline settings against diffusers' defaults, in the same run.

Builds the real-size SD 1.5 U-Net, VAE and text encoder with random weights from
the configs shipped in ``a2i_resources/diffusion/sd15/`` (no download), then times
one image per setting from random 77 x 768 embeddings:

- ``diffusers defaults``: the pipeline as built (float32, no memory-format change), called directly;
- ``ours``: the sd15 generator's sampling code (``a2i_plugins.diffusion.sampling.run``: CPU-seeded
  latents, per-step progress and previews) with our device settings: on CUDA float16, channels-last
  and PyTorch SDPA attention, plus ``torch.compile`` of the U-Net with ``--compile``.

Run: ``python benchmarks/bench_diffusion.py [--steps 25] [--size 512] [--device cpu|cuda] [--compile]``;
``--quick`` is 256 px and 2 steps (a full 512 px, 25 step run takes many minutes on a small CPU).
Random weights give noise images; only the speed is measured.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch


def _letter_tokenizer() -> Any:
    """A CLIP tokenizer over single letters (the real vocabulary cannot be downloaded here); ids stay in range."""
    from transformers import CLIPTokenizer

    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {token: index for index, token in enumerate([*letters, *(f"{c}</w>" for c in letters)])}
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def build_pipeline(device: str, dtype: torch.dtype) -> Any:
    """The SD 1.5 pipeline at real size with random weights, from the shipped configs."""
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from a2i_studio.config import resources_dir

    folder = resources_dir() / "diffusion" / "sd15"
    torch.manual_seed(0)
    pipeline: Any = StableDiffusionPipeline(
        vae=AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae")),
        text_encoder=CLIPTextModel(CLIPTextConfig.from_pretrained(folder / "text_encoder")),
        tokenizer=_letter_tokenizer(),
        unet=UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet")),
        scheduler=PNDMScheduler.from_config(PNDMScheduler.load_config(folder / "scheduler")),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline.to(device, dtype)


def _time_image(call: Any, device: str) -> tuple[float, list[float]]:
    """Seconds for one image and the seconds of each denoising step."""
    stamps: list[float] = []

    def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())
        return {}

    start = time.perf_counter()
    call(on_step_end)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    total = time.perf_counter() - start
    steps = [later - earlier for earlier, later in zip([start, *stamps], stamps, strict=False)]
    return total, steps[1:] or steps  # the first step includes the text-free setup; skip it when we can


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--compile", action="store_true", help="torch.compile the U-Net in our settings")
    parser.add_argument("--quick", action="store_true", help="256 px, 2 steps")
    args = parser.parse_args()
    steps, size = (2, 256) if args.quick else (args.steps, args.size)

    from a2i_plugins.diffusion.families import SD15
    from a2i_plugins.diffusion.loading import apply_device_settings
    from a2i_plugins.diffusion.sampling import run
    from a2i_studio.core import RunContext

    embeds = torch.randn(77, 768, generator=torch.Generator().manual_seed(0))
    print(f"SD 1.5 at real size, random weights: {size}x{size}, {steps} steps, device {args.device}")
    results = {}

    # 1. diffusers' defaults: float32, the pipeline called as built.
    start = time.perf_counter()
    pipeline = build_pipeline(args.device, torch.float32)
    print(f"built in {time.perf_counter() - start:.1f} s")
    with torch.no_grad():
        start = time.perf_counter()
        pipeline.text_encoder(torch.zeros(1, 77, dtype=torch.long, device=args.device))
        print(f"text encoder: {time.perf_counter() - start:.2f} s per prompt")
    results["diffusers defaults"] = _time_image(
        lambda callback: pipeline(
            prompt_embeds=embeds[None].to(args.device), negative_prompt="", num_inference_steps=steps,
            height=size, width=size, generator=torch.Generator().manual_seed(0), callback_on_step_end=callback,
        ),
        args.device,
    )

    # 2. Ours: float16 on GPUs, channels-last, optional compile, run through the generator's sampling code.
    dtype = torch.float32 if args.device == "cpu" else torch.float16
    pipeline = pipeline.to(args.device, dtype)
    apply_device_settings(pipeline, args.device)
    if args.compile:
        pipeline.unet = torch.compile(pipeline.unet)
    params = {"width": size, "height": size, "steps": steps, "guidance": 7.5, "prompt": "", "prompt_weight": 0.0,
              "negative_prompt": "", "preview_every": 5}

    def ours(callback: Any) -> None:
        dtype_name = str(dtype).removeprefix("torch.")
        ctx = RunContext(args.device, dtype_name, (0,), progress=lambda _: callback(None, 0, None, {}))
        run(pipeline, SD15, embeds, params, ctx)

    results["ours"] = _time_image(ours, args.device)

    baseline = results["diffusers defaults"][0]
    print(f"{'setting':20s} {'s/image':>9s} {'s/step':>8s} {'vs defaults':>12s}")
    for name, (total, per_step) in results.items():
        print(f"{name:20s} {total:9.2f} {statistics.median(per_step):8.2f} {baseline / total:11.2f}x")
    if args.device == "cpu":
        step_seconds = statistics.median(results["ours"][1])
        estimate = step_seconds * 25 * (512 / size) ** 2
        print(f"rough estimate at 512 px, 25 steps: {estimate:.0f} s/image (U-Net time taken as growing with pixels)")


if __name__ == "__main__":
    main()

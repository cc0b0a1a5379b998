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

``--few-step`` compares, at 512 px, seconds per image of the few-step generators against the
25-step SD 1.5 default (guidance 7.5: two U-Net passes per step) on real-size random-weight
models: ``sd15-lcm`` (SD 1.5 U-Net, 4 steps, no guidance) and ``sd-turbo`` (SD 2.1 U-Net, 1 step,
no guidance). On the CPU a whole 25-step run takes many minutes, so it times a few U-Net calls
of each kind, one VAE decode and one text encoding, and adds them up for each generator
(``steps x U-Net call + decode + text``); it says so in its output. With CUDA it also runs the
three through the generators' own sampling code end to end and times whole images.
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


def _median_seconds(call: Any, device: str, repeats: int) -> float:
    """Median wall time of ``call()`` over ``repeats`` runs, after one warm-up run."""
    times = []
    for index in range(repeats + 1):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        call()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if index:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _unet(family: str, device: str, dtype: torch.dtype) -> Any:
    from diffusers import UNet2DConditionModel

    from a2i_studio.config import resources_dir

    torch.manual_seed(0)
    config = UNet2DConditionModel.load_config(resources_dir() / "diffusion" / family / "unet")
    return UNet2DConditionModel.from_config(config).to(device, dtype).eval()


def few_step(size: int, device: str, repeats: int) -> None:
    """Seconds per image: 25-step SD 1.5 with guidance against sd15-lcm (4 steps) and sd-turbo (1 step)."""
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel

    from a2i_studio.config import resources_dir

    dtype = torch.float32 if device == "cpu" else torch.float16
    latent = size // 8
    print(f"Few-step vs the 25-step default at {size}x{size}, real-size random weights, {device}, "
          f"median of {repeats} calls each")
    parts: dict[str, float] = {}
    with torch.inference_mode():
        # 1. One U-Net call with and without classifier-free guidance (a batch of two or of one).
        for family, width in (("sd15", 768), ("sd21", 1024)):
            unet = _unet(family, device, dtype)
            for batch in (2, 1) if family == "sd15" else (1,):
                latents = torch.randn(batch, 4, latent, latent, device=device, dtype=dtype)
                text = torch.randn(batch, 77, width, device=device, dtype=dtype)
                timestep = torch.tensor(500, device=device)
                seconds = _median_seconds(lambda u=unet, x=latents, c=text, t=timestep: u(x, t, c), device, repeats)
                parts[f"{family} U-Net, batch {batch}"] = seconds
            del unet
        # 2. One VAE decode (the same VAE for all three) and one text encoding per text encoder.
        folder = resources_dir() / "diffusion"
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "sd15" / "vae")).to(device, dtype)
        latents = torch.randn(1, 4, latent, latent, device=device, dtype=dtype)
        parts["VAE decode"] = _median_seconds(lambda v=vae, x=latents: v.decode(x), device, repeats)
        del vae
        for family in ("sd15", "sd21"):
            encoder = CLIPTextModel(CLIPTextConfig.from_pretrained(folder / family / "text_encoder")).to(device, dtype)
            tokens = torch.zeros(1, 77, dtype=torch.long, device=device)
            parts[f"{family} text encoder"] = _median_seconds(lambda e=encoder, x=tokens: e(x), device, repeats)
            del encoder
    for name, seconds in parts.items():
        print(f"  {name:24s} {seconds:8.2f} s")
    decode = parts["VAE decode"]
    images = {
        "sd15, 25 steps, guidance 7.5": 25 * parts["sd15 U-Net, batch 2"] + decode + parts["sd15 text encoder"],
        "sd15-lcm, 4 steps": 4 * parts["sd15 U-Net, batch 1"] + decode + parts["sd15 text encoder"],
        "sd-turbo, 1 step": 1 * parts["sd21 U-Net, batch 1"] + decode + parts["sd21 text encoder"],
    }
    baseline = images["sd15, 25 steps, guidance 7.5"]
    print("Seconds per image = steps x U-Net call + VAE decode + text encoding (U-Net calls timed, then scaled):")
    print(f"  {'generator':30s} {'s/image':>9s} {'speed-up':>9s}")
    for name, seconds in images.items():
        print(f"  {name:30s} {seconds:9.1f} {baseline / seconds:8.1f}x")
    if device.startswith("cuda"):
        _few_step_end_to_end(size, device, repeats)


def _few_step_end_to_end(size: int, device: str, repeats: int) -> None:
    """Whole images through the generators' sampling code, with their schedulers (CUDA only: minutes on a CPU)."""
    from diffusers import EulerAncestralDiscreteScheduler, LCMScheduler

    from a2i_plugins.diffusion.families import SD15, SD15_LCM, SD_TURBO
    from a2i_plugins.diffusion.sampling import run
    from a2i_studio.core import RunContext

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    pipeline = build_pipeline(device, dtype)
    apply = {"width": size, "height": size, "prompt": "", "prompt_weight": 0.0, "negative_prompt": "",
             "preview_every": 0}
    embeds = torch.randn(77, 768, generator=torch.Generator().manual_seed(0))
    ctx = RunContext(device, str(dtype).removeprefix("torch."), (0,))
    default_scheduler = pipeline.scheduler
    seconds = {}
    seconds["sd15, 25 steps, guidance 7.5"] = _median_seconds(
        lambda: run(pipeline, SD15, embeds, {**apply, "steps": 25, "guidance": 7.5}, ctx), device, repeats
    )
    pipeline.scheduler = LCMScheduler.from_config(default_scheduler.config)
    seconds["sd15-lcm, 4 steps"] = _median_seconds(
        lambda: run(pipeline, SD15_LCM, embeds, {**apply, "steps": 4, "guidance": 1.0}, ctx), device, repeats
    )
    # SD-Turbo is SD 2.1's U-Net and text encoder; the SD 1.5 pipeline with its scheduler stands in for the
    # schedule and the single unguided step (compare the two U-Nets' call times above).
    pipeline.scheduler = EulerAncestralDiscreteScheduler.from_config(default_scheduler.config,
                                                                     timestep_spacing="trailing")
    seconds["sd-turbo, 1 step (SD 1.5 size)"] = _median_seconds(
        lambda: run(pipeline, SD_TURBO, embeds, {**apply, "steps": 1, "guidance": 0.0}, ctx), device, repeats
    )
    baseline = seconds["sd15, 25 steps, guidance 7.5"]
    print("Whole images, end to end through sampling.run:")
    for name, value in seconds.items():
        print(f"  {name:30s} {value:9.3f} s {baseline / value:8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--compile", action="store_true", help="torch.compile the U-Net in our settings")
    parser.add_argument("--quick", action="store_true", help="256 px, 2 steps")
    parser.add_argument("--few-step", action="store_true", help="few-step generators against the 25-step default")
    parser.add_argument("--repeats", type=int, default=0, help="timed calls per part (default: 2 on CPU, 10 on GPU)")
    args = parser.parse_args()
    if args.few_step:
        few_step(args.size, args.device, args.repeats or (2 if args.device == "cpu" else 10))
        return
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

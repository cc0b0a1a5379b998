"""Speed of the ``imagebind>unclip`` chain with real-size models (random weights), against baselines in the same run.

Run: ``python benchmarks/bench_imagebind.py [--device cpu|cuda] [--runs 3] [--quick] [--skip-unclip]``.

1. ImageBind audio encoder (86 M parameters): milliseconds per 10 s stereo
   44.1 kHz clip (torchaudio-style resampling, the fbank of 3 windows of 2 s,
   then the model in float32, as the engine runs every encoder), against the
   same weights run through ``nn.MultiheadAttention`` in the official
   sequence-first layout, and against the model in half precision (float16 on
   a GPU, bfloat16 on the CPU): the cost of running encoders in float32.
2. SD 2.1 unCLIP (U-Net 865 M, OpenCLIP ViT-H text and image encoders, VAE),
   built from its published configuration: seconds per image through the
   ``unclip`` generator against a plain ``pipeline(image_embeds=...)`` call
   with diffusers' defaults. On a GPU: 768 x 768, 20 steps, float16. On the
   CPU: ``--quick`` (the default there) makes 256 x 256 images in 2 steps and
   reports seconds per step. The models are built in memory (about 8 GB in
   float32) and run through the generator's sampling code (``run``), so no
   weights are read or written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from a2i_studio.audio import resample

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "plugins"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _timed(function: Callable[[], object], runs: int, device: str) -> float:
    """Median seconds of ``runs`` calls after one warm-up call."""
    function()
    times = []
    for _ in range(runs):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        function()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _SequenceFirstAttention(nn.Module):
    """The official layout: ``nn.MultiheadAttention(add_bias_kv=True)`` on ``[L, B, D]`` tokens."""

    def __init__(self, ours: nn.Module, dim: int, heads: int) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, add_bias_kv=True)
        self.attention.load_state_dict(ours.state_dict())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        sequence = tokens.transpose(0, 1)
        return self.attention(sequence, sequence, sequence, need_weights=False)[0].transpose(0, 1)


def bench_encoder(device: str, half: torch.dtype, runs: int) -> None:
    import copy

    from a2i_plugins.imagebind import ImageBindAudioEncoder
    from a2i_plugins.imagebind._model import ImageBindAudio

    torch.manual_seed(0)
    model = ImageBindAudio().eval().to(device)
    baseline = copy.deepcopy(model)
    for block in baseline.modality_trunks["audio"].blocks:
        block.attn = _SequenceFirstAttention(block.attn, model.config.embed_dim, model.config.num_heads)
    baseline = baseline.to(device)
    halved = copy.deepcopy(model).to(half)
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal((2, 10 * 44_100))).astype(np.float32)  # a 10 s stereo clip at 44.1 kHz
    encoder = ImageBindAudioEncoder()
    params = {"clips": 3, "channels": "first"}
    resampled = resample(samples.T, 44_100, 16_000, "torchaudio").T
    fbank = encoder.frontend(resampled, params).to(device)
    with torch.inference_mode():
        torch.testing.assert_close(model(fbank), baseline(fbank), rtol=2e-3, atol=2e-3)
        embedding, embedding_half = model(fbank), halved(fbank.to(half)).float()
        resampling = _timed(lambda: resample(samples.T, 44_100, 16_000, "torchaudio"), runs, "cpu")
        frontend = _timed(lambda: encoder.frontend(resampled, params), runs, device)
        ours = _timed(lambda: model(fbank), runs, device)
        reference = _timed(lambda: baseline(fbank), runs, device)
        in_half = _timed(lambda: halved(fbank.to(half)), runs, device)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    cosine = torch.nn.functional.cosine_similarity(embedding, embedding_half).min()
    half_name = str(half).removeprefix("torch.")
    print(f"ImageBind audio ({parameters / 1e6:.1f} M parameters, {device}), a 10 s 44.1 kHz stereo clip, 3 windows:")
    print(f"  torchaudio resampling {resampling * 1e3:8.1f} ms  (CPU)")
    print(f"  fbank frontend        {frontend * 1e3:8.1f} ms")
    print(f"  model float32 (SDPA)  {ours * 1e3:8.1f} ms  -> {(resampling + frontend + ours) * 1e3:.1f} ms per clip")
    print(f"  model float32 (MHA)   {reference * 1e3:8.1f} ms  (the official attention; ours is "
          f"{reference / ours:.2f}x as fast)")
    print(f"  model {half_name:<9}       {in_half * 1e3:8.1f} ms  (the engine runs encoders in float32: "
          f"{ours / in_half:.2f}x the time of {half_name}, {(ours - in_half) * 1e3:+.1f} ms per clip)")
    print(f"  {half_name} vs float32 embeddings: norm {embedding_half.norm(dim=-1).mean():.3f} vs "
          f"{embedding.norm(dim=-1).mean():.3f}, lowest cosine {cosine:.5f}")


def _real_size_unclip(device: str, dtype: torch.dtype) -> object:
    """SD 2.1 unCLIP ("h") as published (configs), with random weights and a tiny tokenizer."""
    from _unclip_fixtures import tiny_clip_tokenizer
    from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, StableUnCLIPImg2ImgPipeline, UNet2DConditionModel
    from diffusers.pipelines.stable_diffusion.stable_unclip_image_normalizer import StableUnCLIPImageNormalizer
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    def random(module: nn.Module) -> nn.Module:
        module = module.to_empty(device=device)
        with torch.no_grad():
            for parameter in module.parameters():
                parameter.normal_(0, 0.02)
            for name, buffer in module.named_buffers():
                if name.endswith("position_ids"):
                    buffer.copy_(torch.arange(buffer.shape[-1]).expand_as(buffer))
        return module if dtype == torch.float32 else module.to(dtype)

    with torch.device("meta"):
        unet = UNet2DConditionModel(
            sample_size=96, block_out_channels=(320, 640, 1280, 1280), attention_head_dim=(5, 10, 20, 20),
            cross_attention_dim=1024, use_linear_projection=True, class_embed_type="projection",
            projection_class_embeddings_input_dim=2048,
        )
        vae = AutoencoderKL(
            block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, layers_per_block=2, sample_size=768,
        )
        text = CLIPTextModel(CLIPTextConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                                            num_attention_heads=16, projection_dim=512, hidden_act="gelu"))
        image = CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16, patch_size=14,
            projection_dim=1024, hidden_act="gelu"))
    pipeline = StableUnCLIPImg2ImgPipeline(
        feature_extractor=CLIPImageProcessor(), image_encoder=random(image),
        image_normalizer=StableUnCLIPImageNormalizer(embedding_dim=1024),
        image_noising_scheduler=DDPMScheduler(beta_schedule="squaredcos_cap_v2"), tokenizer=tiny_clip_tokenizer(),
        text_encoder=random(text), unet=random(unet), vae=random(vae),
        scheduler=DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                prediction_type="v_prediction", clip_sample=False, set_alpha_to_one=False,
                                steps_offset=1),
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline.to(device)


def bench_unclip(device: str, dtype: torch.dtype, runs: int, size: int, steps: int) -> None:
    from a2i_plugins.unclip import UnclipGenerator
    from a2i_plugins.unclip._sampling import run
    from a2i_studio.core import RunContext, resolve_params

    start = time.perf_counter()
    pipeline = _real_size_unclip(device, dtype)
    print(f"SD 2.1 unCLIP, real size, random weights (built in {time.perf_counter() - start:.0f} s):")
    ctx = RunContext(device, str(dtype).removeprefix("torch."), (0,))
    params = resolve_params(UnclipGenerator.params, {"width": size, "height": size, "steps": steps,
                                                     "preview_every": 0}, "unclip")
    embedding = torch.randn(1024) * 0.6
    embeds = embedding[None].to(device, dtype)
    with torch.inference_mode():
        ours = _timed(lambda: run(pipeline, embedding, params, ctx), runs, device)
        plain = _timed(lambda: pipeline(image_embeds=embeds, height=size, width=size, num_inference_steps=steps,
                                        generator=torch.Generator().manual_seed(0)), runs, device)
    print(f"  {size} x {size}, {steps} steps, guidance 10, {device}, {dtype}:")
    print(f"  unclip generator      {ours:8.2f} s per image  ({ours / steps:.2f} s per step)")
    print(f"  diffusers defaults    {plain:8.2f} s per image  ({plain / steps:.2f} s per step; ours takes "
          f"{ours / plain:.2f}x its time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after a warm-up (median reported)")
    parser.add_argument("--quick", action=argparse.BooleanOptionalAction, default=None,
                        help="256 px, 2 steps (default on the CPU)")
    parser.add_argument("--skip-unclip", action="store_true", help="time the encoder only")
    args = parser.parse_args()
    dtype = torch.float32 if args.device == "cpu" else torch.float16
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, device {args.device}")
    bench_encoder(args.device, torch.bfloat16 if args.device == "cpu" else torch.float16, args.runs)
    if not args.skip_unclip:
        quick = args.device == "cpu" if args.quick is None else args.quick
        bench_unclip(args.device, dtype, max(1, args.runs - 2) if quick else args.runs, 256 if quick else 768,
                     2 if quick else 20)


if __name__ == "__main__":
    main()

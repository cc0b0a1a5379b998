"""One generation run: embeddings from the chain (optionally mixed with a prompt), seeded latents, previews.

Images are made one at a time, each from its own CPU generator, so image ``i``
depends on ``seeds[i]`` alone, bit for bit, whatever ``n`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from PIL import Image

from a2i_plugins.diffusion.families import Family
from a2i_studio.core import RunContext
from a2i_studio.errors import ParamError

__all__ = ["conditioning", "encode_text", "latents_to_preview", "run"]


def encode_text(pipeline: Any, family: Family, prompt: str) -> dict[str, torch.Tensor]:
    """Encode ``prompt`` with the pipeline's own text encoder(s), batch of one.

    Returns:
        ``{"prompt_embeds": [1, 77, D]}`` for SD 1.x/2.x; for SD3 also ``pooled_prompt_embeds`` ``[1, 2048]``
        (the sequence is ``[1, 333, 4096]``: 77 CLIP tokens + 256 T5 tokens).
    """
    device = pipeline._execution_device
    if family.key == "sd3":
        embeds, _, pooled, _ = pipeline.encode_prompt(
            prompt, None, None, device=device, do_classifier_free_guidance=False, max_sequence_length=256
        )
        return {"prompt_embeds": embeds, "pooled_prompt_embeds": pooled}
    embeds, _ = pipeline.encode_prompt(prompt, device, 1, False)
    return {"prompt_embeds": embeds}


def conditioning(pipeline: Any, family: Family, value: Any, params: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The pipeline's embedding arguments: the chain's value, mixed with ``prompt`` by ``prompt_weight``.

    ``prompt_weight`` 0 keeps the audio embedding, 1 replaces it by the prompt's; the negative
    prompt (empty by default) is encoded as text.
    """
    dtype = pipeline.text_encoder.dtype
    device = pipeline._execution_device
    if family.key == "sd3":
        audio = {
            "prompt_embeds": value["sequence"][None],
            "pooled_prompt_embeds": value["pooled"][None],
        }
    else:
        audio = {"prompt_embeds": value[None]}
    audio = {key: tensor.to(device, dtype) for key, tensor in audio.items()}
    weight = params["prompt_weight"] if params["prompt"] else 0.0
    if weight > 0:
        text = encode_text(pipeline, family, params["prompt"])
        audio = {key: torch.lerp(tensor, text[key].to(dtype), weight) for key, tensor in audio.items()}
    negative = encode_text(pipeline, family, params["negative_prompt"])
    return {**audio, **{f"negative_{key}": tensor.to(dtype) for key, tensor in negative.items()}}


def latents_to_preview(latents: torch.Tensor, family: Family) -> Image.Image:
    """A cheap preview of the first latent: a fitted linear map from latent channels to RGB."""
    factors = torch.tensor(family.latent_rgb, dtype=torch.float32)
    rgb = torch.einsum("chw,cr->hwr", latents[0].float().cpu(), factors[:-1]) + factors[-1]
    pixels = ((rgb + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8)
    return Image.fromarray(pixels.numpy(), "RGB")


@torch.no_grad()
def run(pipeline: Any, family: Family, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image.Image]:
    """Make one image per seed of ``ctx``, reporting every step and honouring cancel.

    Raises:
        ParamError: If width or height is not a multiple of the model's latent patch size.
        Cancelled: If the user cancelled (raised by ``ctx.report`` between steps).
    """
    width, height, every = params["width"], params["height"], params["preview_every"]
    denoiser = pipeline.transformer if family.key == "sd3" else pipeline.unet
    multiple = pipeline.vae_scale_factor * getattr(denoiser.config, "patch_size", 1)
    for name, size in (("width", width), ("height", height)):
        if size % multiple:
            raise ParamError(f"Parameter {name} got {size}: use a multiple of {multiple} for {family.key}.")
    # 1. The same embeddings serve every image.
    embeds = conditioning(pipeline, family, value, params)
    shape = (1, denoiser.config.in_channels, height // pipeline.vae_scale_factor, width // pipeline.vae_scale_factor)
    images = []
    for index, generator in enumerate(ctx.cpu_generators()):
        # 2. Draw the starting noise on the CPU, so a seed gives the same image on any device.
        latents = torch.randn(shape, generator=generator, dtype=torch.float32).to(pipeline._execution_device)

        def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any], index: int = index) -> dict:
            # Some schedulers (PNDM) run more model calls than steps; count what the pipeline runs.
            per_image, done = pipe.num_timesteps, step + 1
            preview = None
            if every and done % every == 0 and done < per_image:
                preview = latents_to_preview(tensors["latents"], family)
            stage = f"image {index + 1} of {len(ctx.seeds)}: step {done}"
            ctx.report(index * per_image + done, per_image * len(ctx.seeds), stage, preview)
            return {}

        # 3. Denoise and decode; the generator also drives any noise the scheduler adds.
        result = pipeline(
            **embeds,
            latents=latents.to(embeds["prompt_embeds"].dtype),
            generator=generator,
            num_inference_steps=params["steps"],
            guidance_scale=params["guidance"],
            width=width,
            height=height,
            callback_on_step_end=on_step_end,
            output_type="pil",
        )
        images.append(result.images[0])
    return images

"""One generation run: embeddings from the chain (optionally mixed with a prompt), seeded latents, previews.

Images are made one at a time, each from its own CPU generator, so image ``i``
depends on ``seeds[i]`` alone, bit for bit, whatever ``n`` is.

:func:`denoise_from` starts a picture from another one instead (a video frame
from the frame before it: the ``previous`` continuity): the start picture is
encoded by the VAE and noised ``strength`` of the way into the schedule, as
diffusers' image-to-image pipelines do, then denoised for the rest of the steps
under the frame's own conditioning. It serves Stable Diffusion 1.x/2.x (text
states) and SD 2.1 unCLIP (text states plus the noised image embedding as the
U-Net's class labels), built from the loaded pipeline's own parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from PIL import Image

from a2i_plugins.diffusion.families import Family
from a2i_studio.core import RunContext
from a2i_studio.errors import ParamError

__all__ = ["conditioning", "denoise_from", "encode_text", "latent_shape", "latents_to_preview", "run"]


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


def latent_shape(pipeline: Any, family: Family, params: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """The shape of one image's starting latents, ``[1, channels, height / f, width / f]``."""
    denoiser = pipeline.transformer if family.key == "sd3" else pipeline.unet
    scale = pipeline.vae_scale_factor
    return (1, denoiser.config.in_channels, params["height"] // scale, params["width"] // scale)


@torch.no_grad()
def run(pipeline: Any, family: Family, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image.Image]:
    """Make one image per seed of ``ctx``, reporting every step and honouring cancel.

    A video frame (``ctx.frame``) may bring its own starting noise (``drift``) or the
    previous frame to start from (``previous``, U-Net families only).

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
    shape = latent_shape(pipeline, family, params)
    frame = ctx.frame
    images = []
    for index, generator in enumerate(ctx.cpu_generators()):
        if frame is not None and frame.previous is not None:  # a video frame that starts from the one before
            images.append(denoise_from(
                pipeline, frame.previous.resize((width, height)), strength=frame.strength, steps=params["steps"],
                guidance=params["guidance"], text=embeds["prompt_embeds"], negative=embeds["negative_prompt_embeds"],
                generator=generator, ctx=ctx, family=family, preview_every=every,
            ))
            continue
        # 2. Draw the starting noise on the CPU, so a seed gives the same image on any device; a video frame's
        # own draw takes its place (the generator has still moved past it, for the scheduler's noise).
        latents = torch.randn(shape, generator=generator, dtype=torch.float32)
        if frame is not None and frame.noise is not None:
            latents = frame.noise.reshape(shape)
        latents = latents.to(pipeline._execution_device)

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


@torch.no_grad()
def denoise_from(
    pipeline: Any,
    start: Image.Image,
    *,
    strength: float,
    steps: int,
    guidance: float,
    text: torch.Tensor,
    negative: torch.Tensor | None,
    generator: torch.Generator,
    ctx: RunContext,
    family: Family,
    preview_every: int = 0,
    class_labels: torch.Tensor | None = None,
) -> Image.Image:
    """Denoise ``start`` after noising it ``strength`` of the way (1: from pure noise, in effect).

    Args:
        pipeline: A loaded U-Net pipeline (its VAE, U-Net, scheduler and image processor are used).
        start: The picture to start from; resized to the pipeline's working size is up to the caller.
        strength: Share of the schedule to run, 0-1; at least one step always runs.
        steps: Steps of the full schedule.
        guidance: Classifier-free guidance scale (above 1 with ``negative``: guided).
        text: Text states ``[1, 77, D]`` on the pipeline's device.
        negative: Negative text states, or ``None`` for no guidance.
        generator: The seeded CPU generator: it draws the VAE posterior's sample, the noise added to it,
            then the scheduler's noise (the order of diffusers' ``StableDiffusionImg2ImgPipeline``).
        ctx: Reports each step and honours cancel.
        family: For the preview's latent-to-RGB map.
        preview_every: A preview every N steps (0: none).
        class_labels: unCLIP's noised image embedding ``[1, E]``; ``None`` for plain SD.

    Returns:
        The new picture, the size of ``start``.
    """
    device, vae, unet, scheduler = pipeline._execution_device, pipeline.vae, pipeline.unet, pipeline.scheduler
    # 1. The part of the schedule to run: the last `strength` of it, as diffusers' image-to-image counts it.
    scheduler.set_timesteps(steps, device=device)
    skipped = steps - min(max(int(steps * strength), 1), steps)
    timesteps = scheduler.timesteps[skipped * scheduler.order :]
    if hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(skipped * scheduler.order)
    # 2. The start picture in latent space (a draw from the VAE's posterior), noised to the first of those steps.
    pixels = pipeline.image_processor.preprocess(start, height=start.height, width=start.width)
    posterior = vae.encode(pixels.to(device, vae.dtype)).latent_dist
    sample = torch.randn(posterior.mean.shape, generator=generator, dtype=torch.float32).to(device, vae.dtype)
    latents = (posterior.mean + posterior.std * sample) * vae.config.scaling_factor
    noise = torch.randn(latents.shape, generator=generator, dtype=torch.float32).to(device, latents.dtype)
    latents = scheduler.add_noise(latents, noise, timesteps[:1])
    guided = guidance > 1.0 and negative is not None
    states = torch.cat([negative, text]) if guided and negative is not None else text
    labels = class_labels
    if labels is not None and guided:
        labels = torch.cat([torch.zeros_like(labels), labels])
    extra = pipeline.prepare_extra_step_kwargs(generator, 0.0)
    # 3. Denoise the rest of the way, then decode.
    for done, timestep in enumerate(timesteps, start=1):
        model_input = scheduler.scale_model_input(torch.cat([latents] * 2) if guided else latents, timestep)
        prediction = unet(model_input, timestep, encoder_hidden_states=states, class_labels=labels).sample
        if guided:
            unguided, conditioned = prediction.chunk(2)
            prediction = unguided + guidance * (conditioned - unguided)
        latents = scheduler.step(prediction, timestep, latents, **extra).prev_sample
        preview = latents_to_preview(latents, family) if preview_every and done % preview_every == 0 else None
        ctx.report(done, len(timesteps), f"from the previous frame: step {done}", preview)
    decoded = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor).sample
    image: Image.Image = pipeline.image_processor.postprocess(decoded, output_type="pil")[0]
    return image

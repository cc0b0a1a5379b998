"""One unCLIP run: the chain's embedding (mixed with a reference image), a prompt, seeded latents, previews.

Images are made one at a time, each from its own CPU generator, which draws
both the starting latents and the noise unCLIP adds to the image embedding, so
image ``i`` depends on ``seeds[i]`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from PIL import Image, UnidentifiedImageError

from a2i_plugins.diffusion.sampling import denoise_from, latents_to_preview
from a2i_plugins.unclip._family import UNCLIP
from a2i_studio.core import RunContext, mix_embeddings
from a2i_studio.errors import ParamError

__all__ = ["encode_image", "image_embedding", "latent_shape", "run", "text_embeddings"]


def encode_image(pipeline: Any, image: Image.Image) -> torch.Tensor:
    """``image`` embedded by the pipeline's own CLIP image encoder: ``[1, 1024]``, un-normalised, as unCLIP takes it."""
    pixels = pipeline.feature_extractor(images=image.convert("RGB"), return_tensors="pt").pixel_values
    encoder = pipeline.image_encoder
    embeds: torch.Tensor = encoder(pixels.to(pipeline._execution_device, encoder.dtype)).image_embeds
    return embeds


def image_embedding(pipeline: Any, value: torch.Tensor, params: Mapping[str, Any]) -> torch.Tensor:
    """The U-Net's image embedding ``[1, 1024]``: the chain's value times ``embedding_scale``, mixed with ``image``.

    With a reference image the result is ``(1 - image_weight) * chain + image_weight * image``
    (:func:`~a2i_studio.core.mix_embeddings`).

    Raises:
        ParamError: If the reference image cannot be read.
    """
    device = pipeline._execution_device
    embedding = value.to(device, torch.float32)[None] * params["embedding_scale"]
    if params["image"]:
        path = Path(params["image"]).expanduser()
        try:
            with Image.open(path) as opened:
                reference = encode_image(pipeline, opened).float()
        except (OSError, UnidentifiedImageError):
            raise ParamError(f"Parameter image got {str(path)!r}: the file cannot be read as an image.") from None
        weight = params["image_weight"]
        embedding = mix_embeddings([embedding, reference], [1.0 - weight, weight])
    return embedding.to(pipeline.unet.dtype)


def text_embeddings(pipeline: Any, params: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The text states for cross-attention, and the negative ones when guidance is on.

    ``prompt_weight`` moves the prompt's states from the empty prompt's (0) to its own (1).
    """
    device = pipeline._execution_device
    guided = params["guidance"] > 1.0
    negative_prompt = params["negative_prompt"] or None
    prompt_embeds, negative = pipeline.encode_prompt(params["prompt"], device, 1, guided, negative_prompt)
    if params["prompt"] and params["prompt_weight"] < 1.0:
        empty, _ = pipeline.encode_prompt("", device, 1, False)
        prompt_embeds = torch.lerp(empty, prompt_embeds, params["prompt_weight"])
    return prompt_embeds, negative


def latent_shape(pipeline: Any, params: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """The shape of one image's starting latents, ``[1, channels, height / f, width / f]``."""
    scale = pipeline.vae_scale_factor
    return (1, pipeline.unet.config.in_channels, params["height"] // scale, params["width"] // scale)


def run(pipeline: Any, value: torch.Tensor, params: Mapping[str, Any], ctx: RunContext) -> list[Image.Image]:
    """Make one image per seed of ``ctx``, reporting every model call and honouring cancel.

    A video frame (``ctx.frame``) may bring its own starting noise (``drift``) or the
    previous frame to start from (``previous``).

    Raises:
        ParamError: If width or height is not a multiple of the VAE's scale factor, or the image is unreadable.
        Cancelled: If the user cancelled (raised by ``ctx.report`` between steps).
    """
    width, height, steps, every = params["width"], params["height"], params["steps"], params["preview_every"]
    scale = pipeline.vae_scale_factor
    for name, size in (("width", width), ("height", height)):
        if size % scale:
            raise ParamError(f"Parameter {name} got {size}: use a multiple of {scale} for unclip.")
    # 1. The same conditioning serves every image.
    with torch.inference_mode():
        embeds = image_embedding(pipeline, value, params)
        prompt_embeds, negative_embeds = text_embeddings(pipeline, params)
    pipeline.scheduler.set_timesteps(steps)
    calls = len(pipeline.scheduler.timesteps)  # a multistep sampler may call the U-Net more than `steps` times
    total = calls * len(ctx.seeds)
    shape = latent_shape(pipeline, params)
    frame = ctx.frame
    images = []
    for index, generator in enumerate(ctx.cpu_generators()):
        if frame is not None and frame.previous is not None:  # a video frame that starts from the one before
            with torch.inference_mode():
                labels = pipeline.noise_image_embeddings(embeds, params["noise_level"], generator=generator)
            images.append(denoise_from(
                pipeline, frame.previous.resize((width, height)), strength=frame.strength, steps=steps,
                guidance=params["guidance"], text=prompt_embeds, negative=negative_embeds, generator=generator,
                ctx=ctx, family=UNCLIP, preview_every=every, class_labels=labels,
            ))
            continue
        # 2. Draw the starting noise on the CPU, so a seed gives the same image on any device; a video frame's
        # own draw takes its place (the generator has still moved past it, for the embedding's noise).
        latents = torch.randn(shape, generator=generator, dtype=torch.float32)
        if frame is not None and frame.noise is not None:
            latents = frame.noise.reshape(shape)
        calls_done = [0]

        def on_step(step: int, timestep: Any, step_latents: torch.Tensor, index: int = index,
                    calls_done: list[int] = calls_done) -> None:
            calls_done[0] += 1
            done = calls_done[0]
            preview = None
            if every and done % every == 0 and done < calls:
                preview = latents_to_preview(step_latents, UNCLIP)
            ctx.report(index * calls + done, total, f"image {index + 1} of {len(ctx.seeds)}: step {done}", preview)

        # 3. Denoise and decode; the generator also draws the noise added to the image embedding.
        result = pipeline(
            image_embeds=embeds,
            prompt_embeds=prompt_embeds,
            negative_prompt_embeds=negative_embeds,
            noise_level=params["noise_level"],
            latents=latents.to(pipeline._execution_device, prompt_embeds.dtype),
            generator=generator,
            num_inference_steps=steps,
            guidance_scale=params["guidance"],
            width=width,
            height=height,
            callback=on_step,
            callback_steps=1,
            output_type="pil",
        )
        images.append(result.images[0])
    return images

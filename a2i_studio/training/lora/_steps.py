"""The pieces of one training step: batches, latents, conditioning, the denoising loss, and sample images.

Everything random in a step is drawn from a generator seeded by ``(seed,
micro-batch index)``, so a run resumed from a checkpoint takes exactly the
steps an uninterrupted run would have taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn import functional

from a2i_studio.errors import A2IError
from a2i_studio.training import epoch_permutation
from a2i_studio.training.lora._data import LoraExample, fit_image
from a2i_studio.training.lora._model import BaseModel
from a2i_studio.training.lora._settings import LoraSettings

__all__ = ["Conditioning", "LatentSource", "TrainingDiverged", "denoising_loss", "epoch_batches", "render_samples",
           "step_generator"]

DIVERGED_ADVICE = (
    "lower the learning rate, use mixed precision bf16 or no instead of fp16, and check the base model "
    "(a half-precision model with a broken VAE makes black images)"
)


class TrainingDiverged(A2IError):
    """The loss or a sample became NaN or infinite; nothing after the last checkpoint was saved."""


def step_generator(*key: int) -> torch.Generator:
    """A CPU generator seeded from ``key`` alone (``(seed, micro-batch)``, ``(seed, "eval")``, ...)."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1)[0]))


def epoch_batches(seed: int, epoch: int, buckets: Sequence[tuple[int, int]], batch_size: int) -> list[list[int]]:
    """The batches of one epoch: example indices shuffled, grouped by bucket, chunked, the chunks shuffled.

    The number of batches is the same every epoch; their order depends on ``(seed, epoch)`` only.
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for index in epoch_permutation(seed, epoch, len(buckets)):
        groups.setdefault(buckets[index], []).append(index)
    batches = [group[start:start + batch_size] for group in groups.values()
               for start in range(0, len(group), batch_size)]
    order = np.random.default_rng([seed, epoch, 1]).permutation(len(batches))
    return [batches[int(index)] for index in order]


class LatentSource:
    """VAE latents of the examples, fitted to their buckets: encoded once (cached) or at every step.

    A cache keeps the latent distribution's mean and standard deviation of each
    image, and of its mirror image when flips are on, and samples from them.
    """

    def __init__(self, model: BaseModel, examples: Sequence[LoraExample], buckets: Sequence[tuple[int, int]],
                 settings: LoraSettings) -> None:
        self._model, self._examples, self._buckets, self._settings = model, examples, buckets, settings
        self._cache: dict[tuple[int, bool], tuple[torch.Tensor, torch.Tensor]] = {}
        self._crop = [float(np.random.default_rng([settings.seed, index, 2]).random())
                      for index in range(len(examples))]

    def fill_cache(self, report: Any) -> None:
        """Encode every image (and its mirror image) now; ``report(done, total)`` after each."""
        flips = (False, True) if self._settings.random_flip else (False,)
        for index in range(len(self._examples)):
            for flipped in flips:
                distribution = self._encode(index, flipped)
                self._cache[index, flipped] = (distribution.mean.cpu(), distribution.std.cpu())
            report(index + 1, len(self._examples))

    def batch(self, indices: Sequence[int], generator: torch.Generator) -> torch.Tensor:
        """Scaled latents of ``indices``, flipped at random when flips are on, on the VAE's device."""
        rows = []
        for index in indices:
            flipped = self._settings.random_flip and bool(torch.rand((), generator=generator) < 0.5)
            if (index, flipped) in self._cache:
                mean, std = self._cache[index, flipped]
            else:
                distribution = self._encode(index, flipped)
                mean, std = distribution.mean.cpu(), distribution.std.cpu()
            rows.append(mean + std * torch.randn(mean.shape, generator=generator))
        vae = self._model.pipeline.vae
        return torch.cat(rows).to(vae.device) * vae.config.scaling_factor

    @torch.no_grad()
    def _encode(self, index: int, flipped: bool) -> Any:
        image = fit_image(self._examples[index].image, self._buckets[index], self._settings.center_crop,
                          self._crop[index])
        if flipped:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None]
        vae = self._model.pipeline.vae
        return vae.encode(pixels.to(vae.device, vae.dtype)).latent_dist


class Conditioning:
    """What each example conditions the U-Net with: text states, and unCLIP's image embedding.

    Args:
        model: The base model.
        captions: Each example's caption (captions conditioning; ``""`` when conditioning on audio).
        audio: Each example's chain output (audio conditioning), or ``None``.
        image_embeds: Each example's image embedding (unCLIP), or ``None``.
        train_text_encoder: Whether captions are encoded with gradients at every step.
    """

    def __init__(self, model: BaseModel, captions: Sequence[str], audio: torch.Tensor | None,
                 image_embeds: torch.Tensor | None, train_text_encoder: bool) -> None:
        self._model, self._captions, self._audio, self._image_embeds = model, captions, audio, image_embeds
        self._train_text = train_text_encoder
        self._cache: dict[str, torch.Tensor] = {}

    def encode_text(self, captions: Sequence[str]) -> torch.Tensor:
        """Text-encoder states ``[len(captions), 77, D]`` (cached when the text encoder is frozen)."""
        if self._train_text:
            return self._run_text_encoder(list(captions))
        missing = sorted(set(captions) - set(self._cache))
        if missing:
            with torch.no_grad():
                self._cache.update(zip(missing, self._run_text_encoder(missing), strict=True))
        return torch.stack([self._cache[caption] for caption in captions])

    def _run_text_encoder(self, captions: list[str]) -> torch.Tensor:
        pipeline = self._model.pipeline
        tokens = pipeline.tokenizer(captions, padding="max_length", max_length=pipeline.tokenizer.model_max_length,
                                    truncation=True, return_tensors="pt")
        states: torch.Tensor = pipeline.text_encoder(tokens.input_ids.to(pipeline.text_encoder.device))[0]
        return states

    def batch(self, indices: Sequence[int], dropped: Sequence[bool]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(encoder_hidden_states, image embeddings or None)`` of ``indices``; dropped rows get the empty ones."""
        embeds = None
        if self._image_embeds is not None or (self._audio is not None and self._model.unclip):
            source = self._audio if self._audio is not None else self._image_embeds
            assert source is not None
            embeds = torch.stack([torch.zeros_like(source[i]) if drop else source[i]
                                  for i, drop in zip(indices, dropped, strict=True)])
        if self._audio is not None and not self._model.unclip:
            empty = self.encode_text([""])[0].cpu().float()
            states = torch.stack([empty if drop else self._audio[i] for i, drop in zip(indices, dropped, strict=True)])
        else:
            states = self.encode_text(["" if drop else self._captions[i] for i, drop in zip(indices, dropped,
                                                                                             strict=True)])
        return states, embeds


def denoising_loss(model: BaseModel, unet: Any, latents: torch.Tensor, states: torch.Tensor,
                   image_embeds: torch.Tensor | None, noise_offset: float, generator: torch.Generator) -> torch.Tensor:
    """MSE between the U-Net's prediction and the scheduler's target (noise, or velocity) at random timesteps."""
    pipeline = model.pipeline
    scheduler = pipeline.scheduler
    device = latents.device
    noise = torch.randn(latents.shape, generator=generator)
    if noise_offset:
        noise += noise_offset * torch.randn((*latents.shape[:2], 1, 1), generator=generator)
    noise = noise.to(device)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (len(latents),), generator=generator)
    timesteps = timesteps.to(device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    class_labels = None
    if image_embeds is not None:
        class_labels = pipeline.noise_image_embeddings(image_embeds.to(device), 0, generator=generator)
    prediction = unet(noisy.to(unet.dtype), timesteps, encoder_hidden_states=states.to(device, unet.dtype),
                      class_labels=class_labels).sample
    velocity = scheduler.config.prediction_type == "v_prediction"
    target = scheduler.get_velocity(latents, noise, timesteps) if velocity else noise
    return functional.mse_loss(prediction.float(), target.float())


@torch.no_grad()
def render_samples(model: BaseModel, requests: Sequence[dict[str, Any]], settings: LoraSettings,
                   size: tuple[int, int]) -> list[Image.Image]:
    """One image per request (pipeline keyword arguments: a prompt or prompt states, unCLIP's image_embeds).

    Raises:
        TrainingDiverged: If an image comes out NaN (the black-image failure of half precision).
    """
    pipeline = model.pipeline
    images = []
    for index, request in enumerate(requests):
        result = pipeline(**request, num_inference_steps=settings.sample_steps, width=size[0], height=size[1],
                          generator=torch.Generator().manual_seed(settings.seed + index), output_type="pt")
        pixels = result.images
        if not torch.isfinite(pixels).all():
            raise TrainingDiverged(f"Sample {index + 1} came out NaN (a black image); {DIVERGED_ADVICE}.")
        images.extend(pipeline.image_processor.numpy_to_pil(pipeline.image_processor.pt_to_numpy(pixels.float())))
    return images

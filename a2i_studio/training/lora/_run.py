"""A LoRA's part of a training run: data, base model, LoRA layers, one step, the fixed-noise loss, the saved file.

The run itself (resume, checkpoints, precision, cancel, pause, events) is the
shared template, :class:`a2i_studio.training.LoopTrainer`. A LoRA run counts
optimisation steps: its rounds are ``checkpoint_every`` steps each.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from a2i_studio import config
from a2i_studio.core import Registry, RunContext
from a2i_studio.errors import DatasetError
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun
from a2i_studio.training.lora._audio import audio_chain, encode_clips
from a2i_studio.training.lora._data import bucket_sizes, nearest_bucket, scan_data
from a2i_studio.training.lora._model import add_lora, load_base, lora_state, restore_lora_state, save_lora_file
from a2i_studio.training.lora._settings import LoraSettings
from a2i_studio.training.lora._steps import (
    DIVERGED_ADVICE,
    Conditioning,
    LatentSource,
    TrainingDiverged,
    denoising_loss,
    epoch_batches,
    render_samples,
    step_generator,
)

__all__ = ["LoraLoop"]

_DTYPES = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class LoraLoop(TrainingLoop):
    """Denoising loss of a LoRA on captioned images or audio through a chain.

    Args:
        data: Images with captions, or a paired dataset (see :func:`scan_data`).
        out: The run folder.
        settings: What to train (see :class:`LoraSettings`).
        registry: Where the audio chain's encoder and adapters are found (audio conditioning only).
        run: The accelerator, precision and progress reporting.

    Raises:
        DatasetError: If no image is usable.
    """

    best_by = "fixed_loss"
    round_name = ""

    def __init__(self, data: Path, out: Path, settings: LoraSettings, registry: Registry | None,
                 run: TrainingRun) -> None:
        self.data, self.out, self.settings, self.registry, self.run = data, out, settings, registry, run
        # 1. The data, checked; each image's bucket.
        report = scan_data(data, conditioning=settings.conditioning, template=settings.caption_template,
                           resolution=settings.resolution)
        self.examples = examples = report.examples
        if not examples:
            first = f" First problem: {report.problems[0].message}" if report.problems else ""
            raise DatasetError(f"No usable image in {report.folder} ({report.summary()}).{first}")
        self.bucket_of = [nearest_bucket(example.size, bucket_sizes(settings.resolution, settings.buckets))
                          for example in examples]

        # 2. The base model, what conditions it, and the LoRA layers.
        self.ctx = ctx = RunContext(run.device, "float32", (settings.seed,),
                                    lambda progress: run.report(progress.step, progress.total, progress.stage))
        ctx.report(0, 1, "loading the base model")
        self.model = model = load_base(settings.base, run.device, _DTYPES[run.precision])
        pipeline = model.pipeline
        if pipeline.vae.dtype != torch.float32:
            pipeline.vae.to(torch.float32)  # a half-precision VAE is the usual source of NaN latents
        audio_values = None
        if settings.conditioning == "audio":
            chain = audio_chain(registry, settings.audio_chain, model.family)
            audio_values = encode_clips(chain, [example.audio for example in examples if example.audio], ctx)
        image_embeds = _image_embeds(model, examples) if model.unclip and audio_values is None else None
        captions = [example.caption if settings.conditioning == "captions" else "" for example in examples]
        self.conditioning = Conditioning(model, captions, audio_values, image_embeds, settings.train_text_encoder)
        self.latents = LatentSource(model, examples, self.bucket_of, settings)
        if settings.cache_latents:
            self.latents.fill_cache(lambda done, total: ctx.report(done, total, f"caching latents: {done} of {total}"))
        torch.manual_seed(settings.seed)
        self.parameters = add_lora(model, settings)
        if settings.gradient_checkpointing:
            pipeline.unet.enable_gradient_checkpointing()
            if settings.train_text_encoder:
                pipeline.text_encoder.gradient_checkpointing_enable()

        # 3. Optimiser and schedule over the run's steps.
        from diffusers.optimization import get_scheduler

        self.per_epoch = len(epoch_batches(settings.seed, 0, self.bucket_of, settings.batch_size))
        accumulation = settings.gradient_accumulation
        self.total = settings.max_steps or math.ceil(settings.epochs * self.per_epoch / accumulation)
        optimizer = torch.optim.AdamW(self.parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay)
        self.schedule = get_scheduler(settings.lr_scheduler, optimizer, num_warmup_steps=settings.warmup_steps,
                                      num_training_steps=self.total)
        self.trained = [pipeline.unet, *([pipeline.text_encoder] if settings.train_text_encoder else [])]
        prepared = run.accelerator.prepare(*self.trained, optimizer)
        self.unet, self.optimizer = prepared[0], prepared[-1]

    def rounds(self) -> list[list[list[tuple[int, list[int]]]]]:
        """Steps of ``checkpoint_every``: each step its micro-batches, ``(index, example indices)``."""
        settings = self.settings
        epochs: dict[int, list[list[int]]] = {}

        def micro_batch(micro: int) -> tuple[int, list[int]]:
            epoch = micro // self.per_epoch
            if epoch not in epochs:
                epochs[epoch] = epoch_batches(settings.seed, epoch, self.bucket_of, settings.batch_size)
            return micro, epochs[epoch][micro % self.per_epoch]

        accumulation = settings.gradient_accumulation
        steps = [[micro_batch(micro) for micro in range(step * accumulation, (step + 1) * accumulation)]
                 for step in range(self.total)]
        interval = settings.checkpoint_every or self.total
        return [steps[start : start + interval] for start in range(0, self.total, interval)]

    def train_step(self, step: Step) -> float:
        """Accumulate the step's micro-batches, stop on a non-finite loss, step the optimizer; samples on schedule."""
        settings, accelerator = self.settings, self.run.accelerator
        accumulation = settings.gradient_accumulation
        for module in self.trained:
            module.train()
        step_loss = 0.0
        for micro, batch in step.batch:
            generator = step_generator(settings.seed, micro)
            dropped = [bool(torch.rand((), generator=generator) < settings.caption_dropout) for _ in batch]
            share, share_dropped = list(step.share(batch)), list(step.share(dropped))
            with accelerator.autocast():
                states, embeds = self.conditioning.batch(share, share_dropped)
                loss = denoising_loss(self.model, self.unet, self.latents.batch(share, generator), states, embeds,
                                      settings.noise_offset, generator)
            if not torch.isfinite(loss):
                raise TrainingDiverged(
                    f"Training stopped at step {step.index + 1}: the loss became {float(loss.detach())}; "
                    f"{DIVERGED_ADVICE}. Nothing was saved after the last checkpoint in {self.out / 'checkpoints'}."
                )
            accelerator.backward(loss * step.weight(batch) / accumulation)
            step_loss += float(loss.detach()) / accumulation
        accelerator.clip_grad_norm_(self.parameters, 1.0)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        done = step.index + 1
        if settings.sample_every and done % settings.sample_every == 0 and done < self.total:
            self._samples(done)
        return step_loss

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """The loss on the first batch at fixed noise and timesteps: comparable from step to step."""
        for module in self.trained:
            module.eval()
        settings = self.settings
        generator = step_generator(settings.seed, 2**31 - 1)
        batch = epoch_batches(settings.seed, 0, self.bucket_of, settings.batch_size)[0]
        unet = self.run.accelerator.unwrap_model(self.unet)
        with self.run.accelerator.autocast():
            states, embeds = self.conditioning.batch(batch, [False] * len(batch))
            value = denoising_loss(self.model, unet, self.latents.batch(batch, generator), states, embeds, 0.0,
                                   generator)
        return {"fixed_loss": float(value)}

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        return lora_state(self.model), {"adamw": self.optimizer.state_dict(), "scheduler": self.schedule.state_dict()}

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        restore_lora_state(self.model, weights)
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["adamw"])
            self.schedule.load_state_dict(optimizers["scheduler"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Render the final samples and save the LoRA into the models dir's ``loras/``."""
        self._samples(result.steps)
        settings = self.settings
        name = settings.name or self.data.resolve().name
        record = {"steps": result.steps, "images": len(self.examples), "family": self.model.family,
                  "fixed_loss": result.exported["fixed_loss"], "base": settings.base}
        path = save_lora_file(self.model, settings, config.models_dir() / "loras" / f"{name}.safetensors", record)
        return {"lora": str(path), "images": len(self.examples), "family": self.model.family,
                "first_loss": result.losses[0], "final_loss": result.losses[-1]}

    def _samples(self, step: int) -> None:
        if not self.run.is_main:
            return
        for module in self.trained:
            module.eval()
        requests = _sample_requests(self.model, self.settings, self.conditioning, self.examples, self.registry,
                                    self.ctx)
        with self.run.accelerator.autocast():
            images = render_samples(self.model, requests, self.settings, self.bucket_of[0])
        self.run.samples(step, images)


@torch.no_grad()
def _image_embeds(model: Any, examples: Any) -> torch.Tensor:
    """unCLIP's conditioning in captions mode: each image's own CLIP image embedding."""
    from PIL import Image

    pipeline = model.pipeline
    rows = []
    for example in examples:
        with Image.open(example.image) as image:
            pixels = pipeline.feature_extractor(images=image.convert("RGB"), return_tensors="pt").pixel_values
        encoder = pipeline.image_encoder
        rows.append(encoder(pixels.to(encoder.device, encoder.dtype)).image_embeds[0].float().cpu())
    return torch.stack(rows)


def _sample_requests(model: Any, settings: LoraSettings, conditioning: Conditioning, examples: Any,
                     registry: Registry | None, ctx: RunContext) -> list[dict[str, Any]]:
    """Pipeline arguments of each sample: prompts, or the sample clips' chain outputs."""
    requests: list[dict[str, Any]] = []
    if settings.conditioning == "captions":
        prompts = [text.strip() for text in settings.sample_prompts.split("|") if text.strip()]
        requests = [{"prompt": prompt} for prompt in (prompts or [examples[0].caption])[:4]]
        if model.unclip:
            first = conditioning.batch([0], [False])[1]
            requests = [{**request, "image_embeds": first} for request in requests]
        return requests
    clips = [Path(text.strip()) for text in settings.sample_clips.split("|") if text.strip()] or [examples[0].audio]
    values = encode_clips(audio_chain(registry, settings.audio_chain, model.family), clips[:4], ctx)
    dtype = model.pipeline.unet.dtype
    if model.unclip:
        return [{"prompt": "", "image_embeds": value[None].to(dtype)} for value in values]
    empty = conditioning.encode_text([""]).to(dtype)
    return [{"prompt_embeds": value[None].to(dtype), "negative_prompt_embeds": empty} for value in values]

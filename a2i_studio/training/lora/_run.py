"""One LoRA training run, top to bottom: data, model, state, steps, samples, checkpoints, the saved file."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch

from a2i_studio import config
from a2i_studio.core import CancelToken, Progress, Registry, RunContext
from a2i_studio.errors import Cancelled, DatasetError, ParamError
from a2i_studio.training import TrainingCheckpoint, plot_loss_curves, write_json
from a2i_studio.training.lora._audio import audio_chain, encode_clips
from a2i_studio.training.lora._checkpoints import latest_checkpoint, save_checkpoint
from a2i_studio.training.lora._data import bucket_sizes, nearest_bucket, scan_data
from a2i_studio.training.lora._events import LoraRunEvents, LoraStep
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

__all__ = ["train_lora"]

_MUST_MATCH = ("base", "rank", "alpha", "train_text_encoder", "conditioning", "audio_chain")
_DTYPES = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def train_lora(data: Path, out: Path, settings: LoraSettings, *, registry: Registry | None = None,
               events: LoraRunEvents | None = None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Train a LoRA on ``data``; checkpoints, samples and reports go to ``out``, the LoRA to ``loras/``.

    Args:
        data: Images with captions, or a paired dataset (see :func:`scan_data`).
        out: The run folder; a run started again on it resumes from its latest checkpoint.
        settings: What to train (see :class:`LoraSettings`).
        registry: Where the audio chain's encoder and adapters are found (audio conditioning only).
        events: Who watches the run; ``None`` for nobody.
        cancel: Stops the run before its next step.

    Returns:
        Metrics: ``lora`` (the file), ``steps``, ``first_loss``, ``final_loss``, ``fixed_loss_before`` /
        ``fixed_loss`` (the loss on the first batch at fixed noise, before and after), ``seconds``.

    Raises:
        DatasetError: If no image is usable. ParamError: For settings that cannot work here.
        TrainingDiverged: If the loss or a sample became NaN. Cancelled: If cancelled (checkpoints stay).
    """
    from accelerate import Accelerator
    from diffusers.optimization import get_scheduler

    events = events or LoraRunEvents()
    cancel = cancel or CancelToken()
    if settings.mixed_precision == "fp16" and not torch.cuda.is_available():
        raise ParamError("mixed_precision fp16 needs a CUDA GPU; use bf16 or no on this machine.")
    # 1. The data, checked; each image's bucket.
    report = scan_data(data, conditioning=settings.conditioning, template=settings.caption_template,
                       resolution=settings.resolution)
    examples = report.examples
    if not examples:
        first = f" First problem: {report.problems[0].message}" if report.problems else ""
        raise DatasetError(f"No usable image in {report.folder} ({report.summary()}).{first}")
    buckets = bucket_sizes(settings.resolution, settings.buckets)
    bucket_of = [nearest_bucket(example.size, buckets) for example in examples]

    # 2. The base model, what conditions it, and the LoRA layers.
    accelerator = Accelerator(mixed_precision=settings.mixed_precision)  # accumulation is counted here, below
    device = str(accelerator.device)
    ctx = RunContext(device, "float32", (settings.seed,), events, cancel)
    ctx.report(0, 1, "loading the base model")
    model = load_base(settings.base, device, _DTYPES[settings.mixed_precision])
    pipeline = model.pipeline
    if pipeline.vae.dtype != torch.float32:
        pipeline.vae.to(torch.float32)  # a half-precision VAE is the usual source of NaN latents
    audio_values = None
    if settings.conditioning == "audio":
        chain = audio_chain(registry, settings.audio_chain, model.family)
        audio_values = encode_clips(chain, [example.audio for example in examples if example.audio], ctx)
    image_embeds = _image_embeds(model, examples) if model.unclip and audio_values is None else None
    captions = [example.caption if settings.conditioning == "captions" else "" for example in examples]
    conditioning = Conditioning(model, captions, audio_values, image_embeds, settings.train_text_encoder)
    latents = LatentSource(model, examples, bucket_of, settings)
    if settings.cache_latents:
        latents.fill_cache(lambda done, total: ctx.report(done, total, f"caching latents: {done} of {total}"))
    torch.manual_seed(settings.seed)
    parameters = add_lora(model, settings)
    if settings.gradient_checkpointing:
        pipeline.unet.enable_gradient_checkpointing()
        if settings.train_text_encoder:
            pipeline.text_encoder.gradient_checkpointing_enable()

    # 3. Optimiser and schedule; the state of the latest checkpoint when resuming.
    per_epoch = len(epoch_batches(settings.seed, 0, bucket_of, settings.batch_size))
    accumulation = settings.gradient_accumulation
    total = settings.max_steps or math.ceil(settings.epochs * per_epoch / accumulation)
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    schedule = get_scheduler(settings.lr_scheduler, optimizer, num_warmup_steps=settings.warmup_steps,
                             num_training_steps=total)
    step, losses, fixed_before = 0, [], float("nan")
    found = latest_checkpoint(out) if settings.resume else None
    if found is not None:
        _check_resumable(found[0], found[1].state["settings"], settings)
        checkpoint = found[1]
        restore_lora_state(model, checkpoint.weights)
        optimizer.load_state_dict(checkpoint.optimizers["adamw"])
        schedule.load_state_dict(checkpoint.optimizers["scheduler"])
        torch.set_rng_state(checkpoint.rng_state)
        step, losses, fixed_before = checkpoint.epoch, checkpoint.state["losses"], checkpoint.state["fixed_before"]
    trained = [pipeline.unet, *([pipeline.text_encoder] if settings.train_text_encoder else [])]
    prepared = accelerator.prepare(*trained, optimizer)
    unet, optimizer = prepared[0], prepared[-1]

    def fixed_loss() -> float:
        """The loss on the first batch at fixed noise and timesteps: comparable from step to step."""
        for module in trained:
            module.eval()
        generator = step_generator(settings.seed, 2**31 - 1)
        batch = epoch_batches(settings.seed, 0, bucket_of, settings.batch_size)[0]
        with torch.no_grad(), accelerator.autocast():
            states, embeds = conditioning.batch(batch, [False] * len(batch))
            value = denoising_loss(model, unet, latents.batch(batch, generator), states, embeds, 0.0, generator)
        for module in trained:
            module.train()
        return float(value)

    def save(step: int) -> Path:
        state = {"losses": losses, "fixed_before": fixed_before, "settings": settings.to_json(),
                 "family": model.family}
        folder = save_checkpoint(out, TrainingCheckpoint(
            step, lora_state(model), {"adamw": optimizer.state_dict(), "scheduler": schedule.state_dict()},
            torch.get_rng_state(), state), settings.keep_checkpoints)
        if events.on_checkpoint is not None:
            events.on_checkpoint(step, folder)
        return folder

    def samples(step: int) -> None:
        for module in trained:
            module.eval()
        with accelerator.autocast():
            images = render_samples(model, _sample_requests(model, settings, conditioning, examples, registry, ctx),
                                    settings, bucket_of[0])
        for module in trained:
            module.train()
        for index, image in enumerate(images):
            path = out / "samples" / f"step-{step:06d}-{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            image.save(path)
        if events.on_sample is not None:
            events.on_sample(step, images)
        events(Progress(step, total, f"step {step}/{total}: samples", images[0]))

    # 4. Train: accumulate micro-batches, stop on NaN, checkpoint and sample on schedule.
    if step == 0:
        fixed_before = fixed_loss()
    for module in trained:
        module.train()
    started, first_step = time.monotonic(), step
    try:
        while step < total:
            events.wait_while_paused(cancel)
            cancel.raise_if_cancelled()
            learning_rate = float(schedule.get_last_lr()[0])
            step_loss = 0.0
            for micro in range(step * accumulation, (step + 1) * accumulation):
                batch = epoch_batches(settings.seed, micro // per_epoch, bucket_of, settings.batch_size)[
                    micro % per_epoch]
                generator = step_generator(settings.seed, micro)
                dropped = [bool(torch.rand((), generator=generator) < settings.caption_dropout) for _ in batch]
                with accelerator.autocast():
                    states, embeds = conditioning.batch(batch, dropped)
                    loss = denoising_loss(model, unet, latents.batch(batch, generator), states, embeds,
                                          settings.noise_offset, generator)
                if not torch.isfinite(loss):
                    raise TrainingDiverged(
                        f"Training stopped at step {step + 1}: the loss became {float(loss.detach())}; "
                        f"{DIVERGED_ADVICE}. "
                        f"Nothing was saved after the last checkpoint in {out / 'checkpoints'}."
                    )
                accelerator.backward(loss / accumulation)
                step_loss += float(loss.detach()) / accumulation
            accelerator.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(step_loss)
            elapsed = time.monotonic() - started
            eta = elapsed / (step - first_step) * (total - step)
            if events.on_step is not None:
                events.on_step(LoraStep(step, total, step_loss, learning_rate, eta))
            events(Progress(step, total, f"step {step}/{total}: loss {step_loss:.4f}"))
            if settings.checkpoint_every and step % settings.checkpoint_every == 0 and step < total:
                save(step)
            if settings.sample_every and step % settings.sample_every == 0 and step < total:
                samples(step)
    except Cancelled:
        kept = latest_checkpoint(out)
        where = f"the checkpoint at step {kept[1].epoch} is kept in {kept[0]}" if kept else "no checkpoint was saved"
        raise Cancelled(f"Cancelled at step {step} of {total}; {where}; start again to resume.") from None

    # 5. The final state, samples and file; reports in OUT.
    save(step)
    samples(step)
    name = settings.name or Path(data).resolve().name
    metrics = {
        "steps": step, "images": len(examples), "first_loss": losses[0], "final_loss": losses[-1],
        "fixed_loss_before": fixed_before, "fixed_loss": fixed_loss(),
        "seconds": round(time.monotonic() - started, 2), "family": model.family,
    }
    path = save_lora_file(model, settings, config.models_dir() / "loras" / f"{name}.safetensors",
                          {**metrics, "base": settings.base})
    metrics["lora"] = str(path)
    write_json(out / "metrics.json", {**metrics, "losses": losses})
    per_epoch_steps = max(1, per_epoch // accumulation)
    plot_loss_curves(out / "loss_curve.png", {"train loss": [
        sum(losses[start:start + per_epoch_steps]) / len(losses[start:start + per_epoch_steps])
        for start in range(0, len(losses), per_epoch_steps)]}, title="LoRA training loss per epoch")
    return metrics


def _check_resumable(folder: Path, saved: dict[str, Any], settings: LoraSettings) -> None:
    current = settings.to_json()
    for name in _MUST_MATCH:
        if saved.get(name) != current[name]:
            raise ParamError(
                f"The checkpoint {folder} was trained with {name} {saved.get(name)!r}, not {current[name]!r}; "
                f"use the same {name}, another output folder, or resume off."
            )


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

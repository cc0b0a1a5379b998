"""The SounDiff training loop: U-Net (LoRA or full) on ImageBind embeddings, resumable, with samples.

The pairs' audio embeddings and image latents are computed once, before
training, since neither ImageBind nor the VAE is trained.

Everything random is drawn from generators seeded by ``(seed, epoch, step)``,
so a run resumed from its checkpoint takes exactly the steps an uninterrupted
run would have. ``accelerate`` places the U-Net and the batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.nn import functional

from a2i_plugins.diffusion.loading import resolve_source
from a2i_plugins.unclip._components import UnclipGenerator
from a2i_plugins.unclip._family import UNCLIP
from a2i_plugins.unclip._loading import load_unclip
from a2i_plugins.unclip._sampling import run
from a2i_studio import config
from a2i_studio.core import CancelToken, Encoder, Progress, ProgressCallback, Registry, RunContext, resolve_params
from a2i_studio.datasets import PairedDataset, read_dataset
from a2i_studio.errors import DatasetError, ParamError
from a2i_studio.training import (
    TrainingCheckpoint,
    epoch_permutation,
    load_training_checkpoint,
    plot_loss_curves,
    save_training_checkpoint,
    write_json,
)

__all__ = ["denoising_loss", "encode_pairs", "fit"]


def _imagebind(registry: Registry) -> Encoder:
    encoder = registry.get("encoder", "imagebind")
    if not isinstance(encoder, Encoder):
        raise ParamError("The imagebind encoder is not installed; SounDiff training needs its audio embeddings.")
    return encoder


def _pixels(path: Any, resolution: int) -> torch.Tensor:
    """The image resized and centre-cropped to ``resolution``, as ``[3, H, W]`` in -1..1."""
    try:
        with Image.open(path) as image:
            square = ImageOps.fit(image.convert("RGB"), (resolution, resolution), Image.Resampling.BICUBIC)
    except OSError as error:
        raise DatasetError(f"The image {path} cannot be read ({error}); replace it or take its row out.") from None
    array = np.asarray(square, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1)


def encode_pairs(
    registry: Registry, pipeline: Any, dataset: PairedDataset, settings: Mapping[str, Any], ctx: RunContext
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pair's audio embedding ``[N, 1024]`` (times ``embedding_scale``) and image latents ``[N, 4, h, w]``.

    Raises:
        ParamError: If the imagebind encoder is not installed.
        DatasetError: For an unreadable image; AudioError for an unreadable clip.
        WeightsMissing: If the ImageBind weights are missing.
    """
    encoder = _imagebind(registry)
    encoder.load(ctx.device, "float32")
    params = resolve_params(encoder.params, {"clips": settings["clips"]}, encoder.id)
    vae = pipeline.vae
    embeddings, latents = [], []
    for index, item in enumerate(dataset):
        ctx.report(index, len(dataset), f"encoding pair {index + 1} of {len(dataset)}")
        assert item.audio is not None, "the trainer requires an audio file in every row"
        clip = encoder.read(item.audio)
        embedding = encoder.encode(clip.samples, params, ctx)
        embeddings.append(embedding.float() * settings["embedding_scale"])
        pixels = _pixels(item.image, settings["resolution"])[None].to(ctx.device, vae.dtype)
        with torch.no_grad():
            latent = vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
        latents.append(latent[0].float())
    encoder.unload()
    return torch.stack(embeddings), torch.stack(latents)


def _generator(*key: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1)[0]))


def denoising_loss(
    pipeline: Any, unet: Any, latents: torch.Tensor, embeddings: torch.Tensor, text: torch.Tensor,
    noise_level: int, generator: torch.Generator,
) -> torch.Tensor:
    """MSE between the U-Net's prediction and the scheduler's target at random timesteps.

    ``embeddings`` go through unCLIP's own noise augmentation at ``noise_level``, as at
    generation time; the target is the noise (epsilon models) or the velocity (v-prediction).
    """
    scheduler = pipeline.scheduler
    device = latents.device
    noise = torch.randn(latents.shape, generator=generator).to(device)
    steps = scheduler.config.num_train_timesteps
    timesteps = torch.randint(0, steps, (len(latents),), generator=generator).to(device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    class_labels = pipeline.noise_image_embeddings(embeddings, noise_level, generator=generator)
    prediction = unet(noisy, timesteps, encoder_hidden_states=text.expand(len(latents), -1, -1),
                      class_labels=class_labels).sample
    velocity = scheduler.config.prediction_type == "v_prediction"
    target = scheduler.get_velocity(latents, noise, timesteps) if velocity else noise
    return functional.mse_loss(prediction.float(), target.float())


def _trainable(unet: Any, settings: Mapping[str, Any]) -> list[torch.nn.Parameter]:
    unet.requires_grad_(settings["full"])
    if not settings["full"]:
        from peft import LoraConfig

        rank = settings["lora_rank"]
        unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian",
                                    target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
    return [parameter for parameter in unet.parameters() if parameter.requires_grad]


def _weights(unet: Any, full: bool) -> dict[str, torch.Tensor]:
    if full:
        return dict(unet.state_dict())
    from peft.utils import get_peft_model_state_dict

    return dict(get_peft_model_state_dict(unet))


def _restore(unet: Any, weights: dict[str, torch.Tensor], full: bool) -> None:
    if full:
        unet.load_state_dict(weights)
    else:
        from peft.utils import set_peft_model_state_dict

        set_peft_model_state_dict(unet, weights)


def _save_result(pipeline: Any, unet: Any, settings: Mapping[str, Any]) -> Path:
    name = settings["name"] or f"soundiff-{settings['variant']}"
    if settings["full"]:
        from safetensors.torch import save_file

        path = config.models_dir() / "checkpoints" / f"{name}.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({key: value.contiguous().cpu() for key, value in unet.state_dict().items()}, str(path))
        return path
    from diffusers.utils import convert_state_dict_to_diffusers

    folder = config.models_dir() / "loras"
    layers = convert_state_dict_to_diffusers(_weights(unet, full=False))
    type(pipeline).save_lora_weights(folder, unet_lora_layers=layers, weight_name=f"{name}.safetensors")
    return folder / f"{name}.safetensors"


def _sample(pipeline: Any, embedding: torch.Tensor, settings: Mapping[str, Any], ctx: RunContext, path: Path) -> None:
    """A sample image from the first pair's (scaled) embedding, made the way the ``unclip`` generator makes it."""
    params = resolve_params(UnclipGenerator.params, {
        "width": settings["resolution"], "height": settings["resolution"], "steps": settings["preview_steps"],
        "prompt": settings["prompt"] if settings["variant"] == "S" else "", "preview_every": 0,
        "noise_level": settings["noise_level"],
    }, "unclip")
    sample_ctx = RunContext(ctx.device, "float32", (settings["seed"],), cancel=ctx.cancel)
    path.parent.mkdir(parents=True, exist_ok=True)
    run(pipeline, embedding, params, sample_ctx)[0].save(path)


def fit(
    registry: Registry,
    data: Path,
    out: Path,
    settings: Mapping[str, Any],
    progress: ProgressCallback | None,
    cancel: CancelToken,
) -> dict[str, Any]:
    """Fine-tune as :class:`~a2i_plugins.unclip._trainer.UnclipTrainer` describes."""
    from accelerate import Accelerator

    # 1. Pipeline, dataset, and the fixed inputs: audio embeddings, image latents, prompt states.
    accelerator = Accelerator()
    device = str(accelerator.device)
    ctx = RunContext(device, "float32", (settings["seed"],), progress, cancel)
    dataset = read_dataset(data)
    dataset.require("audio", "image")
    pipeline = load_unclip(resolve_source(settings["model"], UNCLIP), device, torch.float32, False).pipeline
    embeddings, latents = encode_pairs(registry, pipeline, dataset, settings, ctx)
    prompt = settings["prompt"] if settings["variant"] == "S" else ""
    with torch.no_grad():
        text, _ = pipeline.encode_prompt(prompt, pipeline._execution_device, 1, False)

    # 2. What trains, and the run's state (fresh, or from OUT/checkpoint).
    torch.manual_seed(settings["seed"])
    unet = pipeline.unet
    parameters = _trainable(unet, settings)
    optimizer = torch.optim.AdamW(parameters, lr=settings["learning_rate"], betas=(0.9, 0.999),
                                  weight_decay=settings["weight_decay"])
    history: list[dict[str, float]] = []
    start = 0
    checkpoint = load_training_checkpoint(out / "checkpoint")
    if checkpoint is not None:
        _restore(unet, checkpoint.weights["unet"], settings["full"])
        optimizer.load_state_dict(checkpoint.optimizers["adamw"])
        torch.set_rng_state(checkpoint.rng_state)
        history, start = checkpoint.state["history"], checkpoint.epoch
    model, optimizer = accelerator.prepare(unet, optimizer)

    def evaluate() -> float:
        """The loss over every pair at fixed noise and timesteps, comparable across epochs."""
        model.eval()
        with torch.no_grad():
            loss = denoising_loss(pipeline, model, latents, embeddings, text, settings["noise_level"],
                                  _generator(settings["seed"], 2**31 - 1))
        model.train()
        return float(loss)

    # 3. Train: linear learning-rate decay, per-epoch evaluation, checkpoint and sample.
    n, size = len(latents), settings["batch_size"]
    per_epoch = -(-n // size)
    total = settings["epochs"] * per_epoch
    first_eval = history[0]["eval_loss_before"] if history else evaluate()
    model.train()
    for epoch in range(start, settings["epochs"]):
        order = epoch_permutation(settings["seed"], epoch, n)
        losses = []
        for step in range(per_epoch):
            cancel.raise_if_cancelled()
            done = epoch * per_epoch + step
            for group in optimizer.param_groups:
                group["lr"] = settings["learning_rate"] + (settings["final_learning_rate"] - settings["learning_rate"]
                                                           ) * done / max(total - 1, 1)
            batch = order[step * size : (step + 1) * size]
            loss = denoising_loss(pipeline, model, latents[batch], embeddings[batch], text,
                                  settings["noise_level"], _generator(settings["seed"], epoch, step))
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            losses.append(float(loss.detach()))
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "eval_loss": evaluate(),
                        "eval_loss_before": first_eval})
        save_training_checkpoint(out / "checkpoint", TrainingCheckpoint(
            epoch + 1, {"unet": _weights(unet, settings["full"])}, {"adamw": optimizer.state_dict()},
            torch.get_rng_state(), {"history": history, "settings": dict(settings)},
        ))
        if settings["preview_every"] and (epoch + 1) % settings["preview_every"] == 0:
            unet.eval()
            _sample(pipeline, embeddings[0], settings, ctx,
                    out / "samples" / f"epoch-{epoch + 1:04d}.png")
            unet.train()
        if progress is not None:
            progress(Progress(epoch + 1, settings["epochs"], f"epoch {epoch + 1}: loss {history[-1]['eval_loss']:.4f}"))

    # 4. Save the result into the models dir and the reports into OUT.
    unet.eval()
    result = _save_result(pipeline, unet, settings)
    metrics = {
        "weights": str(result), "epochs": settings["epochs"], "pairs": n, "eval_loss_before": first_eval,
        "eval_loss": history[-1]["eval_loss"], "train_loss": history[-1]["train_loss"],
    }
    write_json(out / "metrics.json", {**metrics, "history": history})
    plot_loss_curves(out / "loss_curve.png", {"train": [row["train_loss"] for row in history],
                                               "eval": [row["eval_loss"] for row in history]})
    return metrics

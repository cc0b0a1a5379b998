"""The SounDiff training loop: U-Net (LoRA or full) on ImageBind embeddings, resumable, with samples.

The pairs' audio embeddings and image latents are computed once, before
training, since neither ImageBind nor the VAE is trained.

Everything random is drawn from generators seeded by ``(seed, epoch, step)``,
so a run resumed from its checkpoint takes exactly the steps an uninterrupted
run would have. The run itself (resume, checkpoints, precision, reports) is
the shared template, :class:`a2i_studio.training.LoopTrainer`.
"""

from __future__ import annotations

import os
import tempfile
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
from a2i_studio.core import Encoder, Registry, RunContext, resolve_params
from a2i_studio.datasets import PairedDataset, read_dataset
from a2i_studio.errors import DatasetError, ParamError
from a2i_studio.files import atomic_write
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

__all__ = ["UnclipLoop", "denoising_loss", "encode_pairs"]


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
        tensors = {key: value.contiguous().cpu() for key, value in unet.state_dict().items()}
        atomic_write(path, lambda temp: save_file(tensors, str(temp)))
        return path
    from diffusers.utils import convert_state_dict_to_diffusers

    path = config.models_dir() / "loras" / f"{name}.safetensors"
    layers = convert_state_dict_to_diffusers(_weights(unet, full=False))

    def write(temp: Path) -> None:
        with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
            type(pipeline).save_lora_weights(scratch, unet_lora_layers=layers, weight_name="lora.safetensors")
            os.replace(Path(scratch) / "lora.safetensors", temp)

    atomic_write(path, write)
    return path


def _sample(pipeline: Any, embedding: torch.Tensor, settings: Mapping[str, Any], ctx: RunContext) -> Image.Image:
    """A sample image from the first pair's (scaled) embedding, made the way the ``unclip`` generator makes it."""
    params = resolve_params(UnclipGenerator.params, {
        "width": settings["resolution"], "height": settings["resolution"], "steps": settings["preview_steps"],
        "prompt": settings["prompt"] if settings["variant"] == "S" else "", "preview_every": 0,
        "noise_level": settings["noise_level"],
    }, "unclip")
    return run(pipeline, embedding, params, RunContext(ctx.device, "float32", (settings["seed"],)))[0]


class UnclipLoop(TrainingLoop):
    """SounDiff's part of a run: the pipeline, the encoded pairs, one denoising step, the fixed-noise loss.

    Args:
        registry: Where the ``imagebind`` encoder is found.
        data: The paired dataset.
        settings: The resolved settings of :class:`~a2i_plugins.unclip._trainer.UnclipTrainer`.
        run: The accelerator and progress reporting.
    """

    best_by = "eval_loss"

    def __init__(self, registry: Registry, data: Path, settings: Mapping[str, Any], run: TrainingRun) -> None:
        self.settings, self.run = settings, run
        # 1. Pipeline, dataset, and the fixed inputs: audio embeddings, image latents, prompt states.
        ctx = RunContext(run.device, "float32", (settings["seed"],), lambda report: run.report(
            report.step, report.total, report.stage))
        self.ctx = ctx
        dataset = read_dataset(data)
        dataset.require("audio", "image")
        self.pipeline = load_unclip(resolve_source(settings["model"], UNCLIP), run.device, torch.float32,
                                    False).pipeline
        self.embeddings, self.latents = encode_pairs(registry, self.pipeline, dataset, settings, ctx)
        prompt = settings["prompt"] if settings["variant"] == "S" else ""
        with torch.no_grad():
            self.text, _ = self.pipeline.encode_prompt(prompt, self.pipeline._execution_device, 1, False)

        # 2. What trains, and its optimizer.
        torch.manual_seed(settings["seed"])
        self.unet = self.pipeline.unet
        parameters = _trainable(self.unet, settings)
        optimizer = torch.optim.AdamW(parameters, lr=settings["learning_rate"], betas=(0.9, 0.999),
                                      weight_decay=settings["weight_decay"])
        self.model, self.optimizer = run.accelerator.prepare(self.unet, optimizer)
        self.per_epoch = -(-len(self.latents) // settings["batch_size"])

    def rounds(self) -> list[list[list[int]]]:
        """Each epoch's batches, shuffled by ``(seed, epoch)``."""
        settings = self.settings
        return [shuffled_batches(settings["seed"], epoch, len(self.latents), settings["batch_size"],
                                 self.run.processes) for epoch in range(settings["epochs"])]

    def train_step(self, step: Step) -> float:
        """One AdamW step at the linearly decaying learning rate; a sample image after every N-th epoch."""
        settings = self.settings
        total = settings["epochs"] * self.per_epoch
        rate, final = settings["learning_rate"], settings["final_learning_rate"]
        for group in self.optimizer.param_groups:
            group["lr"] = rate + (final - rate) * step.index / max(total - 1, 1)
        share = list(step.share(step.batch))
        in_epoch = step.index - step.round * self.per_epoch
        self.model.train()
        loss = denoising_loss(self.pipeline, self.model, self.latents[share], self.embeddings[share], self.text,
                              settings["noise_level"], _generator(settings["seed"], step.round, in_epoch))
        self.optimizer.zero_grad()
        self.run.accelerator.backward(loss * step.weight(step.batch))
        self.optimizer.step()
        epoch = step.round + 1
        if in_epoch == self.per_epoch - 1 and settings["preview_every"] and epoch % settings["preview_every"] == 0:
            self._preview(step.index + 1)
        return float(loss.detach())

    def evaluate(self) -> dict[str, float]:
        """The loss over every pair at fixed noise and timesteps, comparable across epochs."""
        unet = self.run.accelerator.unwrap_model(self.model).eval()
        with torch.no_grad():
            loss = denoising_loss(self.pipeline, unet, self.latents, self.embeddings, self.text,
                                  self.settings["noise_level"], _generator(self.settings["seed"], 2**31 - 1))
        return {"eval_loss": float(loss)}

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        return {"unet": _weights(self.unet, self.settings["full"])}, {"adamw": self.optimizer.state_dict()}

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        _restore(self.unet, weights["unet"], self.settings["full"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["adamw"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Save the LoRA or U-Net into the models dir."""
        self.unet.eval()
        return {"weights": str(_save_result(self.pipeline, self.unet, self.settings)), "pairs": len(self.latents)}

    def _preview(self, step: int) -> None:
        if not self.run.is_main:
            return
        self.unet.eval()
        image = _sample(self.pipeline, self.embeddings[0], self.settings, self.ctx)
        self.run.samples(step, [image])

"""The AE-GAN training loop: accelerate-driven, checkpointed every epoch, resumable bit for bit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional
from torch.utils.data import DataLoader, TensorDataset

from a2i_plugins.aegan._config import AeganConfig
from a2i_plugins.aegan._data import load_pairs
from a2i_plugins.aegan._losses import ssim
from a2i_plugins.aegan._network import AeganNet, PatchDiscriminator, save_model
from a2i_studio.core import CancelToken, Progress, ProgressCallback
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import Cancelled, CheckpointError
from a2i_studio.training import (
    EpochShuffle,
    TrainingCheckpoint,
    load_training_checkpoint,
    plot_loss_curves,
    save_training_checkpoint,
    write_json,
)

__all__ = ["MODEL_FILE", "fit"]

MODEL_FILE = "aegan.safetensors"
"""The finished model in the output folder."""

# Settings that may change between an interrupted run and its resumption.
_MAY_CHANGE = {"epochs", "resume"}


def fit(data: Path, out: Path, settings: dict[str, Any], progress: ProgressCallback | None,
        cancel: CancelToken) -> dict[str, Any]:
    """Train an AE-GAN with resolved ``settings`` (see ``AeganTrainer``); return the final metrics."""
    from accelerate import Accelerator

    def report(step: int, total: int, stage: str) -> None:
        if cancel.cancelled:
            raise Cancelled(f"Training was cancelled; continue it with --resume --out {out}.")
        if progress is not None:
            progress(Progress(step, total, stage))

    # 1. Refuse to mix runs: an existing checkpoint is continued only when asked, and only with the same settings.
    folder = out / "checkpoint"
    previous = load_training_checkpoint(folder)
    if previous is not None:
        if not settings["resume"]:
            raise CheckpointError(
                f"{out} already holds a training checkpoint (epoch {previous.epoch}); "
                "add --resume to continue it or choose another --out."
            )
        for name, value in previous.state["settings"].items():
            if name not in _MAY_CHANGE and settings[name] != value:
                raise CheckpointError(
                    f"The checkpoint in {out} was trained with {name}={value!r}, not {settings[name]!r}; "
                    "resume with the same settings or choose another --out."
                )

    # 2. Read the pairs of the train and validation splits.
    train, val, _test = read_dataset(data).split(
        settings["split_seed"], val=settings["val_fraction"], test=settings["test_fraction"]
    )
    size = int(settings["size"])
    train_x, train_y = load_pairs(train, size, lambda done, total: report(done, total, "reading training pairs"))
    val_x, val_y = load_pairs(val, size)

    # 3. Build the networks from the seed, then overwrite everything a checkpoint holds.
    torch.manual_seed(settings["seed"])
    net = AeganNet(AeganConfig(size=size, channels=settings["channels"]))
    net.set_normalisation(train_x.mean(0), train_x.std(0))
    critic = PatchDiscriminator(size) if settings["discriminator"] else None
    betas = (settings["beta1"], 0.999)
    optimizer = torch.optim.Adam(net.parameters(), lr=settings["learning_rate"], betas=betas)
    critic_optimizer = (
        torch.optim.Adam(critic.parameters(), lr=settings["learning_rate"], betas=betas) if critic else None
    )
    history: list[dict[str, float]] = []
    seconds = 0.0
    if previous is not None:
        net.load_state_dict(previous.weights["generator"])
        optimizer.load_state_dict(previous.optimizers["generator"])
        if critic is not None and critic_optimizer is not None:
            critic.load_state_dict(previous.weights["discriminator"])
            critic_optimizer.load_state_dict(previous.optimizers["discriminator"])
        torch.set_rng_state(previous.rng_state)
        history, seconds = previous.state["history"], previous.state["seconds"]

    # 4. Let accelerate place the models and shard the batches (one CPU here, several GPUs elsewhere).
    accelerator = Accelerator()
    sampler = EpochShuffle(len(train_x), settings["seed"])
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=settings["batch_size"], sampler=sampler)
    net, optimizer, loader = accelerator.prepare(net, optimizer, loader)
    if critic is not None:
        critic, critic_optimizer = accelerator.prepare(critic, critic_optimizer)
    val_x, val_y = val_x.to(accelerator.device), val_y.to(accelerator.device)

    # 5. Train, checkpointing every epoch.
    epochs, steps = settings["epochs"], len(loader)
    stage = "training"
    for epoch in range(len(history), epochs):
        started = time.perf_counter()
        loader.set_epoch(epoch)
        net.train()
        sums = {"loss": 0.0, "mse": 0.0}
        for step, (features, targets) in enumerate(loader):
            report(epoch * steps + step, epochs * steps, stage)
            images = net(features)
            mse = functional.mse_loss(images, targets)
            loss = mse * len(features) if settings["mse_times_batch"] else mse
            if settings["ssim_weight"]:
                loss = loss + settings["ssim_weight"] * (1 - ssim(images, targets))
            if critic is not None and critic_optimizer is not None:
                critic_optimizer.zero_grad()
                real, fake = critic(targets), critic(images.detach())
                critic_loss = (_bce(real, 1.0) + _bce(fake, 0.0)) / 2
                accelerator.backward(critic_loss)
                critic_optimizer.step()
                loss = loss + settings["adversarial_weight"] * _bce(critic(images), 1.0)
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            sums["loss"] += loss.item()
            sums["mse"] += mse.item()
        net.eval()
        with torch.no_grad():
            predicted = net(val_x)
            val_mse, val_ssim = functional.mse_loss(predicted, val_y).item(), ssim(predicted, val_y).item()
        seconds += time.perf_counter() - started
        history.append({"epoch": epoch + 1, "train_loss": sums["loss"] / steps, "train_mse": sums["mse"] / steps,
                        "val_mse": val_mse, "val_ssim": val_ssim})
        stage = f"epoch {epoch + 1}/{epochs}: train loss {sums['loss'] / steps:.4f}, val mse {val_mse:.4f}"
        weights = {"generator": accelerator.unwrap_model(net).state_dict()}
        optimizers = {"generator": optimizer.state_dict()}
        if critic is not None and critic_optimizer is not None:
            weights["discriminator"] = accelerator.unwrap_model(critic).state_dict()
            optimizers["discriminator"] = critic_optimizer.state_dict()
        save_training_checkpoint(folder, TrainingCheckpoint(
            epoch + 1, weights, optimizers, torch.get_rng_state(),
            {"settings": settings, "history": history, "seconds": seconds},
        ))
        plot_loss_curves(out / "loss_curve.png", {
            "train mse": [row["train_mse"] for row in history], "val mse": [row["val_mse"] for row in history],
        }, title=f"AE-GAN {size}px, {len(train)} training pairs")
    report(epochs * steps, epochs * steps, stage)

    # 6. Save the finished model with what it was trained on, and the metrics.
    final = history[-1]
    model = out / MODEL_FILE
    labels = train.labels
    save_model(model, accelerator.unwrap_model(net), {"labels": labels, "data": str(data), "settings": settings})
    metrics = {
        "model": str(model), "epochs": epochs, "train_pairs": len(train), "val_pairs": len(val),
        "train_loss": final["train_loss"], "train_mse": final["train_mse"], "val_mse": final["val_mse"],
        "val_ssim": final["val_ssim"], "seconds": round(seconds, 1),
        "parameters": sum(p.numel() for p in accelerator.unwrap_model(net).parameters()),
    }
    write_json(out / "metrics.json", metrics)
    return metrics


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))

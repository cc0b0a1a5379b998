"""The training run behind ``a2i train pixel``: next-pixel cross-entropy, resumable epoch by epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from torch.nn import functional

from a2i_plugins.pixel_transformer._checkpoint import save_model
from a2i_plugins.pixel_transformer._data import PairTensors, augment, load_pairs
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_plugins.pixel_transformer._presets import TrainSettings
from a2i_studio.core import CancelToken
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import CheckpointError
from a2i_studio.training import (
    TrainingCheckpoint,
    epoch_permutation,
    load_training_checkpoint,
    plot_loss_curves,
    save_training_checkpoint,
    write_json,
)

__all__ = ["MODEL_FILE", "run_training"]

MODEL_FILE = "pixel-transformer.safetensors"
"""The finished model's file name under the output folder."""

Report = Callable[[int, int, str], None]


def run_training(
    data: Path, out: Path, settings: TrainSettings, report: Report, cancel: CancelToken | None = None
) -> dict[str, Any]:
    """Train a pixel transformer on the paired dataset ``data``; write everything under ``out``.

    ``out/checkpoint/`` is rewritten after every epoch; a run started again with
    the same settings continues from it and ends with the same weights as one
    that was never interrupted. At the end ``out`` holds the model
    (:data:`MODEL_FILE`), ``metrics.json`` and ``loss.png``.

    Args:
        data: Dataset folder (``metadata.csv`` with audio and image columns).
        out: Output folder.
        settings: What to train and how.
        report: Called with ``(step, total, stage)``.
        cancel: Checked between batches.

    Returns:
        The final metrics.

    Raises:
        CheckpointError: If ``out/checkpoint`` was written with other settings.
    """
    config = settings.config
    # 1. Read the pairs; the split is the dataset's stratified, seeded one.
    train_set, val_set, _ = read_dataset(data).split(settings.seed, val=settings.val_fraction, test=0.0)
    train = load_pairs(train_set, config, lambda done, total: report(done, total, "reading training pairs"))
    val = load_pairs(val_set, config, lambda done, total: report(done, total, "reading validation pairs"))

    # 2. The model, its audio statistics, the optimizer; or where the last run stopped.
    torch.manual_seed(settings.seed)
    model = PixelTransformer(config)
    logs = train.logs.float()
    model.set_audio_statistics(logs.mean(dim=(0, 1)), logs.std(dim=(0, 1)))
    decay = settings.weight_decay
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=decay)
    history: dict[str, list[float]] = {"train": [], "val": []}
    start_epoch, started = 0, time.monotonic()
    seconds_before = 0.0
    resumed = load_training_checkpoint(out / "checkpoint")
    if resumed is not None:
        if resumed.state.get("settings") != settings.to_dict():
            raise CheckpointError(
                f"{out / 'checkpoint'} was written by a run with other settings; use another --out or delete it."
            )
        model.load_state_dict(resumed.weights["model"])
        optimizer.load_state_dict(resumed.optimizers["optimizer"])
        torch.set_rng_state(resumed.rng_state)
        history, start_epoch = resumed.state["history"], resumed.epoch
        seconds_before = float(resumed.state["seconds"])
    accelerator = Accelerator(mixed_precision=settings.mixed_precision)
    model, optimizer = accelerator.prepare(model, optimizer)

    # 3. Epochs of next-pixel cross-entropy, then validation bits per pixel.
    steps_per_epoch = math.ceil(len(train) / settings.batch_size)
    total_steps = steps_per_epoch * settings.epochs
    for epoch in range(start_epoch, settings.epochs):
        model.train()
        generator = torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
        order = torch.tensor(epoch_permutation(settings.seed, epoch, len(train)))
        losses = []
        for batch_index, start in enumerate(range(0, len(train), settings.batch_size)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            step = epoch * steps_per_epoch + batch_index
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(settings, step, total_steps)
            batch = order[start : start + settings.batch_size]
            batch_logs, tokens = train.logs[batch].float(), train.tokens[batch].long()
            if settings.augment:
                batch_logs, tokens = augment(batch_logs, tokens, config, generator)
            drop = torch.rand(len(batch), generator=generator) < settings.cfg_dropout
            batch_logs, tokens, drop = (tensor.to(accelerator.device) for tensor in (batch_logs, tokens, drop))
            with accelerator.autocast():
                logits = model(batch_logs, tokens, drop)
                loss = functional.cross_entropy(logits.float().flatten(0, 1), tokens.flatten())
            optimizer.zero_grad()
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            report(step + 1, total_steps, f"epoch {epoch + 1}/{settings.epochs} loss {losses[-1]:.3f}")
        history["train"].append(sum(losses) / len(losses) / math.log(2))
        history["val"].append(_bits_per_pixel(model, val, settings.batch_size, accelerator))
        seconds = seconds_before + time.monotonic() - started
        state = {"settings": settings.to_dict(), "history": history, "seconds": seconds}
        weights = {"model": accelerator.unwrap_model(model).state_dict()}
        optimizers = {"optimizer": optimizer.state_dict()}
        checkpoint = TrainingCheckpoint(epoch + 1, weights, optimizers, torch.get_rng_state(), state)
        save_training_checkpoint(out / "checkpoint", checkpoint)
        plot_loss_curves(out / "loss.png", history, title="bits per pixel (train, val)")

    # 4. The finished model and its metrics.
    final = accelerator.unwrap_model(model)
    seconds = seconds_before + time.monotonic() - started
    metrics = {
        "train_bits_per_pixel": history["train"][-1],
        "val_bits_per_pixel": history["val"][-1],
        "epochs": settings.epochs,
        "train_pairs": len(train),
        "val_pairs": len(val),
        "training_seconds": round(seconds, 1),
        "parameters": sum(parameter.numel() for parameter in final.parameters()),
    }
    info = {"metrics": metrics, "settings": settings.to_dict(), "data": str(Path(data).resolve())}
    save_model(final, out / MODEL_FILE, info)
    write_json(out / "metrics.json", {**metrics, "history": history, "settings": settings.to_dict()})
    return metrics


def _learning_rate(settings: TrainSettings, step: int, total_steps: int) -> float:
    peak, warmup = settings.learning_rate, max(settings.warmup_steps, 1)
    if step < warmup:
        return peak * (step + 1) / warmup
    if settings.schedule == "inverse_sqrt":
        return peak * math.sqrt(warmup / (step + 1))
    progress = (step - warmup) / max(total_steps - warmup, 1)
    return peak * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


@torch.no_grad()
def _bits_per_pixel(model: PixelTransformer, pairs: PairTensors, batch_size: int, accelerator: Accelerator) -> float:
    """Mean negative log2-likelihood per token of ``pairs`` given their audio (per channel value for RGB)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(pairs), batch_size):
        logs = pairs.logs[start : start + batch_size].float().to(accelerator.device)
        tokens = pairs.tokens[start : start + batch_size].long().to(accelerator.device)
        with accelerator.autocast():
            logits = model(logs, tokens)
        total += float(functional.cross_entropy(logits.float().flatten(0, 1), tokens.flatten(), reduction="sum"))
        count += tokens.numel()
    return total / count / math.log(2)

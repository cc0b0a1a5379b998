"""The pixel transformer's part of ``a2i train pixel``: next-pixel cross-entropy on (FFT frames, picture) pairs.

The run itself (resume, checkpoints, precision, reports) is the shared
template, :class:`a2i_studio.training.LoopTrainer`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from torch.nn import functional

from a2i_plugins.pixel_transformer._checkpoint import save_model
from a2i_plugins.pixel_transformer._data import PairTensors, augment, load_pairs
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_plugins.pixel_transformer._presets import TrainSettings
from a2i_studio.datasets import read_dataset
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

__all__ = ["MODEL_FILE", "PixelLoop"]

MODEL_FILE = "pixel-transformer.safetensors"
"""The finished model's file name under the output folder."""


class PixelLoop(TrainingLoop):
    """Next-pixel cross-entropy; validation in bits per pixel (per channel value for RGB).

    Args:
        data: Dataset folder (``metadata.csv`` with audio and image columns).
        settings: What to train and how.
        run: The accelerator and progress reporting.
    """

    best_by = "val_bits_per_pixel"

    def __init__(self, data: Path, settings: TrainSettings, run: TrainingRun) -> None:
        self.data, self.settings, self.run = data, settings, run
        config = settings.config
        # 1. The pairs; the split is the dataset's stratified, seeded one.
        train_set, val_set, _ = read_dataset(data).split(settings.seed, val=settings.val_fraction, test=0.0)
        self.train = load_pairs(train_set, config, lambda done, total: run.report(done, total,
                                                                                   "reading training pairs"))
        self.val = load_pairs(val_set, config, lambda done, total: run.report(done, total,
                                                                               "reading validation pairs"))

        # 2. The model with its audio statistics, and the optimizer.
        torch.manual_seed(settings.seed)
        model = PixelTransformer(config)
        logs = self.train.logs.float()
        model.set_audio_statistics(logs.mean(dim=(0, 1)), logs.std(dim=(0, 1)))
        optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate,
                                      weight_decay=settings.weight_decay)
        self.model, self.optimizer = run.accelerator.prepare(model, optimizer)
        self._generator: tuple[int, torch.Generator] | None = None

    def rounds(self) -> list[list[list[int]]]:
        """Each epoch's batches, shuffled by ``(seed, epoch)``."""
        settings = self.settings
        return [shuffled_batches(settings.seed, epoch, len(self.train), settings.batch_size, self.run.processes)
                for epoch in range(settings.epochs)]

    def train_step(self, step: Step) -> float:
        """One AdamW step at the scheduled learning rate; returns the loss in bits per pixel."""
        settings, accelerator, config = self.settings, self.run.accelerator, self.settings.config
        total = math.ceil(len(self.train) / settings.batch_size) * settings.epochs  # the schedule's length
        for group in self.optimizer.param_groups:
            group["lr"] = _learning_rate(settings, step.index, total)
        # Random draws are made for the whole batch, so every process takes its share of the same draws.
        generator = self._epoch_generator(step.round)
        batch = step.batch
        logs, tokens = self.train.logs[batch].float(), self.train.tokens[batch].long()
        logs, tokens = augment(logs, tokens, config, generator, flip=settings.flip, audio=settings.audio_augment)
        drop = torch.rand(len(batch), generator=generator) < settings.cfg_dropout
        logs, tokens, drop = (step.share(tensor).to(self.run.device) for tensor in (logs, tokens, drop))
        self.model.train()
        with accelerator.autocast():
            logits = self.model(logs, tokens, drop)
            loss = functional.cross_entropy(logits.float().flatten(0, 1), tokens.flatten())
        self.optimizer.zero_grad()
        accelerator.backward(loss * step.weight(batch))
        accelerator.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return float(loss.detach()) / math.log(2)

    def evaluate(self) -> dict[str, float]:
        """Validation bits per pixel."""
        model = self.run.accelerator.unwrap_model(self.model)
        return {"val_bits_per_pixel": _bits_per_pixel(model, self.val, self.settings.batch_size,
                                                      self.run.accelerator)}

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        return ({"model": self.run.accelerator.unwrap_model(self.model).state_dict()},
                {"optimizer": self.optimizer.state_dict()})

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        self.run.accelerator.unwrap_model(self.model).load_state_dict(weights["model"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["optimizer"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Write ``OUT/pixel-transformer.safetensors`` with its settings and metrics."""
        final = self.run.accelerator.unwrap_model(self.model)
        info = {"metrics": result.exported, "settings": self.settings.to_dict(), "data": str(self.data.resolve())}
        path = save_model(final, out / MODEL_FILE, info)
        return {"model": str(path), "train_pairs": len(self.train), "val_pairs": len(self.val),
                "parameters": sum(parameter.numel() for parameter in final.parameters())}

    def _epoch_generator(self, epoch: int) -> torch.Generator:
        """The augmentation generator of ``epoch``, seeded at its first step and drawn from in step order."""
        if self._generator is None or self._generator[0] != epoch:
            self._generator = (epoch, torch.Generator().manual_seed(self.settings.seed * 100_003 + epoch))
        return self._generator[1]


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

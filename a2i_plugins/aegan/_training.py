"""The AE-GAN's part of a training run: pairs, networks, one step, validation and the saved model.

The run itself (resume, checkpoints, precision, reports) is the shared
template, :class:`a2i_studio.training.LoopTrainer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.nn import functional

from a2i_plugins.aegan._config import AeganConfig
from a2i_plugins.aegan._data import load_pairs
from a2i_plugins.aegan._losses import ssim
from a2i_plugins.aegan._network import AeganNet, PatchDiscriminator, save_model
from a2i_studio.datasets import read_dataset
from a2i_studio.files import atomic_write
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

__all__ = ["MODEL_FILE", "AeganLoop"]

MODEL_FILE = "aegan.safetensors"
"""The finished model in the output folder."""


class AeganLoop(TrainingLoop):
    """Reconstruction (MSE, optional SSIM and adversarial terms) of each pair's picture from its MFCC summary.

    Args:
        data: The dataset folder.
        settings: The resolved settings of :class:`~a2i_plugins.aegan.AeganTrainer`.
        run: The accelerator and progress reporting.
    """

    best_by = "val_mse"

    def __init__(self, data: Path, settings: dict[str, Any], run: TrainingRun) -> None:
        self.data, self.settings, self.run = data, settings, run
        # 1. The pairs of the train and validation splits.
        train, val, _test = read_dataset(data).split(
            settings["split_seed"], val=settings["val_fraction"], test=settings["test_fraction"]
        )
        self.labels = train.labels
        size = int(settings["size"])
        self.train_x, self.train_y = load_pairs(train, size, lambda done, total: run.report(
            done, total, "reading training pairs"))
        val_x, val_y = load_pairs(val, size)
        self.val_x, self.val_y = val_x.to(run.device), val_y.to(run.device)

        # 2. The networks from the seed, placed by accelerate.
        torch.manual_seed(settings["seed"])
        net = AeganNet(AeganConfig(size=size, channels=settings["channels"]))
        net.set_normalisation(self.train_x.mean(0), self.train_x.std(0))
        betas = (settings["beta1"], 0.999)
        optimizer = torch.optim.Adam(net.parameters(), lr=settings["learning_rate"], betas=betas)
        self.net, self.optimizer = run.accelerator.prepare(net, optimizer)
        self.critic: Any = None
        self.critic_optimizer: Any = None
        if settings["discriminator"]:
            critic = PatchDiscriminator(size)
            critic_optimizer = torch.optim.Adam(critic.parameters(), lr=settings["learning_rate"], betas=betas)
            self.critic, self.critic_optimizer = run.accelerator.prepare(critic, critic_optimizer)

    def rounds(self) -> list[list[list[int]]]:
        """Each epoch's batches, shuffled by ``(seed, epoch)``."""
        settings, n = self.settings, len(self.train_x)
        return [shuffled_batches(settings["seed"], epoch, n, settings["batch_size"], self.run.processes)
                for epoch in range(settings["epochs"])]

    def train_step(self, step: Step) -> float:
        """One Adam step of the generator (and of the critic, when there is one)."""
        settings, accelerator = self.settings, self.run.accelerator
        share = list(step.share(step.batch))
        weight = step.weight(step.batch)
        features, targets = self.train_x[share].to(self.run.device), self.train_y[share].to(self.run.device)
        self.net.train()
        images = self.net(features)
        mse = functional.mse_loss(images, targets)
        loss = mse * len(step.batch) if settings["mse_times_batch"] else mse
        if settings["ssim_weight"]:
            loss = loss + settings["ssim_weight"] * (1 - ssim(images, targets))
        if self.critic is not None:
            self.critic_optimizer.zero_grad()
            real, fake = self.critic(targets), self.critic(images.detach())
            critic_loss = (_bce(real, 1.0) + _bce(fake, 0.0)) / 2
            accelerator.backward(critic_loss * weight)
            self.critic_optimizer.step()
            loss = loss + settings["adversarial_weight"] * _bce(self.critic(images), 1.0)
        self.optimizer.zero_grad()
        accelerator.backward(loss * weight)
        self.optimizer.step()
        return float(loss.detach())

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """MSE and SSIM of the validation pictures."""
        net = self.run.accelerator.unwrap_model(self.net).eval()
        predicted = net(self.val_x)
        return {"val_mse": functional.mse_loss(predicted, self.val_y).item(),
                "val_ssim": ssim(predicted, self.val_y).item()}

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        unwrap = self.run.accelerator.unwrap_model
        weights = {"generator": unwrap(self.net).state_dict()}
        optimizers = {"generator": self.optimizer.state_dict()}
        if self.critic is not None:
            weights["discriminator"] = unwrap(self.critic).state_dict()
            optimizers["discriminator"] = self.critic_optimizer.state_dict()
        return weights, optimizers

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        unwrap = self.run.accelerator.unwrap_model
        unwrap(self.net).load_state_dict(weights["generator"])
        if self.critic is not None:
            unwrap(self.critic).load_state_dict(weights["discriminator"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["generator"])
            if self.critic is not None:
                self.critic_optimizer.load_state_dict(optimizers["discriminator"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Write ``OUT/aegan.safetensors`` with the labels, data and settings it was trained with."""
        net = self.run.accelerator.unwrap_model(self.net)
        path = out / MODEL_FILE
        info = {"labels": self.labels, "data": str(self.data), "settings": self.settings}
        atomic_write(path, lambda temp: save_model(temp, net, info))
        return {"model": str(path), "train_pairs": len(self.train_x), "val_pairs": len(self.val_x),
                "parameters": sum(parameter.numel() for parameter in net.parameters())}


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))

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
from a2i_plugins.aegan._data import ATTRIBUTES, load_attributes, load_pairs
from a2i_plugins.aegan._losses import gradient_magnitude, ssim
from a2i_plugins.aegan._network import AeganNet, AttributeCritic, MultiScaleDiscriminator, save_model
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import DatasetError
from a2i_studio.files import atomic_write
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

__all__ = ["MODEL_FILE", "AeganLoop"]

MODEL_FILE = "aegan.safetensors"
"""The finished model in the output folder."""


class AeganLoop(TrainingLoop):
    """Reconstruction of each pair's picture from its sound's features: pixel loss, optional SSIM and critics.

    With ``discriminator``, PatchGAN critics at ``discriminator_scales`` scales
    learn real from generated pictures (``gan_loss``: non-saturating BCE or
    hinge), and the generator is pushed by their verdict
    (``adversarial_weight``) and by the L1 distance between their features of
    its picture and of the real one (``feature_matching_weight``).

    With ``attribute_weight``, an attribute critic (AC-GAN's auxiliary
    regressor) learns to read ``metadata.csv``'s intensity, count and source_x
    from the real pictures and their flips, and the generator is pushed to make
    pictures in which it reads the sound's own values: the pixel losses alone
    settle for each class's average picture.

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
        self.train_x, self.train_y = load_pairs(train, size, settings["features"], lambda done, total: run.report(
            done, total, "reading training pairs"))
        val_x, val_y = load_pairs(val, size, settings["features"])
        self.val_x, self.val_y = val_x.to(run.device), val_y.to(run.device)

        # 2. The networks from the seed, placed by accelerate.
        torch.manual_seed(settings["seed"])
        net = AeganNet(AeganConfig(size=size, features=self.train_x.shape[1], channels=settings["channels"]))
        net.set_normalisation(self.train_x.mean(0), self.train_x.std(0))
        betas = (settings["beta1"], 0.999)
        optimizer = torch.optim.Adam(net.parameters(), lr=settings["learning_rate"], betas=betas)
        self.net, self.optimizer = run.accelerator.prepare(net, optimizer)
        self.critic: Any = None
        self.critic_optimizer: Any = None
        if settings["discriminator"]:
            critic = MultiScaleDiscriminator(size, settings["discriminator_scales"], settings["discriminator_channels"])
            critic_optimizer = torch.optim.Adam(critic.parameters(), lr=settings["learning_rate"], betas=betas)
            self.critic, self.critic_optimizer = run.accelerator.prepare(critic, critic_optimizer)
        self.attribute_critic: Any = None
        self.attribute_optimizer: Any = None
        if settings["attribute_weight"]:
            self.train_attributes = load_attributes(train, self.labels)
            if not self.train_attributes.names:
                raise DatasetError(f"attribute_weight needs {', '.join(ATTRIBUTES)} columns in {data}/metadata.csv "
                                   "and this dataset has none; set attribute_weight=0 or make it with "
                                   "'a2i datasets make soundscapes'.")
            attributes = self.train_attributes
            self.val_attributes = load_attributes(val, self.labels, attributes.mean, attributes.std, attributes.names)
            attribute_critic = AttributeCritic(size, len(self.labels), len(attributes.names))
            attribute_optimizer = torch.optim.Adam(attribute_critic.parameters(), lr=settings["learning_rate"],
                                                   betas=betas)
            self.attribute_critic, self.attribute_optimizer = run.accelerator.prepare(
                attribute_critic, attribute_optimizer)

    def rounds(self) -> list[list[list[int]]]:
        """Each epoch's batches, shuffled by ``(seed, epoch)``."""
        settings, n = self.settings, len(self.train_x)
        return [shuffled_batches(settings["seed"], epoch, n, settings["batch_size"], self.run.processes)
                for epoch in range(settings["epochs"])]

    def train_step(self, step: Step) -> float:
        """One Adam step of the generator (and first of the critics, when there are some)."""
        settings, accelerator = self.settings, self.run.accelerator
        share = list(step.share(step.batch))
        weight = step.weight(step.batch)
        features, targets = self.train_x[share].to(self.run.device), self.train_y[share].to(self.run.device)
        self.net.train()
        noise = torch.randn_like(features) * settings["noise"] if settings["noise"] else None
        images = self.net(features, noise)
        if settings["pixel_loss"] == "l1":
            pixel = functional.l1_loss(images, targets)
        else:
            pixel = functional.mse_loss(images, targets)
            pixel = pixel * len(step.batch) if settings["mse_times_batch"] else pixel
        loss = settings["pixel_weight"] * pixel
        if settings["ssim_weight"]:
            loss = loss + settings["ssim_weight"] * (1 - ssim(images, targets))
        if self.critic is not None:
            kind = settings["gan_loss"]
            # 1. The critics learn real from generated pictures.
            self.critic_optimizer.zero_grad()
            real, fake = self.critic.features(targets), self.critic.features(images.detach())
            critic_loss = torch.stack([_critic_loss(kind, r[-1], f[-1]) for r, f in zip(real, fake, strict=True)])
            accelerator.backward(critic_loss.sum() * weight)
            self.critic_optimizer.step()
            # 2. The generator is pushed by their verdict and towards their features of the real picture (as the
            #    critics saw it before this step: one pass fewer than judging it again, and as good a target).
            fake = self.critic.features(images)
            adversarial = torch.stack([_generator_loss(kind, f[-1]) for f in fake]).sum()
            loss = loss + settings["adversarial_weight"] * adversarial
            if settings["feature_matching_weight"]:
                matching = torch.stack([
                    functional.l1_loss(f, r.detach())
                    for fs, rs in zip(fake, real, strict=True) for f, r in zip(fs[:-1], rs[:-1], strict=True)
                ]).mean()
                loss = loss + settings["feature_matching_weight"] * matching
        if self.attribute_critic is not None:
            loss = loss + settings["attribute_weight"] * self._attribute_loss(step, targets, images)
        self.optimizer.zero_grad()
        accelerator.backward(loss * weight)
        self.optimizer.step()
        return float(loss.detach())

    def _attribute_loss(self, step: Step, targets: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Teach the attribute critic on the real pictures (every other one of the batch flipped), then return its
        error on ``images``: how far the generated pictures are from showing their sounds' attributes.

        Both errors are this process's share of the whole batch's mean over the attributes its rows have, scaled so
        that after :meth:`Step.weight` and the processes' gradient average they equal one process's.
        """
        attributes, device = self.train_attributes, self.run.device
        share, batch = list(step.share(step.batch)), list(step.batch)
        classes = attributes.classes[share].to(device)
        values, present = attributes.values[share].to(device), attributes.present[share].to(device)
        positions = torch.arange(step.process, len(batch), step.processes, device=device)
        flip = positions % 2 == 1
        real = torch.where(flip[:, None, None, None], targets.flip(-1), targets)
        real_values = torch.where(flip[:, None], attributes.mirrored(values), values)
        # the whole batch's count of known values, shared out: the processes' average is then one process's mean
        known = (attributes.present[batch].sum().clamp_min(1) / step.processes).to(device)
        self.attribute_optimizer.zero_grad()
        critic_loss = _squared_error(self.attribute_critic(real, classes), real_values, present) / known
        self.run.accelerator.backward(critic_loss)
        self.attribute_optimizer.step()
        error = _squared_error(self.attribute_critic(images, classes), values, present) / known
        return error / step.weight(step.batch)  # the caller multiplies the generator's loss by it

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """MSE, SSIM and relative sharpness (mean gradient magnitude, generated / real) of the validation pictures.

        With the attribute critic, also its error (standardised units) on the generated validation pictures
        against their sounds' attributes (``val_attributes``) and on the real ones (``val_attributes_real``):
        the first far below the second would mean the generator fools the critic rather than draws.
        """
        net = self.run.accelerator.unwrap_model(self.net).eval()
        predicted = net(self.val_x)
        metrics = {"val_mse": functional.mse_loss(predicted, self.val_y).item(),
                   "val_ssim": ssim(predicted, self.val_y).item(),
                   "val_sharpness": (gradient_magnitude(predicted) / gradient_magnitude(self.val_y)).item()}
        if self.attribute_critic is not None:
            critic = self.run.accelerator.unwrap_model(self.attribute_critic)
            attributes, device = self.val_attributes, self.run.device
            classes = attributes.classes.to(device)
            values, present = attributes.values.to(device), attributes.present.to(device)
            metrics["val_attributes"] = _masked_mse(critic(predicted, classes), values, present).item()
            metrics["val_attributes_real"] = _masked_mse(critic(self.val_y, classes), values, present).item()
        return metrics

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        unwrap = self.run.accelerator.unwrap_model
        weights = {"generator": unwrap(self.net).state_dict()}
        optimizers = {"generator": self.optimizer.state_dict()}
        if self.critic is not None:
            weights["discriminator"] = unwrap(self.critic).state_dict()
            optimizers["discriminator"] = self.critic_optimizer.state_dict()
        if self.attribute_critic is not None:
            weights["attribute_critic"] = unwrap(self.attribute_critic).state_dict()
            optimizers["attribute_critic"] = self.attribute_optimizer.state_dict()
        return weights, optimizers

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        unwrap = self.run.accelerator.unwrap_model
        unwrap(self.net).load_state_dict(weights["generator"])
        if self.critic is not None:
            unwrap(self.critic).load_state_dict(weights["discriminator"])
        if self.attribute_critic is not None:
            unwrap(self.attribute_critic).load_state_dict(weights["attribute_critic"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["generator"])
            if self.critic is not None:
                self.critic_optimizer.load_state_dict(optimizers["discriminator"])
            if self.attribute_critic is not None:
                self.attribute_optimizer.load_state_dict(optimizers["attribute_critic"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Write ``OUT/aegan.safetensors`` with the labels, data and settings it was trained with."""
        net = self.run.accelerator.unwrap_model(self.net)
        path = out / MODEL_FILE
        info = {"labels": self.labels, "data": str(self.data), "encoder": self.settings["features"],
                "settings": self.settings}
        atomic_write(path, lambda temp: save_model(temp, net, info))
        return {"model": str(path), "train_pairs": len(self.train_x), "val_pairs": len(self.val_x),
                "parameters": sum(parameter.numel() for parameter in net.parameters())}


def _squared_error(predicted: torch.Tensor, values: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Summed squared error over the entries ``present`` marks (attributes a row does not have count for nothing)."""
    return ((predicted - values) ** 2 * present).sum()


def _masked_mse(predicted: torch.Tensor, values: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the entries ``present`` marks."""
    return _squared_error(predicted, values, present) / present.sum().clamp_min(1)


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _critic_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    if kind == "hinge":
        return functional.relu(1 - real).mean() + functional.relu(1 + fake).mean()
    return (_bce(real, 1.0) + _bce(fake, 0.0)) / 2


def _generator_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean() if kind == "hinge" else _bce(fake, 1.0)

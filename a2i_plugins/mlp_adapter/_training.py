"""The adapter training loop: MSE + (1 - cosine), per-epoch validation, saving and reports.

The loss is the seeds' combined loss; validation reports MSE and cosine
similarity between predicted and target embeddings after every epoch (the
seeds report MSE 0.68 -> 0.34 and cosine 0.81-0.82). The run itself (resume,
checkpoints, precision, several processes) is the shared template,
:class:`a2i_studio.training.LoopTrainer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional

from a2i_plugins.mlp_adapter._components import FORMAT
from a2i_plugins.mlp_adapter._data import captions, encode_features, encode_targets
from a2i_plugins.mlp_adapter._network import AdapterNetwork, input_dim, save_adapter
from a2i_studio import config
from a2i_studio.core import SD3_TEXT, Encoder, Generator, Registry, RunContext, TextEncoding
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import ParamError
from a2i_studio.training import RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

__all__ = ["AdapterLoop", "combined_loss"]


def combined_loss(prediction: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(MSE + (1 - mean cosine), MSE, mean cosine)`` over a batch of flattened embeddings."""
    mse = functional.mse_loss(prediction, target)
    cosine = functional.cosine_similarity(prediction, target, dim=1).mean()
    return mse + (1 - cosine), mse, cosine


def _components(registry: Registry, settings: Mapping[str, Any]) -> tuple[Encoder, Generator]:
    encoder = registry.get("encoder", settings["encoder"])
    generator = registry.get("generator", settings["generator"])
    if not isinstance(encoder, Encoder):
        raise ParamError(f"--encoder {settings['encoder']!r} is not an installed encoder; 'a2i chains' lists them.")
    if not isinstance(generator, Generator) or not isinstance(generator, TextEncoding):
        raise ParamError(
            f"--generator {settings['generator']!r} is not an installed generator that encodes text prompts "
            "(sd15, sd21 or sd3), so it cannot supply adapter targets."
        )
    allowed = ("first-n", "pooled") if generator.input_space == SD3_TEXT else ("first-n", "sequence")
    if settings["target"] not in allowed:
        raise ParamError(f"--target {settings['target']} does not fit {generator.id}; use {' or '.join(allowed)}.")
    return encoder, generator


class AdapterLoop(TrainingLoop):
    """An MLP from the encoder's features to the generator's caption embeddings.

    Args:
        registry: Where the encoder and generator named in the settings are found.
        data: The dataset (audio with a prompt or label per row).
        out: The run folder; features and targets are cached in ``OUT/cache``.
        settings: The resolved settings of :class:`~a2i_plugins.mlp_adapter._trainer.AdapterTrainer`.
        run: The accelerator and progress reporting.
    """

    best_by = "val_loss"

    def __init__(self, registry: Registry, data: Path, out: Path, settings: Mapping[str, Any],
                 run: TrainingRun) -> None:
        self.settings, self.run = settings, run
        # 1. Components, dataset and split.
        encoder, generator = _components(registry, settings)
        hidden = _widths(settings["hidden"])
        dataset = read_dataset(data)
        dataset.require("audio")
        train_items, val_items, _ = dataset.split(settings["seed"], val=settings["val_fraction"], test=0.0)
        ctx = RunContext(run.device, "float32", (settings["seed"],), lambda report: run.report(
            report.step, report.total, report.stage))

        # 2. Features and targets (cached under OUT/cache).
        encoder_params = {param.name: param.default for param in encoder.params}
        items = (*train_items, *val_items)
        features = encode_features(encoder, items, encoder_params, ctx, out / "cache")
        targets, empty = encode_targets(generator, captions(items, settings["template"]), settings, ctx,
                                        out / "cache")
        n_train = self.n_train = len(train_items)

        # 3. The network, its input standardisation and the fixed part of the output.
        self.adapter_id = settings["adapter_id"] or f"mlp-{encoder.id}-{generator.id}"
        network_config = {
            "format": FORMAT, "id": self.adapter_id, "input_space": encoder.output_space.name,
            "output_space": generator.input_space.name, "input_dim": input_dim(encoder.output_space),
            "hidden": hidden, "dropout": settings["dropout"], "norm": settings["norm"], "target": settings["target"],
            "tokens": settings["tokens"], "padding": settings["padding"], "encoder": encoder.id,
            "encoder_params": encoder_params, "generator": generator.id, "generator_model": settings["model"],
            "captions": settings["template"], "metrics": {},
        }
        torch.manual_seed(settings["seed"])
        network = AdapterNetwork(network_config, generator.input_space)
        spread = features[:n_train].std(dim=0, correction=0)
        network.input_mean.copy_(features[:n_train].mean(dim=0))
        network.input_std.copy_(spread.where(spread > 1e-6, torch.ones_like(spread)))  # constant features stay
        if settings["padding"] == "empty":
            network.fill_sequence.copy_(empty["sequence"] if isinstance(empty, dict) else empty)
            if isinstance(empty, dict):
                network.fill_pooled.copy_(empty["pooled"])

        # 4. AdamW; the batches are drawn from the training split, validation from the rest.
        optimizer = torch.optim.AdamW(
            network.parameters(), lr=settings["learning_rate"], weight_decay=settings["weight_decay"]
        )
        self.network, self.optimizer = run.accelerator.prepare(network, optimizer)
        self.features, self.targets = features[:n_train], targets[:n_train]
        self.val_features, self.val_targets = features[n_train:].to(run.device), targets[n_train:].to(run.device)

    def rounds(self) -> list[list[list[int]]]:
        """Each epoch's batches, shuffled by ``(seed, epoch)``; a short last batch is left out (batch norm)."""
        settings, n = self.settings, self.n_train
        rounds = []
        for epoch in range(settings["epochs"]):
            batches = shuffled_batches(settings["seed"], epoch, n, settings["batch_size"], self.run.processes)
            rounds.append([batch for batch in batches if len(batch) == settings["batch_size"]] or batches)
        return rounds

    def train_step(self, step: Step) -> float:
        """One AdamW step on MSE + (1 - cosine)."""
        share = list(step.share(step.batch))
        features, targets = self.features[share].to(self.run.device), self.targets[share].to(self.run.device)
        self.network.train()
        loss, _, _ = combined_loss(self.network(features), targets)
        self.optimizer.zero_grad()
        self.run.accelerator.backward(loss * step.weight(step.batch))
        self.optimizer.step()
        return float(loss.detach())

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """The loss, MSE and cosine similarity on the validation split."""
        network = self.run.accelerator.unwrap_model(self.network).eval()
        loss, mse, cosine = combined_loss(network(self.val_features), self.val_targets)
        return {"val_loss": float(loss), "val_mse": float(mse), "val_cosine": float(cosine)}

    def state(self) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
        return ({"adapter": self.run.accelerator.unwrap_model(self.network).state_dict()},
                {"adamw": self.optimizer.state_dict()})

    def restore(self, weights: dict[str, dict[str, torch.Tensor]], optimizers: dict[str, Any] | None) -> None:
        self.run.accelerator.unwrap_model(self.network).load_state_dict(weights["adapter"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["adamw"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        """Save the adapter into the models dir's ``adapters/``, its validation metrics in its config."""
        network: AdapterNetwork = self.run.accelerator.unwrap_model(self.network)
        network = network.cpu().eval()
        network.config["metrics"] = {key: result.exported[key] for key in ("val_loss", "val_mse", "val_cosine")}
        path = save_adapter(network, config.models_dir() / "adapters")
        return {"adapter": str(path), "train_pairs": self.n_train, "val_pairs": len(self.val_features)}


def _widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise ParamError(f"--hidden {text!r} should list layer widths, e.g. 1024,1024.")
    return widths


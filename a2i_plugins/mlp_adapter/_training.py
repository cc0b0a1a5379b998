"""The adapter training loop: MSE + (1 - cosine), per-epoch validation, saving and reports.

The loss is the seeds' combined loss; validation reports MSE and cosine
similarity between predicted and target embeddings after every epoch (the
seeds report MSE 0.68 -> 0.34 and cosine 0.81-0.82). ``accelerate`` places the
model and batches, so the same loop runs on a CPU, one GPU or several.
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
from a2i_studio.core import SD3_TEXT, CancelToken, Encoder, Generator, Progress, ProgressCallback, Registry, RunContext
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import ParamError
from a2i_studio.training import plot_loss_curves, write_json

__all__ = ["combined_loss", "fit"]


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
    if not isinstance(generator, Generator) or not hasattr(generator, "encode_text"):
        raise ParamError(
            f"--generator {settings['generator']!r} is not an installed generator that encodes text prompts "
            "(sd15, sd21 or sd3), so it cannot supply adapter targets."
        )
    allowed = ("first-n", "pooled") if generator.input_space == SD3_TEXT else ("first-n", "sequence")
    if settings["target"] not in allowed:
        raise ParamError(f"--target {settings['target']} does not fit {generator.id}; use {' or '.join(allowed)}.")
    return encoder, generator


def fit(
    registry: Registry,
    data: Path,
    out: Path,
    settings: Mapping[str, Any],
    progress: ProgressCallback | None,
    cancel: CancelToken,
) -> dict[str, Any]:
    """Train an adapter as :class:`~a2i_plugins.mlp_adapter._trainer.AdapterTrainer` describes."""
    from accelerate import Accelerator

    # 1. Components, dataset and split.
    encoder, generator = _components(registry, settings)
    hidden = _widths(settings["hidden"])
    dataset = read_dataset(data)
    dataset.require("audio")
    train_items, val_items, _ = dataset.split(settings["seed"], val=settings["val_fraction"], test=0.0)
    accelerator = Accelerator()
    ctx = RunContext(str(accelerator.device), "float32", (settings["seed"],), progress, cancel)

    # 2. Features and targets (cached under OUT/cache).
    encoder_params = {param.name: param.default for param in encoder.params}
    items = (*train_items, *val_items)
    features = encode_features(encoder, items, encoder_params, ctx, out / "cache")
    targets, empty = encode_targets(generator, captions(items, settings["template"]), settings, ctx, out / "cache")
    n_train = len(train_items)

    # 3. The network, its input standardisation and the fixed part of the output.
    adapter_id = settings["adapter_id"] or f"mlp-{encoder.id}-{generator.id}"
    network_config = {
        "format": FORMAT, "id": adapter_id, "input_space": encoder.output_space.name,
        "output_space": generator.input_space.name, "input_dim": input_dim(encoder.output_space), "hidden": hidden,
        "dropout": settings["dropout"], "norm": settings["norm"], "target": settings["target"],
        "tokens": settings["tokens"], "padding": settings["padding"], "encoder": encoder.id,
        "encoder_params": encoder_params, "generator": generator.id, "generator_model": settings["model"],
        "captions": settings["template"], "metrics": {},
    }
    torch.manual_seed(settings["seed"])
    network = AdapterNetwork(network_config, generator.input_space)
    spread = features[:n_train].std(dim=0, correction=0)
    network.input_mean.copy_(features[:n_train].mean(dim=0))
    network.input_std.copy_(spread.where(spread > 1e-6, torch.ones_like(spread)))  # constant features stay as they are
    if settings["padding"] == "empty":
        network.fill_sequence.copy_(empty["sequence"] if isinstance(empty, dict) else empty)
        if isinstance(empty, dict):
            network.fill_pooled.copy_(empty["pooled"])

    # 4. Train with AdamW; validate after every epoch.
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=settings["learning_rate"], weight_decay=settings["weight_decay"]
    )
    order = torch.Generator().manual_seed(settings["seed"])
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(features[:n_train], targets[:n_train]),
        batch_size=settings["batch_size"], shuffle=True, generator=order, drop_last=n_train > settings["batch_size"],
    )
    network, optimizer, loader = accelerator.prepare(network, optimizer, loader)
    val_features, val_targets = features[n_train:].to(accelerator.device), targets[n_train:].to(accelerator.device)
    history: list[dict[str, float]] = []
    for epoch in range(1, settings["epochs"] + 1):
        network.train()
        total = 0.0
        for batch_features, batch_targets in loader:
            cancel.raise_if_cancelled()
            loss, _, _ = combined_loss(network(batch_features), batch_targets)
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            total += float(loss) * len(batch_features)
        network.eval()
        with torch.no_grad():
            val_loss, val_mse, val_cosine = combined_loss(network(val_features), val_targets)
        history.append({
            "epoch": epoch, "train_loss": total / n_train, "val_loss": float(val_loss),
            "val_mse": float(val_mse), "val_cosine": float(val_cosine),
        })
        if progress is not None:
            stage = f"epoch {epoch}: val MSE {val_mse:.3f}, cosine {val_cosine:.3f}"
            progress(Progress(epoch, settings["epochs"], stage))

    # 5. Save the adapter into the models dir, and the reports into OUT (once, under accelerate launch).
    final = history[-1]
    unwrapped: AdapterNetwork = accelerator.unwrap_model(network).cpu().eval()
    unwrapped.config["metrics"] = {key: final[key] for key in ("val_loss", "val_mse", "val_cosine")}
    weights_path = config.models_dir() / "adapters" / f"{adapter_id}.safetensors"
    if accelerator.is_main_process:
        save_adapter(unwrapped, weights_path.parent)
        write_json(out / "metrics.json", {"adapter": str(weights_path), "history": history})
        curves = {"train": [row["train_loss"] for row in history], "val": [row["val_loss"] for row in history]}
        plot_loss_curves(out / "loss_curve.png", curves, title=f"{adapter_id}: MSE + (1 - cosine)")
    return {
        "adapter": str(weights_path), "epochs": settings["epochs"], "train_pairs": n_train, "val_pairs": len(val_items),
        "val_mse_first": history[0]["val_mse"], "val_mse": final["val_mse"], "val_cosine": final["val_cosine"],
    }


def _widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise ParamError(f"--hidden {text!r} should list layer widths, e.g. 1024,1024.")
    return widths


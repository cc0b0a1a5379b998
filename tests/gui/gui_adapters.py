"""Random MLP adapter files for GUI tests: they put a chain's adapter into the models folder without training."""

from __future__ import annotations

from pathlib import Path

import torch


def write_adapter(models_dir: Path, adapter_id: str, encoder: str, input_space: str, output_space: str) -> Path:
    """Save a random MLP adapter ``adapter_id`` (``input_space`` to ``output_space``) in ``models_dir/adapters``."""
    from a2i_plugins.mlp_adapter import FORMAT
    from a2i_plugins.mlp_adapter._network import AdapterNetwork, input_dim, save_adapter
    from a2i_studio.core import Registry

    spaces = Registry()  # the built-in spaces, by name
    target = "pooled" if output_space == "sd3-text" else "first-n"
    config = {
        "format": FORMAT, "id": adapter_id, "input_space": input_space, "output_space": output_space,
        "input_dim": input_dim(spaces.space(input_space)), "hidden": [16], "dropout": 0.0, "norm": "layer",
        "target": target, "tokens": 4, "padding": "zeros", "encoder": encoder, "encoder_params": {},
        "generator": output_space, "generator_model": "", "captions": "", "metrics": {},
    }
    torch.manual_seed(1)
    return save_adapter(AdapterNetwork(config, spaces.space(output_space)), models_dir / "adapters")

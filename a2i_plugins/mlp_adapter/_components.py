"""The MLP adapter component, one subclass per adapter file in the models dir's ``adapters/``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_studio import config
from a2i_studio.core import Adapter, Registry, RunContext, WeightSpec
from a2i_studio.errors import PluginError

if TYPE_CHECKING:
    from a2i_plugins.mlp_adapter._network import AdapterNetwork

__all__ = ["FORMAT", "MlpAdapter", "adapter_class", "register_adapter_files"]

FORMAT = "a2i-mlp-adapter/1"
"""The ``format`` field of an adapter's JSON config."""

_FIELDS = ("id", "input_space", "output_space", "encoder", "generator", "target", "metrics")


class MlpAdapter(Adapter):
    """A trained MLP; :func:`adapter_class` makes one subclass per adapter file."""

    config: ClassVar[Mapping[str, Any]]
    version = "1"

    def __init__(self) -> None:
        self._network: AdapterNetwork | None = None

    def load(self, device: str, dtype: str) -> None:
        """Read the adapter's safetensors file next to its JSON config."""
        import torch

        from a2i_plugins.mlp_adapter._network import load_adapter
        from a2i_studio.weights import find

        network = load_adapter(find(self.weights[0]), self.config, self.output_space)
        self._network = network.to(device=device, dtype=getattr(torch, dtype))

    def unload(self) -> None:
        self._network = None

    def adapt(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> Any:
        import torch

        from a2i_plugins.mlp_adapter._network import flatten_input

        assert self._network is not None, "load() first"
        features = flatten_input(value, self.input_space).to(ctx.device, ctx.torch_dtype)
        with torch.inference_mode():
            return self._network.complete(self._network(features[None])[0])


def adapter_class(adapter_config: Mapping[str, Any], registry: Registry) -> type[MlpAdapter]:
    """The :class:`MlpAdapter` subclass for one adapter config, its spaces looked up in ``registry`` by name.

    Raises:
        ValueError: If the config lacks a field or names a space no plugin declares (the sentence says which).
    """
    missing = [name for name in _FIELDS if name not in adapter_config]
    if missing:
        raise ValueError(f"it lacks the field {missing[0]!r}")
    spaces = []
    for role in ("input_space", "output_space"):
        space = registry.space(str(adapter_config[role]))
        if space is None:
            raise ValueError(f"its {role} {adapter_config[role]!r} is a space no installed plugin declares")
        spaces.append(space)
    input_space, output_space = spaces
    adapter_id = str(adapter_config["id"])
    spec = WeightSpec(
        name=adapter_id, filename=f"{adapter_id}.safetensors", subdir="adapters",
        description=f"weights of the MLP adapter {adapter_id}",
    )
    metrics = adapter_config["metrics"] if isinstance(adapter_config["metrics"], Mapping) else {}
    attributes = {
        "id": adapter_id,
        "name": f"MLP {input_space.name} -> {output_space.name}",
        "description": (
            f"MLP adapter trained with {adapter_config['encoder']} -> {adapter_config['generator']} "
            f"({adapter_config['target']} target); val cosine {metrics.get('val_cosine', 'n/a')}."
        ),
        "input_space": input_space,
        "output_space": output_space,
        "weights": (spec,),
        "config": dict(adapter_config),
    }
    return type(f"MlpAdapter_{adapter_id.replace('-', '_').replace('.', '_')}", (MlpAdapter,), attributes)


def register_adapter_files(registry: Registry) -> None:
    """Register one adapter per ``adapters/*.json`` config of this format; report, and skip, each bad file."""
    folder = config.models_dir() / "adapters"
    first_with_id: dict[str, Path] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            adapter_config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            registry.report(f"skipped the adapter config {path}: it is not readable JSON ({error}); fix or delete it.")
            continue
        if not isinstance(adapter_config, dict) or adapter_config.get("format") != FORMAT:
            continue
        adapter_id = str(adapter_config.get("id"))
        if adapter_id in first_with_id:
            registry.report(
                f"skipped the adapter config {path}: its id {adapter_id!r} is also the id of "
                f"{first_with_id[adapter_id].name}; give one of them another id (its 'id' and file names)."
            )
            continue
        try:
            registry.add_adapter(adapter_class(adapter_config, registry)())
        except (ValueError, PluginError) as error:
            registry.report(f"skipped the adapter config {path}: {str(error).rstrip('.')}.")
            continue
        first_with_id[adapter_id] = path

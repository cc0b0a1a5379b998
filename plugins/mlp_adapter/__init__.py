"""MLP adapters from an audio encoder's space to a Stable Diffusion text space, and their trainer.

An adapter's spaces are fixed per trained file, so this plugin registers one
adapter per file pair ``<id>.safetensors`` + ``<id>.json`` found in the models
dir's ``adapters/`` folder (``A2I_MODELS_DIR``), with the id, spaces and target
mode its config records, e.g. ``mlp-vggish-sd15`` (``vggish`` -> ``clip-text/sd15``).
With no adapter files it registers no adapter; ``a2i train adapter --encoder
vggish --generator sd15 --data DIR --out DIR`` makes one, and it appears on the
next start. A config that cannot be read is skipped with a warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_studio import config
from a2i_studio.core import (
    CLIP_TEXT_SD15,
    CLIP_TEXT_SD21,
    FFT_FRAMES,
    IMAGEBIND_AUDIO,
    MFCC_SUMMARY,
    SD3_TEXT,
    VGGISH,
    VGGISH_SEQUENCE,
    Adapter,
    RunContext,
    WeightSpec,
)
from a2i_studio.hookspecs import hookimpl

if TYPE_CHECKING:
    from a2i_plugins.mlp_adapter._network import AdapterNetwork

__all__ = ["FORMAT", "SPACES", "MlpAdapter", "a2i_register_components", "a2i_register_trainers", "adapter_class"]

__version__ = "1.0.0"

FORMAT = "a2i-mlp-adapter/1"
"""The ``format`` field of an adapter's JSON config."""

log = logging.getLogger(__name__)

SPACES = {
    space.name: space
    for space in (
        VGGISH, VGGISH_SEQUENCE, MFCC_SUMMARY, FFT_FRAMES, IMAGEBIND_AUDIO, CLIP_TEXT_SD15, CLIP_TEXT_SD21, SD3_TEXT
    )
}
"""The spaces an adapter config may name, by name."""


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


def adapter_class(adapter_config: Mapping[str, Any], folder: Path) -> type[MlpAdapter]:
    """The :class:`MlpAdapter` subclass for one adapter config found in ``folder``.

    Raises:
        KeyError: If the config lacks a field or names an unknown space.
    """
    adapter_id = adapter_config["id"]
    spec = WeightSpec(
        name=adapter_id, filename=f"{adapter_id}.safetensors", subdir="adapters",
        description=f"weights of the MLP adapter {adapter_id}",
    )
    input_space, output_space = SPACES[adapter_config["input_space"]], SPACES[adapter_config["output_space"]]
    attributes = {
        "id": adapter_id,
        "name": f"MLP {input_space.name} -> {output_space.name}",
        "description": (
            f"MLP adapter trained with {adapter_config['encoder']} -> {adapter_config['generator']} "
            f"({adapter_config['target']} target); val cosine {adapter_config['metrics'].get('val_cosine', 'n/a')}."
        ),
        "input_space": input_space,
        "output_space": output_space,
        "weights": (spec,),
        "config": dict(adapter_config),
    }
    return type(f"MlpAdapter_{adapter_id.replace('-', '_')}", (MlpAdapter,), attributes)


@hookimpl
def a2i_register_components(registry: Any) -> None:
    """Register one adapter per ``adapters/*.json`` config of this format in the models dir."""
    folder = config.models_dir() / "adapters"
    for path in sorted(folder.glob("*.json")):
        try:
            adapter_config = json.loads(path.read_text(encoding="utf-8"))
            if adapter_config.get("format") != FORMAT:
                continue
            registry.add_adapter(adapter_class(adapter_config, folder)())
        except (OSError, ValueError, KeyError, AttributeError) as error:
            log.warning("Skipping adapter config %s: %s", path, error)


@hookimpl
def a2i_register_trainers(registry: Any) -> None:
    """Register the ``adapter`` trainer (``a2i train adapter``)."""
    from a2i_plugins.mlp_adapter._trainer import AdapterTrainer

    registry.add_trainer(AdapterTrainer(registry))

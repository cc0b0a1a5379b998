"""MLP adapters from an audio encoder's space to a Stable Diffusion text space, and their trainer.

An adapter's spaces are fixed per trained file, so this plugin registers one
adapter per file pair ``<id>.safetensors`` + ``<id>.json`` found in the models
dir's ``adapters/`` folder (``A2I_MODELS_DIR``), with the id, spaces and target
mode its config records, e.g. ``mlp-vggish-sd15`` (``vggish`` -> ``clip-text/sd15``).
With no adapter files it registers no adapter; ``a2i train adapter --encoder
vggish --generator sd15 --data DIR --out DIR`` makes one, and it appears on the
next start. A config that cannot be read, names a space no plugin declares, or
repeats another file's id is skipped, and reported (``a2i plugins list``):
one bad file never takes the other adapters down.
"""

from __future__ import annotations

from a2i_plugins.mlp_adapter._components import FORMAT, MlpAdapter, adapter_class, register_adapter_files
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["FORMAT", "MlpAdapter", "a2i_register_components", "a2i_register_trainers", "adapter_class"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register one adapter per ``adapters/*.json`` config of this format in the models dir."""
    register_adapter_files(registry)


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the ``adapter`` trainer (``a2i train adapter``)."""
    from a2i_plugins.mlp_adapter._trainer import AdapterTrainer

    registry.add_trainer(AdapterTrainer(registry))

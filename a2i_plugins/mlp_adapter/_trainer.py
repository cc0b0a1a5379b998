"""The ``adapter`` trainer's declaration: its settings, checked before any heavy import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import ChoiceParam, FloatParam, IntParam, Registry, TextParam
from a2i_studio.training import LoopTrainer

if TYPE_CHECKING:
    from a2i_studio.training import TrainingLoop, TrainingRun

__all__ = ["PRESETS", "TARGETS", "AdapterTrainer"]

TARGETS = ("first-n", "sequence", "pooled")
"""What the MLP predicts: the first N tokens, every token, or SD3's pooled vector only."""

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"hidden": "512", "epochs": 10},
    "seed": {},  # the published recipe: two hidden layers of 1024, 20 epochs (the parameters' defaults)
    "thorough": {"hidden": "2048,1024", "epochs": 60, "dropout": 0.2},
}
"""Settings to start from: ``quick`` to see whether the data works, ``seed`` the published recipe,
``thorough`` for a larger dataset."""


class AdapterTrainer(LoopTrainer):
    """Trains an MLP adapter from an encoder's embeddings to a generator's text embeddings.

    Targets are the captions of the dataset (its ``prompt`` column, or ``template``
    filled with the ``label``) encoded by the generator's own text encoder. The
    adapter is saved into the models dir's ``adapters/``; ``--out`` gets the
    feature cache, the checkpoints (the last and the best by validation loss),
    ``metrics.json`` and ``loss_curve.png``.

    Args:
        registry: Where the encoder and generator named in the settings are found.
    """

    id = "adapter"
    makes = "adapter"
    name = "MLP adapter"
    description = "Train an MLP from an audio encoder's embedding to a Stable Diffusion text embedding."
    version = "1"
    resume_may_change = frozenset({"adapter_id"})
    presets = PRESETS
    params = (
        ChoiceParam("preset", "seed", "settings to start from: quick, seed (the published recipe) or thorough",
                    tuple(PRESETS)),
        TextParam("encoder", "vggish", "id of the encoder whose embeddings the adapter reads"),
        TextParam("generator", "sd15", "id of the generator whose text embeddings the adapter predicts"),
        TextParam("model", "", "the generator's model parameter for encoding captions (empty: its default)"),
        TextParam("adapter_id", "", "id of the new adapter (empty: mlp-ENCODER-GENERATOR)"),
        ChoiceParam("target", "first-n", "first-n tokens, the whole sequence, or SD3's pooled vector", TARGETS),
        IntParam("tokens", 20, "tokens predicted by the first-n target", minimum=1, maximum=333),
        ChoiceParam("padding", "empty", "tokens after the first N: the empty prompt's, or zeros", ("empty", "zeros")),
        TextParam("template", "a photo of a {label}", "caption of rows without a prompt; {label} is replaced"),
        TextParam("hidden", "1024,1024", "widths of the hidden layers, comma separated"),
        FloatParam("dropout", 0.1, "dropout after each hidden layer", minimum=0.0, maximum=0.9),
        ChoiceParam("norm", "layer", "normalisation after each hidden layer", ("layer", "batch", "none")),
        IntParam("epochs", 20, "passes over the training split", minimum=1, maximum=100_000),
        IntParam("batch_size", 32, "pairs per optimisation step", minimum=1, maximum=65_536),
        FloatParam("learning_rate", 1e-3, "AdamW learning rate", minimum=1e-7, maximum=1.0),
        FloatParam("weight_decay", 1e-4, "AdamW weight decay", minimum=0.0, maximum=1.0),
        FloatParam("val_fraction", 0.2, "share of each label held out for validation", minimum=0.01, maximum=0.5),
        IntParam("seed", 0, "seed of the split, the initial weights and the batch order"),
    )

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Encode the pairs and build the MLP (see :class:`~a2i_plugins.mlp_adapter._training.AdapterLoop`)."""
        from a2i_plugins.mlp_adapter._training import AdapterLoop

        return AdapterLoop(self._registry, data, out, settings, run)

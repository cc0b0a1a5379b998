"""The ``pixel`` trainer's declaration: its settings and presets, checked before any heavy import."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_plugins.pixel_transformer._presets import PRESETS, preset_values
from a2i_studio.core import BoolParam, ChoiceParam, FloatParam, IntParam
from a2i_studio.training import LoopTrainer

if TYPE_CHECKING:
    from a2i_studio.training import TrainingLoop, TrainingRun

__all__ = ["PixelTrainer"]

_DEFAULT = preset_values(PRESETS["default"])


class PixelTrainer(LoopTrainer):
    """``a2i train pixel``: trains the pixel transformer on a paired dataset.

    The model's shape and learning-rate schedule come from the preset (``seed``:
    the paper's; ``default``: what learns on a few thousand pairs; ``tiny``: for
    smoke tests); the settings below override the preset's values. ``OUT`` gets
    the checkpoints (the last and the best by validation bits per pixel), the
    model ``pixel-transformer.safetensors``, ``metrics.json`` and ``loss_curve.png``.
    """

    id = "pixel"
    name = "Pixel transformer"
    description = "Train the pixel transformer (FFT frames to 32x32 pictures) on a paired audio/image dataset."
    version = "1"
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        name: preset_values(preset) for name, preset in PRESETS.items()
    }
    params = (
        ChoiceParam("preset", "default", "'seed': the paper's settings; 'default': what learns; 'tiny': smoke tests",
                    choices=tuple(PRESETS)),
        IntParam("epochs", _DEFAULT["epochs"], "passes over the training pairs", 1, 100_000),
        IntParam("batch_size", _DEFAULT["batch_size"], "pairs per step", 1, 4096),
        FloatParam("learning_rate", _DEFAULT["learning_rate"], "peak learning rate", 1e-9, 1.0),
        ChoiceParam("image_mode", _DEFAULT["image_mode"], "grayscale or rgb pictures", choices=("grayscale", "rgb")),
        IntParam("image_size", _DEFAULT["image_size"], "side of the pictures in pixels", 4, 256),
        BoolParam("flip", _DEFAULT["flip"], "mirror half the pictures left to right (off for digits or text)"),
        BoolParam("audio_augment", _DEFAULT["audio_augment"], "shift the audio in time and change its gain at random"),
        FloatParam("val_fraction", 0.1, "share of each class held out for validation", 0.01, 0.5),
        IntParam("seed", 0, "seeds the weights, split, data order and augmentation"),
    )

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Read the pairs and build the model (see :class:`~a2i_plugins.pixel_transformer._training.PixelLoop`)."""
        from a2i_plugins.pixel_transformer._presets import settings_from
        from a2i_plugins.pixel_transformer._training import PixelLoop

        return PixelLoop(data, settings_from(settings), run)

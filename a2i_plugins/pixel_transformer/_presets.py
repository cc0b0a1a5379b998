"""Training settings and the presets ``a2i train pixel --preset`` starts from; no torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from a2i_plugins.pixel_transformer._config import PixelConfig

__all__ = ["PRESETS", "TrainSettings", "preset_values", "settings_from"]


@dataclass(frozen=True)
class TrainSettings:
    """Everything a training run does, besides the data.

    Attributes:
        preset: The preset these settings started from.
        config: The model's shape.
        epochs: Passes over the training pairs.
        batch_size: Pairs per optimizer step.
        learning_rate: Peak learning rate.
        warmup_steps: Steps of linear warm-up to the peak.
        schedule: After warm-up, ``"inverse_sqrt"`` (*Attention Is All You Need*,
            the seed's "decays proportionally") or ``"cosine"`` to zero at the last step.
        weight_decay: AdamW weight decay (0 is plain Adam).
        cfg_dropout: Share of pairs whose audio is replaced by the "no audio"
            memory, so the model also learns the unconditional distribution
            that classifier-free guidance contrasts with.
        flip: Mirror half the pictures left to right (off where that changes
            meaning: digits, text).
        audio_augment: Random time shifts and gains of the audio.
        precision: The ``precision`` setting the preset asks for (``auto``: bf16 where native).
        val_fraction: Share of each class held out to report validation bits per pixel.
        seed: Seeds the weights, the split, the data order and the augmentations.
    """

    preset: str
    config: PixelConfig
    epochs: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    schedule: str
    weight_decay: float
    cfg_dropout: float
    flip: bool
    audio_augment: bool
    precision: str
    val_fraction: float = 0.1
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {**asdict(self), "config": self.config.to_dict()}


PRESETS: dict[str, TrainSettings] = {
    # The seed paper (section 4.1): 6+6 layers, 512-d, 8 heads, 32x32 grayscale, every one of the
    # 500 sections its own audio token, Adam, warm-up over 300 steps to 1e-7 then inverse-square-root
    # decay, 300 epochs, a 90/10 split. The batch size is not given; 16 is assumed. It did not learn.
    "seed": TrainSettings(
        preset="seed",
        config=PixelConfig(),
        epochs=300,
        batch_size=16,
        learning_rate=1e-7,
        warmup_steps=300,
        schedule="inverse_sqrt",
        weight_decay=0.0,
        cfg_dropout=0.0,
        flip=False,
        audio_augment=False,
        precision="no",
    ),
    # What learns on a few thousand pairs in about 90 minutes of one CPU core: a small model (64-d, 2+4 layers),
    # a learning rate 20,000 times the seed's with cosine decay, 10 sections per audio token
    # (a scene's sound is a steady texture), grid positions, augmentation, and the audio dropped for
    # 10% of the pairs for guidance. RGB, because colour is most of what tells these scenes apart;
    # the window is one image row (96 tokens). No dropout: on the CPU its random masks cost more than
    # the model, and 14 epochs over augmented pairs do not overfit (validation bits fell every epoch).
    "default": TrainSettings(
        preset="default",
        config=PixelConfig(
            channels=3, d_model=64, heads=2, encoder_layers=2, decoder_layers=4, audio_stride=10, window=96,
            dropout=0.0, positions="grid",
        ),
        epochs=14,
        batch_size=16,
        learning_rate=2e-3,
        warmup_steps=100,
        schedule="cosine",
        weight_decay=0.01,
        cfg_dropout=0.1,
        flip=True,
        audio_augment=True,
        precision="auto",
    ),
    # A model of a few thousand weights for tests and smoke runs.
    "tiny": TrainSettings(
        preset="tiny",
        config=PixelConfig(
            image_size=8, d_model=32, heads=2, encoder_layers=1, decoder_layers=1, audio_stride=50, window=16,
            dropout=0.0, positions="grid",
        ),
        epochs=2,
        batch_size=4,
        learning_rate=3e-3,
        warmup_steps=2,
        schedule="cosine",
        weight_decay=0.0,
        cfg_dropout=0.1,
        flip=True,
        audio_augment=True,
        precision="no",
    ),
}
"""The presets by name."""


def preset_values(preset: TrainSettings) -> dict[str, Any]:
    """The trainer's settings a preset fills in (those not given explicitly)."""
    config = preset.config
    return {
        "epochs": preset.epochs, "batch_size": preset.batch_size, "learning_rate": preset.learning_rate,
        "image_mode": "rgb" if config.channels == 3 else "grayscale", "image_size": config.image_size,
        "flip": preset.flip, "audio_augment": preset.audio_augment, "precision": preset.precision,
    }


def settings_from(values: dict[str, Any]) -> TrainSettings:
    """The training settings for the trainer's resolved settings ``values``.

    The model's shape and the optimizer's schedule come from the preset that
    ``values["preset"]`` names; ``values`` choose the rest.
    """
    base = PRESETS[values["preset"]]
    config = base.config
    channels = 3 if values["image_mode"] == "rgb" else 1
    # The window stays the same number of image rows.
    config = replace(config, channels=channels, window=config.window * channels // config.channels,
                     image_size=values["image_size"])
    return replace(
        base, config=config, epochs=values["epochs"], batch_size=values["batch_size"],
        learning_rate=values["learning_rate"], flip=values["flip"], audio_augment=values["audio_augment"],
        precision=values["precision"], val_fraction=values["val_fraction"], seed=values["seed"],
    )

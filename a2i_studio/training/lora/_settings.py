"""LoRA training settings: one dataclass, its presets, and the parameter schema built from it.

Every field of :class:`LoraSettings` is declared once, with its parameter kind,
help and range; :func:`lora_params` turns the fields into the trainer's
parameters (``a2i train lora --rank 32``, the wizard's Advanced form), and
:func:`settings_from` makes the dataclass from the trainer's resolved settings
(defaults, then the preset, then what the user gave: ``Trainer.resolve_settings``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from a2i_studio.core import BoolParam, ChoiceParam, FloatParam, IntParam, Param, TextParam

__all__ = [
    "DEFAULT_BASE",
    "LR_SCHEDULERS",
    "PRESETS",
    "LoraSettings",
    "lora_params",
    "settings_from",
]

DEFAULT_BASE = "stable-diffusion-v1-5/stable-diffusion-v1-5"
"""The base model when none is given: Stable Diffusion 1.5 (diffusers layout)."""

LR_SCHEDULERS = (
    "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial",
)
"""Learning-rate schedules, by their names in ``diffusers.optimization.get_scheduler``."""


def _setting(kind: type[Param], default: Any, help_text: str, **extra: Any) -> Any:
    """A dataclass field that also declares the parameter it is exposed as."""
    return field(default=default, metadata={"param": (kind, help_text, extra)})


@dataclass(frozen=True)
class LoraSettings:
    """Everything a LoRA run is decided by; defaults are the ``balanced`` preset.

    See :func:`lora_params` (or ``a2i train lora --help``) for what each field means.
    """

    preset: str = _setting(ChoiceParam, "balanced", "starting point: quick, balanced or quality; settings "
                           "given explicitly override it", choices=("quick", "balanced", "quality"))
    base: str = _setting(TextParam, DEFAULT_BASE, "SD 1.x/2.x or SD 2.1 unCLIP to train on: a Hugging Face repo id, "
                         "a diffusers folder, or a folder name in the models dir's checkpoints/")
    name: str = _setting(TextParam, "", "file name of the LoRA in the models dir's loras/ (empty: the data folder's)")
    conditioning: str = _setting(ChoiceParam, "captions", "captions: train on each image's caption; audio: on "
                                 "the embedding the audio chain makes from each row's clip",
                                 choices=("captions", "audio"))
    caption_template: str = _setting(TextParam, "a photo of a {label}", "caption of images without one; {label} is "
                                     "the row's label or the image's folder name")
    audio_chain: str = _setting(TextParam, "vggish>mlp-vggish-sd15", "encoder>adapter... whose output conditions "
                                "the U-Net (audio conditioning); the same chain you generate with")
    rank: int = _setting(IntParam, 16, "LoRA rank: capacity of the update (4-64 usual)", minimum=1, maximum=512)
    alpha: float = _setting(FloatParam, 16.0, "LoRA alpha: the update is scaled by alpha / rank", minimum=0.01,
                            maximum=1024.0)
    train_text_encoder: bool = _setting(BoolParam, False, "also train a LoRA on the text encoder")
    learning_rate: float = _setting(FloatParam, 1e-4, "AdamW learning rate", minimum=1e-8, maximum=1.0)
    lr_scheduler: str = _setting(ChoiceParam, "cosine", "learning-rate schedule after the warmup",
                                 choices=LR_SCHEDULERS)
    warmup_steps: int = _setting(IntParam, 50, "steps over which the learning rate rises from 0", minimum=0,
                                 maximum=100_000)
    weight_decay: float = _setting(FloatParam, 1e-2, "AdamW weight decay", minimum=0.0, maximum=1.0)
    max_steps: int = _setting(IntParam, 1500, "optimisation steps to train (0: use epochs)", minimum=0,
                              maximum=1_000_000)
    epochs: int = _setting(IntParam, 10, "passes over the images when max steps is 0", minimum=1, maximum=100_000)
    batch_size: int = _setting(IntParam, 1, "images per forward pass", minimum=1, maximum=256)
    gradient_accumulation: int = _setting(IntParam, 1, "forward passes per optimisation step", minimum=1,
                                          maximum=256)
    resolution: int = _setting(IntParam, 512, "training resolution in pixels (the area of every bucket)",
                               minimum=32, maximum=2048)
    buckets: bool = _setting(BoolParam, True, "aspect-ratio buckets: keep each image's shape instead of squaring it")
    center_crop: bool = _setting(BoolParam, True, "crop the centre when fitting an image (off: a random crop)")
    random_flip: bool = _setting(BoolParam, True, "flip images horizontally at random (off for text or "
                                 "anything whose mirror image means something else)")
    gradient_checkpointing: bool = _setting(BoolParam, False, "recompute activations: much less memory, slower")
    cache_latents: bool = _setting(BoolParam, True, "encode every image with the VAE once, before training")
    seed: int = _setting(IntParam, 0, "seed of the LoRA initialisation, batch order, noise and samples", minimum=0,
                         maximum=2**31 - 1)
    caption_dropout: float = _setting(FloatParam, 0.05, "share of captions replaced by the empty one "
                                      "(keeps guidance working)", minimum=0.0, maximum=1.0)
    noise_offset: float = _setting(FloatParam, 0.0, "offset noise: helps very dark or bright images (0.05 typical)",
                                   minimum=0.0, maximum=1.0)
    sample_prompts: str = _setting(TextParam, "", "prompts of the sample images, separated by | (empty: the first "
                                   "caption)")
    sample_clips: str = _setting(TextParam, "", "audio files of the samples when conditioning on audio, separated by "
                                 "| (empty: the first clip)")
    sample_every: int = _setting(IntParam, 250, "render samples every N steps (0: only at the end)", minimum=0,
                                 maximum=1_000_000)
    sample_steps: int = _setting(IntParam, 20, "denoising steps of each sample", minimum=1, maximum=200)
    checkpoint_every: int = _setting(IntParam, 250, "save a checkpoint every N steps (0: only at the end); the "
                                     "last and the best are kept", minimum=0, maximum=1_000_000)

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict, every field by name."""
        return dataclasses.asdict(self)


PRESETS: dict[str, dict[str, Any]] = {
    "quick": {
        "rank": 8, "alpha": 8.0, "learning_rate": 2e-4, "lr_scheduler": "constant_with_warmup", "warmup_steps": 20,
        "max_steps": 300, "sample_every": 100, "checkpoint_every": 100, "cache_latents": True,
    },
    "balanced": {},
    "quality": {
        "rank": 32, "alpha": 32.0, "learning_rate": 5e-5, "warmup_steps": 200, "max_steps": 4000,
        "gradient_accumulation": 2, "train_text_encoder": True, "sample_every": 500, "checkpoint_every": 500,
    },
}
"""Values each preset changes from the defaults (``balanced`` is the defaults)."""


def lora_params() -> tuple[Param, ...]:
    """The trainer's parameter schema, one parameter per :class:`LoraSettings` field."""
    params = []
    for item in dataclasses.fields(LoraSettings):
        kind, help_text, extra = item.metadata["param"]
        params.append(kind(item.name, item.default, help_text, **extra))
    return tuple(params)


def settings_from(values: Mapping[str, Any]) -> LoraSettings:
    """The dataclass of the trainer's resolved settings ``values`` (settings it does not hold are left out)."""
    return LoraSettings(**{item.name: values[item.name] for item in dataclasses.fields(LoraSettings)})

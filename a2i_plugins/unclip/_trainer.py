"""The ``unclip`` trainer's declaration (SounDiff fine-tuning): its settings, checked before any heavy import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import BoolParam, ChoiceParam, FloatParam, IntParam, Registry, TextParam
from a2i_studio.training import LoopTrainer

if TYPE_CHECKING:
    from a2i_studio.training import TrainingLoop, TrainingRun

__all__ = ["UnclipTrainer"]


class UnclipTrainer(LoopTrainer):
    """Fine-tunes the unCLIP U-Net on (audio, image) pairs, as SounDiff did.

    Each pair's ImageBind audio embedding stands in for the image embedding the
    U-Net is conditioned on, and the U-Net learns to denoise the VAE latents of
    the pair's image (MSE on the scheduler's own target: the noise, or ``v`` for
    the v-prediction SD 2.1 unCLIP). Variant ``L`` is unconditioned (empty
    prompt); variant ``S`` adds a short fixed prompt (SounDiff-S: "satellite
    image"). Defaults are SounDiff-L's: AdamW (0.9, 0.999), weight decay 0.01,
    learning rate falling linearly from 1e-6 to 1e-7, batch 4, 80 epochs, seed 42.

    A LoRA goes to the models dir's ``loras/NAME.safetensors`` (use it with
    ``--param loras=NAME``); a full fine-tune to ``checkpoints/NAME.safetensors``
    (a U-Net: ``--param model=NAME.safetensors``). ``--out`` gets the checkpoints
    (the last and the best by the fixed-noise loss over the pairs), ``metrics.json``,
    ``loss_curve.png`` and sample images.

    Args:
        registry: Where the ``imagebind`` encoder is found.
    """

    id = "unclip"
    name = "SounDiff (unCLIP fine-tuning)"
    description = "Fine-tune SD 2.1 unCLIP's U-Net (LoRA or full) on audio/image pairs with ImageBind embeddings."
    version = "1"
    resume_may_change = frozenset({"name", "preview_every", "preview_steps"})
    params = (
        ChoiceParam("variant", "L", "L: no prompt (SounDiff-L); S: the short prompt below (SounDiff-S)", ("L", "S")),
        TextParam("prompt", "satellite image", "the fixed prompt of variant S"),
        BoolParam("full", False, "fine-tune every U-Net weight instead of a LoRA"),
        IntParam("lora_rank", 8, "rank of the LoRA matrices", minimum=1, maximum=256),
        TextParam("model", "stabilityai/stable-diffusion-2-1-unclip", "the unCLIP pipeline to start from"),
        TextParam("name", "", "name of the result in the models dir (empty: soundiff-VARIANT)"),
        IntParam("epochs", 80, "passes over the pairs", minimum=1, maximum=100_000),
        IntParam("batch_size", 4, "pairs per optimisation step", minimum=1, maximum=1024),
        FloatParam("learning_rate", 1e-6, "AdamW learning rate at the start (LoRA usually wants about 1e-4)",
                   minimum=1e-9, maximum=1.0),
        FloatParam("final_learning_rate", 1e-7, "learning rate at the last step (linear decay)", 0.0, 1.0),
        FloatParam("weight_decay", 0.01, "AdamW weight decay", minimum=0.0, maximum=1.0),
        IntParam("resolution", 768, "images are resized and centre-cropped to this square size", 32, 2048),
        IntParam("clips", 3, "2 s windows per clip whose ImageBind embeddings are averaged", 1, 64),
        FloatParam("embedding_scale", 1.0, "multiplies the audio embeddings, as the generator's parameter", 0.0, 10.0),
        IntParam("noise_level", 0, "noise added to the embeddings during training (unCLIP's augmentation)", 0, 999),
        IntParam("preview_every", 10, "save a sample image every N epochs (0: never)", minimum=0, maximum=100_000),
        IntParam("preview_steps", 20, "denoising steps of the sample images", minimum=1, maximum=200),
        IntParam("seed", 42, "seed of the LoRA initialisation, batch order, noise and sample images"),
    )

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Load the pipeline and encode the pairs (see :class:`~a2i_plugins.unclip._training.UnclipLoop`)."""
        from a2i_plugins.unclip._training import UnclipLoop

        return UnclipLoop(self._registry, data, settings, run)

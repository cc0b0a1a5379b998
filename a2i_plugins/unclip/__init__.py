"""Stable Diffusion 2.1 unCLIP driven by an embedding in OpenCLIP ViT-H image space: ``unclip``.

unCLIP ("h") conditions its U-Net on an OpenCLIP ViT-H image embedding, and
ImageBind's audio embeddings live in that space, so ``imagebind>unclip`` turns
sound into pictures without training (the SounDiff baseline); ``a2i train
unclip`` fine-tunes the U-Net on (audio, image) pairs (SounDiff-L and -S).

The chain's embedding can be mixed with a reference image (encoded by the
pipeline's own CLIP image encoder) and steered by a text prompt. The model is
a parameter: a Hugging Face repo id or diffusers folder of the whole pipeline,
or a U-Net alone (a diffusers ``unet`` folder or a single ``.safetensors``/
``.ckpt`` file, such as a SounDiff fine-tune) used with the default pipeline's
other parts. See README.md in this folder.
"""

from __future__ import annotations

from a2i_plugins.unclip._components import UnclipGenerator
from a2i_plugins.unclip._family import SOUNDIFF, UNCLIP
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["UNCLIP", "UnclipGenerator", "a2i_register_components", "a2i_register_trainers"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the unCLIP generator and the SounDiff bundle (ImageBind + unCLIP)."""
    registry.add_generator(UnclipGenerator())
    registry.add_bundle(SOUNDIFF)


@hookimpl
def a2i_register_trainers(registry: Registry) -> None:
    """Register the SounDiff fine-tuning trainer, ``a2i train unclip``."""
    from a2i_plugins.unclip._trainer import UnclipTrainer

    registry.add_trainer(UnclipTrainer(registry))

"""ImageBind audio embeddings, in OpenCLIP ViT-H's image-embedding space.

ImageBind trained its audio tower to land next to the frozen OpenCLIP ViT-H
image embedding of the matching video frame, so its output can stand in for an
image embedding wherever one is taken, such as Stable Diffusion 2.1 unCLIP
(``imagebind>unclip``, the SounDiff baseline). This is the audio path of the
official model, written here (see ``_model.py``) and loaded from the official
``imagebind_huge.pth``: ``a2i models download imagebind`` fetches it, and the
first run keeps its audio tower as a small safetensors file beside it. See
README.md in this folder.

The embedding of a clip is the mean over ``clips`` evenly spaced 2 s windows of
the official per-window output: L2-normalised, times ImageBind's audio logit
scale 20, so its norm is at most 20 (exactly 20 for one window).
"""

from __future__ import annotations

from a2i_plugins.imagebind._components import (
    IMAGEBIND_AUDIO_FILE,
    IMAGEBIND_WEIGHTS,
    ImageBindAudioEncoder,
    extract_audio_weights,
)
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = [
    "IMAGEBIND_AUDIO_FILE",
    "IMAGEBIND_WEIGHTS",
    "ImageBindAudioEncoder",
    "a2i_register_components",
    "extract_audio_weights",
]

__version__ = "1.1.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the ImageBind audio encoder."""
    registry.add_encoder(ImageBindAudioEncoder())

"""The unCLIP model family: SD 2.1's, with the unCLIP pipeline class, weights and defaults. Plain data, no torch."""

from __future__ import annotations

import dataclasses

from a2i_plugins.diffusion.families import SD21
from a2i_studio.core import Bundle, Licence, WeightSpec

__all__ = ["SOUNDIFF", "UNCLIP"]

_REPO = "stabilityai/stable-diffusion-2-1-unclip"
_FILES = (
    "model_index.json", "scheduler/*.json", "image_noising_scheduler/*.json", "feature_extractor/*.json",
    "tokenizer/*", "text_encoder/*.json", "text_encoder/model.safetensors",
    "image_encoder/*.json", "image_encoder/model.safetensors",
    "image_normalizer/*.json", "image_normalizer/diffusion_pytorch_model.safetensors",
    "unet/*.json", "unet/diffusion_pytorch_model.safetensors", "vae/*.json", "vae/diffusion_pytorch_model.safetensors",
)
UNCLIP = dataclasses.replace(
    SD21,
    key="unclip",
    pipeline="StableUnCLIPImg2ImgPipeline",
    weights=WeightSpec(
        name="sd21-unclip", filename=_REPO.split("/")[1], hf_repo=_REPO, files=_FILES, subdir="checkpoints",
        size_bytes=7_690_000_000,  # fp32 U-Net, text encoder, OpenCLIP ViT-H image encoder and VAE, rounded
        description="Stable Diffusion 2.1 unCLIP (OpenCLIP ViT-H image embeddings) pipeline weights",
    ),
    steps=20,
    guidance=10.0,
    size=768,
)
"""The unCLIP family: the diffusers pipeline class, its weights and defaults (20 steps, guidance 10, 768 px)."""

IMAGEBIND_LICENCE = Licence(
    "CC BY-NC 4.0 (ImageBind)", "https://github.com/facebookresearch/ImageBind/blob/main/LICENSE",
    "Non-commercial use only: not in a product or service you are paid for; credit Meta AI.",
    must_accept=True,
)
SOUNDIFF = Bundle(
    id="soundiff",
    name="SounDiff: ImageBind audio + SD 2.1 unCLIP",
    description=(
        "ImageBind's audio tower lands next to OpenCLIP image embeddings, which SD 2.1 unCLIP paints from: "
        "pictures from sound with no training (imagebind>unclip). Best with a GPU."
    ),
    weights=("imagebind", UNCLIP.weights.name),
    licences=(IMAGEBIND_LICENCE, UNCLIP.licence),
    chains=("imagebind>unclip",),
)
"""Everything ``imagebind>unclip`` needs, registered by the unclip plugin (ImageBind's weights are the imagebind
plugin's; the bundle names them)."""

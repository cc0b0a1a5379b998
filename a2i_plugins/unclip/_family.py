"""The unCLIP model family: SD 2.1's, with the unCLIP pipeline class, weights and defaults. Plain data, no torch."""

from __future__ import annotations

import dataclasses

from a2i_plugins.diffusion.families import SD21
from a2i_studio.core import WeightSpec

__all__ = ["UNCLIP"]

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
        description="Stable Diffusion 2.1 unCLIP (OpenCLIP ViT-H image embeddings) pipeline weights",
    ),
    steps=20,
    guidance=10.0,
    size=768,
)
"""The unCLIP family: the diffusers pipeline class, its weights and defaults (20 steps, guidance 10, 768 px)."""

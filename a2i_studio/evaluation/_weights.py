"""The models the field's metrics need, declared as weights like any component's.

``a2i models list`` shows them and ``a2i models download NAME`` fetches them;
the metrics find them through :func:`a2i_studio.weights.find`, in the models
dir's ``encoders/`` first, then in the Hugging Face cache. Torch-free.
"""

from __future__ import annotations

from a2i_studio.core import IMAGEBIND_AUDIO, WeightSpec

__all__ = ["CLIP_WEIGHTS", "IMAGE_ENCODER_WEIGHTS", "METRIC_WEIGHTS", "OPENCLIP_VIT_H_WEIGHTS"]

CLIP_WEIGHTS = WeightSpec(
    name="clip-vit-l14",
    filename="clip-vit-large-patch14",
    description="OpenAI CLIP ViT-L/14 (transformers) for CLIP score, IIS, zero-shot AIC, FID and KID",
    size_bytes=1_710_000_000,
    hf_repo="openai/clip-vit-large-patch14",
    subdir="encoders",
    files=("config.json", "model.safetensors", "preprocessor_config.json", "vocab.json", "merges.txt"),
)
"""The judge of SonicDiffusion's IIS and AIC (ViT-L/14), also the feature network of our FID and KID."""

OPENCLIP_VIT_H_WEIGHTS = WeightSpec(
    name="openclip-vit-h14",
    filename="CLIP-ViT-H-14-laion2B-s32B-b79K",
    description="OpenCLIP ViT-H/14 image tower (transformers) for AIS with ImageBind audio embeddings",
    size_bytes=3_940_000_000,
    hf_repo="laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
    subdir="encoders",
    files=("config.json", "model.safetensors", "preprocessor_config.json"),
)
"""ImageBind's audio tower was trained into this model's image-embedding space."""

IMAGE_ENCODER_WEIGHTS: dict[str, WeightSpec] = {IMAGEBIND_AUDIO.name: OPENCLIP_VIT_H_WEIGHTS}
"""For AIS: the image encoder whose embeddings share a space with an audio encoder's output, by space name."""

METRIC_WEIGHTS: dict[str, tuple[WeightSpec, ...]] = {
    "clip-score": (CLIP_WEIGHTS,),
    "iis": (CLIP_WEIGHTS,),
    "aic-zero-shot": (CLIP_WEIGHTS,),
    "fid": (CLIP_WEIGHTS,),
    "kid": (CLIP_WEIGHTS,),
    "ais": (OPENCLIP_VIT_H_WEIGHTS,),
}
"""The weights each metric needs, by metric name (listed by ``a2i models list``)."""

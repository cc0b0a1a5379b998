"""The models the field's metrics need, declared as weights like any component's, and their bundles.

``a2i models list`` and the app's model manager show them, and ``a2i models
download NAME`` fetches them (a weights name or a bundle id); the metrics find
them through :func:`a2i_studio.weights.find`, in the models dir's ``encoders/``
first, then in the Hugging Face cache. Torch-free; below both the evaluation
(which uses the weights) and :mod:`a2i_studio.bundles` (which lists the bundles).
"""

from __future__ import annotations

from a2i_studio.core import IMAGEBIND_AUDIO, Bundle, Licence, WeightSpec

__all__ = ["CLIP_WEIGHTS", "IMAGE_ENCODER_WEIGHTS", "METRIC_BUNDLES", "METRIC_WEIGHTS", "OPENCLIP_VIT_H_WEIGHTS"]

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

_MIT = Licence("MIT", "https://opensource.org/license/mit", "Free use, commercial included; keep the copyright notice.")

METRIC_BUNDLES: tuple[Bundle, ...] = (
    Bundle(
        id="metrics-clip",
        name="Metrics: CLIP ViT-L/14",
        description="For 'a2i eval --clip' and '--fid': CLIP score, IIS, zero-shot AIC, FID and KID. "
        "Runs no chain by itself.",
        weights=(CLIP_WEIGHTS.name,),
        licences=(_MIT,),
    ),
    Bundle(
        id="metrics-ais",
        name="Metrics: OpenCLIP ViT-H/14 image tower",
        description="For 'a2i eval --ais imagebind': AIS between ImageBind audio and the pictures "
        "(needs the ImageBind weights too). Runs no chain by itself.",
        weights=(OPENCLIP_VIT_H_WEIGHTS.name,),
        licences=(_MIT,),
    ),
)
"""The metrics' weights as bundles, beside the plugins' bundles in the model manager and ``a2i models``."""

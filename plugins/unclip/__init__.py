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

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_plugins.diffusion.families import SD21
from a2i_studio.core import (
    IMAGEBIND_AUDIO,
    BoolParam,
    ChoiceParam,
    FloatParam,
    Generator,
    IntParam,
    PathParam,
    RunContext,
    TextParam,
    WeightSpec,
)
from a2i_studio.hookspecs import hookimpl

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_plugins.diffusion.loading import LoadedPipeline

__all__ = ["UNCLIP", "UnclipGenerator", "a2i_register_components", "a2i_register_trainers"]

__version__ = "1.0.0"

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

_SCHEDULERS = ("default", "ddim", "euler", "euler-a", "dpm++", "pndm")


class UnclipGenerator(Generator):
    """Stable Diffusion 2.1 unCLIP from a 1024-d OpenCLIP ViT-H image embedding (mixable with an image and text)."""

    id = "unclip"
    name = "Stable Diffusion 2.1 unCLIP"
    description = "SD 2.1 unCLIP from a 1024-d image-space embedding (ImageBind audio); image/text mixing, preview."
    version = "1"
    input_space = IMAGEBIND_AUDIO
    params = (
        TextParam("model", _REPO, "Hugging Face repo id or diffusers folder of the pipeline, or a U-Net alone: a "
                  "diffusers unet folder or a .safetensors/.ckpt file (a path, or a name in checkpoints/)"),
        IntParam("steps", UNCLIP.steps, "denoising steps", minimum=1, maximum=200),
        ChoiceParam("scheduler", "default", "sampler; default keeps the model's own", _SCHEDULERS),
        FloatParam("guidance", UNCLIP.guidance, "classifier-free guidance scale (1 turns it off)", 0.0, 30.0),
        IntParam("noise_level", 0, "noise added to the embedding (0-999): higher strays further from it", 0, 999),
        FloatParam("embedding_scale", 1.0, "multiplies the chain's embedding before mixing; ImageBind's has norm "
                   "20, its logit scale, which unCLIP takes as it is", 0.0, 10.0),
        IntParam("width", UNCLIP.size, "image width in pixels", minimum=32, maximum=2048),
        IntParam("height", UNCLIP.size, "image height in pixels", minimum=32, maximum=2048),
        TextParam("prompt", "", "optional text that steers the image alongside the embedding"),
        FloatParam("prompt_weight", 1.0, "strength of the prompt: 0 ignores it, 1 uses it fully", 0.0, 1.0),
        TextParam("negative_prompt", "", "what the image should not show"),
        PathParam("image", "", "optional reference image mixed into the embedding", must_exist=True,
                  suffixes=(".png", ".jpg", ".jpeg", ".webp", ".bmp")),
        FloatParam("image_weight", 0.5, "share of the reference image in the mix (0: the chain's embedding only)",
                   0.0, 1.0),
        TextParam("loras", "", "LoRA files from the models dir's loras/ with a scale each: a.safetensors:0.8, b:0.5"),
        BoolParam("attention_slicing", False, "compute attention in slices: less memory, a little slower"),
        BoolParam("vae_tiling", False, "decode the image in tiles: less memory for large images"),
        BoolParam("cpu_offload", False, "keep models on the CPU and move each to the GPU when it runs (CUDA only)"),
        IntParam("preview_every", 5, "show a rough preview every N steps (0: never)", minimum=0, maximum=200),
    )
    weights = (UNCLIP.weights,)
    continuity = ("fixed", "drift", "previous")

    def __init__(self) -> None:
        self._loaded: LoadedPipeline | None = None

    def unload(self) -> None:
        self._loaded = None

    def pipeline(self, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The ``StableUnCLIPImg2ImgPipeline`` that ``params["model"]`` names, kept until the model changes.

        Raises:
            WeightsMissing: If the model, or the default pipeline a U-Net needs, is not found.
        """
        from a2i_plugins.diffusion.loading import resolve_source
        from a2i_plugins.unclip._loading import load_unclip

        source = resolve_source(params["model"], UNCLIP)
        key = (UNCLIP.key, str(source), str(ctx.torch_dtype), params["cpu_offload"])
        if self._loaded is None or self._loaded.key != key:
            self._loaded = None  # free the old pipeline before loading the next
            self._loaded = load_unclip(source, ctx.device, ctx.torch_dtype, params["cpu_offload"])
        self._loaded.configure(params)
        return self._loaded.pipeline

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        from a2i_plugins.unclip._sampling import run

        return run(self.pipeline(params, ctx), value, params, ctx)

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The starting latents of ``seed`` (on the CPU), as :meth:`generate` draws them."""
        import torch

        from a2i_plugins.unclip._sampling import latent_shape

        shape = latent_shape(self.pipeline(params, ctx), params)
        return torch.randn(shape, generator=torch.Generator(device="cpu").manual_seed(seed), dtype=torch.float32)


@hookimpl
def a2i_register_components(registry: Any) -> None:
    """Register the unCLIP generator."""
    registry.add_generator(UnclipGenerator())


@hookimpl
def a2i_register_trainers(registry: Any) -> None:
    """Register the SounDiff fine-tuning trainer, ``a2i train unclip``."""
    from a2i_plugins.unclip._trainer import UnclipTrainer

    registry.add_trainer(UnclipTrainer(registry))

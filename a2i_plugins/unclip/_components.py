"""The unCLIP generator: an OpenCLIP ViT-H image-space embedding, mixable with a reference image and a prompt."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_plugins.diffusion.pipelines import PipelineGenerator, pipeline_params, scheduler_param
from a2i_plugins.unclip._family import UNCLIP
from a2i_studio.core import IMAGEBIND_AUDIO, FloatParam, IntParam, PathParam, RunContext, TextParam

if TYPE_CHECKING:
    import torch
    from PIL.Image import Image

    from a2i_plugins.diffusion.loading import LoadedPipeline

__all__ = ["UnclipGenerator"]


class UnclipGenerator(PipelineGenerator):
    """Stable Diffusion 2.1 unCLIP from a 1024-d OpenCLIP ViT-H image embedding (mixable with an image and text)."""

    id = "unclip"
    name = "Stable Diffusion 2.1 unCLIP"
    description = "SD 2.1 unCLIP from a 1024-d image-space embedding (ImageBind audio); image/text mixing, preview."
    version = "1"
    input_space = IMAGEBIND_AUDIO
    params = (
        TextParam("model", UNCLIP.weights.hf_repo or "", "Hugging Face repo id or diffusers folder of the pipeline, "
                  "or a U-Net alone: a diffusers unet folder or a .safetensors/.ckpt file (a path, or a name in "
                  "checkpoints/)"),
        IntParam("steps", UNCLIP.steps, "denoising steps", minimum=1, maximum=200),
        scheduler_param(),
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
        *pipeline_params(),
    )
    weights = (UNCLIP.weights,)
    family = UNCLIP
    continuity = ("fixed", "drift", "previous")

    def load_pipeline(self, source: Path, device: str, dtype: torch.dtype, cpu_offload: bool) -> LoadedPipeline:
        from a2i_plugins.unclip._loading import load_unclip

        return load_unclip(source, device, dtype, cpu_offload)

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        from a2i_plugins.unclip._sampling import run

        return run(self.pipeline(params, ctx), value, params, ctx)

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The starting latents of ``seed`` (on the CPU), as :meth:`generate` draws them."""
        import torch

        from a2i_plugins.unclip._sampling import latent_shape

        shape = latent_shape(self.pipeline(params, ctx), params)
        return torch.randn(shape, generator=torch.Generator(device="cpu").manual_seed(seed), dtype=torch.float32)

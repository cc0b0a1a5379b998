"""The Stable Diffusion generators: one class per family over the shared pipeline plumbing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_plugins.diffusion.families import LCM_LORA, SD3, SD15, SD15_LCM, SD21, SD_TURBO, Family
from a2i_plugins.diffusion.pipelines import PipelineGenerator, pipeline_params, scheduler_param
from a2i_studio.core import (
    CLIP_TEXT_SD15,
    CLIP_TEXT_SD21,
    SD3_TEXT,
    FloatParam,
    IntParam,
    Param,
    RunContext,
    TextEncoding,
    TextParam,
)

if TYPE_CHECKING:
    import torch
    from PIL.Image import Image

    from a2i_plugins.diffusion.loading import LoadedPipeline

__all__ = [
    "DiffusionGenerator",
    "LcmStableDiffusion15Generator",
    "SdTurboGenerator",
    "StableDiffusion3Generator",
    "StableDiffusion15Generator",
    "StableDiffusion21Generator",
]


def _params(family: Family, schedulers: bool) -> tuple[Param, ...]:
    own: tuple[Param, ...] = (
        TextParam("model", family.weights.hf_repo or "", "Hugging Face repo id, diffusers folder, or a single "
                  ".safetensors/.ckpt checkpoint (a path, or a name in the models dir's checkpoints/)"),
        IntParam("steps", family.steps, "denoising steps", minimum=1, maximum=200),
        FloatParam("guidance", family.guidance, "classifier-free guidance scale (1 turns it off)", 0.0, 30.0),
        IntParam("width", family.size, "image width in pixels", minimum=32, maximum=2048),
        IntParam("height", family.size, "image height in pixels", minimum=32, maximum=2048),
        TextParam("negative_prompt", "", "what the image should not show"),
        TextParam("prompt", "", "optional text mixed with the audio embedding"),
        FloatParam("prompt_weight", 0.3, "share of the prompt's embedding in the mix (0: audio only)", 0.0, 1.0),
    )
    scheduler = (scheduler_param(),) if schedulers else ()
    return (*own[:3], *scheduler, *own[3:], *pipeline_params())


class DiffusionGenerator(PipelineGenerator, TextEncoding):
    """A Stable Diffusion pipeline run from embeddings; subclasses fix the family.

    It encodes prompts too (:class:`~a2i_studio.core.TextEncoding`), so adapters can be trained to its text space.
    """

    version = "1"
    continuity: ClassVar[tuple[str, ...]] = ("fixed", "drift", "previous")

    def load_pipeline(self, source: Path, device: str, dtype: torch.dtype, cpu_offload: bool) -> LoadedPipeline:
        from a2i_plugins.diffusion.loading import load_pipeline

        return load_pipeline(self.family, source, device, dtype, cpu_offload)

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        from a2i_plugins.diffusion.sampling import run

        return run(self.pipeline(params, ctx), self.family, value, params, ctx)

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The starting latents of ``seed`` (on the CPU), as :meth:`generate` draws them."""
        import torch

        from a2i_plugins.diffusion.sampling import latent_shape

        shape = latent_shape(self.pipeline(params, ctx), self.family, params)
        return torch.randn(shape, generator=torch.Generator(device="cpu").manual_seed(seed), dtype=torch.float32)

    def encode_text(self, text: str, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """``text`` encoded by the model's own text encoder(s), as a value of :attr:`input_space` on the CPU.

        Adapter trainers use this to turn captions into training targets.
        """
        import torch

        from a2i_plugins.diffusion.sampling import encode_text

        pipeline = self.pipeline(params, ctx)
        with torch.no_grad():
            encoded = encode_text(pipeline, self.family, text)
        embeds: torch.Tensor = encoded["prompt_embeds"][0].float().cpu()
        if "pooled_prompt_embeds" in encoded:
            return {"sequence": embeds, "pooled": encoded["pooled_prompt_embeds"][0].float().cpu()}
        return embeds


class StableDiffusion15Generator(DiffusionGenerator):
    """Stable Diffusion 1.x from CLIP ViT-L/14 text states (77 x 768)."""

    family = SD15
    id = "sd15"
    name = "Stable Diffusion 1.5"
    description = "Stable Diffusion 1.x from 77 x 768 CLIP text embeddings; LoRA, schedulers, live preview."
    input_space = CLIP_TEXT_SD15
    params = _params(SD15, schedulers=True)
    weights = (SD15.weights,)


class StableDiffusion21Generator(DiffusionGenerator):
    """Stable Diffusion 2.x from OpenCLIP ViT-H text states (77 x 1024)."""

    family = SD21
    id = "sd21"
    name = "Stable Diffusion 2.1"
    description = "Stable Diffusion 2.x from 77 x 1024 OpenCLIP text embeddings; LoRA, schedulers, live preview."
    input_space = CLIP_TEXT_SD21
    params = _params(SD21, schedulers=True)
    weights = (SD21.weights,)


class StableDiffusion3Generator(DiffusionGenerator):
    """Stable Diffusion 3 from its pooled CLIP embedding (2048) and joint CLIP+T5 sequence (333 x 4096)."""

    family = SD3
    id = "sd3"
    name = "Stable Diffusion 3 Medium"
    description = "Stable Diffusion 3 from pooled 2048 + 333 x 4096 text embeddings; LoRA, live preview."
    input_space = SD3_TEXT
    continuity = ("fixed", "drift")  # its flow-matching transformer has no image-to-image loop here
    params = _params(SD3, schedulers=False)
    weights = (SD3.weights,)


class SdTurboGenerator(DiffusionGenerator):
    """SD-Turbo: SD 2.1 distilled to make a picture in 1-4 steps, from the same OpenCLIP text space (77 x 1024).

    An adapter trained for ``sd21`` feeds it as it is (``vggish>mlp-vggish-sd21>sd-turbo``).
    """

    family = SD_TURBO
    id = "sd-turbo"
    name = "SD-Turbo (1-4 steps)"
    description = "SD 2.1 distilled to 1-4 steps: a 512 px picture in seconds on a CPU; same text space as sd21."
    input_space = CLIP_TEXT_SD21
    params = _params(SD_TURBO, schedulers=False)
    weights = (SD_TURBO.weights,)


class LcmStableDiffusion15Generator(DiffusionGenerator):
    """Stable Diffusion 1.5 with the LCM-LoRA merged in and the LCM scheduler: 4-8 steps, the same text space.

    An adapter trained for ``sd15`` feeds it as it is (``vggish>mlp-vggish-sd15>sd15-lcm``).
    """

    family = SD15_LCM
    id = "sd15-lcm"
    name = "SD 1.5 + LCM-LoRA (4-8 steps)"
    description = "SD 1.5 with the LCM-LoRA and LCM scheduler: 4-8 steps; same text space as sd15; your LoRAs too."
    input_space = CLIP_TEXT_SD15
    params = _params(SD15_LCM, schedulers=False)
    weights = (SD15_LCM.weights, LCM_LORA)

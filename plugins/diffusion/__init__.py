"""Stable Diffusion generators fed by embeddings from the chain: ``sd15``, ``sd21`` and ``sd3``.

Each takes the text-encoder space of its model (``clip-text/sd15`` 77 x 768,
``clip-text/sd21`` 77 x 1024, ``sd3-text`` pooled 2048 + sequence 333 x 4096),
usually from an adapter, and runs the diffusers pipeline with those embeddings
in place of an encoded prompt. The model is a parameter (Hugging Face repo id,
diffusers folder or single checkpoint), so pipelines load on first use, not in
``load()``. The README's Models section tells how to set up real weights.

The submodules ``families``, ``loading`` and ``sampling`` (torch and diffusers
at import) are public for sibling families that drive other diffusers
pipelines the same way, such as unCLIP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_plugins.diffusion.families import SD3, SD15, SD21, Family
from a2i_studio.core import (
    CLIP_TEXT_SD15,
    CLIP_TEXT_SD21,
    SD3_TEXT,
    BoolParam,
    ChoiceParam,
    FloatParam,
    Generator,
    IntParam,
    Param,
    RunContext,
    TextParam,
)
from a2i_studio.hookspecs import hookimpl

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_plugins.diffusion.loading import LoadedPipeline

__all__ = [
    "DiffusionGenerator",
    "StableDiffusion3Generator",
    "StableDiffusion15Generator",
    "StableDiffusion21Generator",
    "a2i_register_components",
]

__version__ = "1.0.0"

_SCHEDULER_CHOICES = ("default", "ddim", "euler", "euler-a", "dpm++", "pndm")


def _params(family: Family, schedulers: bool) -> tuple[Param, ...]:
    shared: tuple[Param, ...] = (
        TextParam("model", family.weights.hf_repo or "", "Hugging Face repo id, diffusers folder, or a single "
                  ".safetensors/.ckpt checkpoint (a path, or a name in the models dir's checkpoints/)"),
        IntParam("steps", family.steps, "denoising steps", minimum=1, maximum=200),
        FloatParam("guidance", family.guidance, "classifier-free guidance scale (1 turns it off)", 0.0, 30.0),
        IntParam("width", family.size, "image width in pixels", minimum=32, maximum=2048),
        IntParam("height", family.size, "image height in pixels", minimum=32, maximum=2048),
        TextParam("negative_prompt", "", "what the image should not show"),
        TextParam("prompt", "", "optional text mixed with the audio embedding"),
        FloatParam("prompt_weight", 0.3, "share of the prompt's embedding in the mix (0: audio only)", 0.0, 1.0),
        TextParam("loras", "", "LoRA files from the models dir's loras/ with a scale each: a.safetensors:0.8, b:0.5"),
        BoolParam("attention_slicing", False, "compute attention in slices: less memory, a little slower"),
        BoolParam("vae_tiling", False, "decode the image in tiles: less memory for large images"),
        BoolParam("cpu_offload", False, "keep models on the CPU and move each to the GPU when it runs (CUDA only)"),
        IntParam("preview_every", 5, "show a rough preview every N steps (0: never)", minimum=0, maximum=200),
    )
    if not schedulers:
        return shared
    scheduler = ChoiceParam("scheduler", "default", "sampler; default keeps the model's own", _SCHEDULER_CHOICES)
    return (*shared[:3], scheduler, *shared[3:])


class DiffusionGenerator(Generator):
    """A Stable Diffusion pipeline run from embeddings; subclasses fix the family."""

    family: ClassVar[Family]
    version = "1"
    continuity = ("fixed", "drift", "previous")

    def __init__(self) -> None:
        self._loaded: LoadedPipeline | None = None

    def unload(self) -> None:
        self._loaded = None

    def pipeline(self, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The diffusers pipeline that ``params["model"]`` names, loaded once and kept until it changes.

        Raises:
            WeightsMissing: If the model cannot be found.
        """
        from a2i_plugins.diffusion.loading import load_pipeline, resolve_source

        source = resolve_source(params["model"], self.family)
        key = (self.family.key, str(source), str(ctx.torch_dtype), params["cpu_offload"])
        if self._loaded is None or self._loaded.key != key:
            self._loaded = None  # free the old pipeline before loading the next
            self._loaded = load_pipeline(self.family, source, ctx.device, ctx.torch_dtype, params["cpu_offload"])
        self._loaded.configure(params)
        return self._loaded.pipeline

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        from a2i_plugins.diffusion.sampling import run

        return run(self.pipeline(params, ctx), self.family, value, params, ctx)

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The starting latents of ``seed`` (on the CPU), as :meth:`generate` draws them."""
        import torch

        from a2i_plugins.diffusion.sampling import latent_shape

        shape = latent_shape(self.pipeline(params, ctx), self.family, params)
        return torch.randn(shape, generator=torch.Generator(device="cpu").manual_seed(seed), dtype=torch.float32)

    def encode_text(self, prompt: str, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """``prompt`` encoded by the model's own text encoder(s), as a value of :attr:`input_space` on the CPU.

        Adapter trainers use this to turn captions into training targets.
        """
        import torch

        from a2i_plugins.diffusion.sampling import encode_text

        pipeline = self.pipeline(params, ctx)
        with torch.no_grad():
            encoded = encode_text(pipeline, self.family, prompt)
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


@hookimpl
def a2i_register_components(registry: Any) -> None:
    """Register the three Stable Diffusion generators."""
    registry.add_generator(StableDiffusion15Generator())
    registry.add_generator(StableDiffusion21Generator())
    registry.add_generator(StableDiffusion3Generator())

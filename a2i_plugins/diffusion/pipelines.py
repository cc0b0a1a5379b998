"""What every generator that runs a diffusers pipeline shares: the pipeline cache and the common parameters.

The Stable Diffusion generators of this family and the unCLIP generator of
the ``unclip`` family subclass :class:`PipelineGenerator`; both offer the same
scheduler choices and the same LoRA, memory and preview parameters
(:func:`pipeline_params`). Importing this module imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from a2i_plugins.diffusion.families import SCHEDULERS, Family
from a2i_studio.core import BoolParam, ChoiceParam, Generator, IntParam, Param, RunContext, TextParam

if TYPE_CHECKING:
    import torch

    from a2i_plugins.diffusion.loading import LoadedPipeline

__all__ = ["SCHEDULER_CHOICES", "PipelineGenerator", "pipeline_params", "scheduler_param"]

SCHEDULER_CHOICES = ("default", *SCHEDULERS)
"""The ``scheduler`` parameter's choices: ``default`` keeps the model's own."""


def scheduler_param() -> ChoiceParam:
    """The ``scheduler`` parameter of SD 1.x/2.x pipelines."""
    return ChoiceParam("scheduler", "default", "sampler; default keeps the model's own", SCHEDULER_CHOICES)


def pipeline_params() -> tuple[Param, ...]:
    """LoRAs, memory savers and previews: the parameters every pipeline generator ends with."""
    return (
        TextParam("loras", "", "LoRA files from the models dir's loras/ with a scale each: a.safetensors:0.8, b:0.5"),
        BoolParam("attention_slicing", False, "compute attention in slices: less memory, a little slower"),
        BoolParam("vae_tiling", False, "decode the image in tiles: less memory for large images"),
        BoolParam("cpu_offload", False, "keep models on the CPU and move each to the GPU when it runs (CUDA only)"),
        IntParam("preview_every", 5, "show a rough preview every N steps (0: never)", minimum=0, maximum=200),
    )


class PipelineGenerator(Generator):
    """A generator running the diffusers pipeline its ``model`` parameter names, kept until the model changes.

    Subclasses set :attr:`family` and implement :meth:`load_pipeline`; the
    pipeline loads on first use (the model is a parameter), not in ``load()``.
    """

    family: ClassVar[Family]

    def __init__(self) -> None:
        self._loaded: LoadedPipeline | None = None

    def unload(self) -> None:
        self._loaded = None

    def pipeline(self, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The pipeline that ``params["model"]`` names, configured for this run (scheduler, LoRAs, memory).

        Raises:
            WeightsMissing: If the model cannot be found.
            ParamError: If CPU offload is asked for off CUDA.
        """
        from a2i_plugins.diffusion.loading import resolve_source

        source = resolve_source(params["model"], self.family)
        key = (self.family.key, str(source), str(ctx.torch_dtype), params["cpu_offload"])
        if self._loaded is None or self._loaded.key != key:
            self._loaded = None  # free the old pipeline before loading the next
            self._loaded = self.load_pipeline(source, ctx.device, ctx.torch_dtype, params["cpu_offload"])
        self._loaded.configure(params)
        return self._loaded.pipeline

    def load_pipeline(self, source: Path, device: str, dtype: torch.dtype, cpu_offload: bool) -> LoadedPipeline:
        """Build the pipeline from ``source`` and place it (see ``loading.place_pipeline``)."""
        raise NotImplementedError

"""Loading diffusers pipelines: model source, schedulers, memory options and LoRA files.

A model source is a Hugging Face repo id (found in the models dir's
``checkpoints/`` or the Hugging Face cache), a diffusers folder, or a single
``.safetensors``/``.ckpt`` checkpoint; single files are built from the original
configs shipped in ``a2i_resources/diffusion/<family>/`` so they load offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diffusers
import torch

from a2i_plugins.diffusion.families import SCHEDULERS, Family
from a2i_studio import config
from a2i_studio.core import WeightSpec
from a2i_studio.errors import ParamError, WeightsMissing
from a2i_studio.weights import PICKLE_SUFFIXES, check_format, find, load_state_dict, locate

__all__ = [
    "LoadedPipeline",
    "apply_device_settings",
    "check_offload",
    "load_pipeline",
    "parse_loras",
    "place_pipeline",
    "resolve_source",
]

@dataclass
class LoadedPipeline:
    """A pipeline, what it was loaded from, and the LoRAs currently applied to it."""

    pipeline: Any
    key: tuple[str, str, str, bool]
    default_scheduler: Any
    loras: tuple[tuple[str, float], ...] = field(default=())

    def configure(self, params: Mapping[str, Any]) -> None:
        """Apply the per-run settings: scheduler, attention slicing, VAE tiling and LoRAs."""
        pipeline = self.pipeline
        choice = params.get("scheduler", "default")
        default = self.default_scheduler
        scheduler_class = getattr(diffusers, SCHEDULERS[choice]) if choice != "default" else type(default)
        pipeline.scheduler = scheduler_class.from_config(default.config)
        if params["attention_slicing"]:
            pipeline.enable_attention_slicing()
        else:
            pipeline.disable_attention_slicing()
        if params["vae_tiling"]:
            pipeline.vae.enable_tiling()
        else:
            pipeline.vae.disable_tiling()
        self._apply_loras(parse_loras(params["loras"]))

    def _apply_loras(self, loras: tuple[tuple[Path, float], ...]) -> None:
        requested = tuple((str(path), scale) for path, scale in loras)
        if requested == self.loras:
            return
        pipeline = self.pipeline
        if [path for path, _ in requested] != [path for path, _ in self.loras]:
            pipeline.unload_lora_weights()
            for index, (path, _) in enumerate(loras):
                pipeline.load_lora_weights(load_state_dict(path), adapter_name=f"lora{index}")
        if loras:
            pipeline.set_adapters([f"lora{index}" for index in range(len(loras))], [scale for _, scale in loras])
        self.loras = requested


def resolve_source(value: str, family: Family) -> Path:
    """The folder or file that the ``model`` parameter names.

    Raises:
        WeightsMissing: Naming the value, where it looked and how to fetch it.
    """
    if value == family.weights.hf_repo:
        return find(family.weights)
    path = Path(value).expanduser()
    checkpoints = config.models_dir() / "checkpoints"
    for candidate in (path, checkpoints / value):
        if candidate.exists():
            return candidate
    if value.count("/") == 1 and not path.suffix:
        spec = WeightSpec(
            name=value, filename=value.split("/")[1], description=f"{family.key} pipeline {value}",
            hf_repo=value, files=family.weights.files,
        )
        found = locate(spec)
        if found is not None:
            return found
        raise WeightsMissing(
            f"The {family.key} model {value} is missing: looked in {checkpoints / spec.filename} and the Hugging "
            f"Face cache; fetch it with 'hf download {value}' or point the model parameter at a local copy."
        )
    raise WeightsMissing(
        f"The {family.key} model {value!r} is neither a file or folder nor in {checkpoints}; "
        "give a Hugging Face repo id, a diffusers folder or a .safetensors checkpoint."
    )


def parse_loras(text: str) -> tuple[tuple[Path, float], ...]:
    """Parse ``name.safetensors:0.8, other:0.5`` into (file, scale) pairs.

    Names without a folder are looked up in the models dir's ``loras/`` (``.safetensors`` is added
    when the name has no extension); the scale defaults to 1.

    Raises:
        WeightsMissing: For a file that is not there.
    """
    loras = []
    folder = config.models_dir() / "loras"
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, separator, scale_text = item.rpartition(":")
        try:
            scale = float(scale_text) if separator else 1.0
        except ValueError:  # a colon that is part of the path (C:\...), not a scale
            separator = ""
        if not separator:
            name, scale = item, 1.0
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = folder / (name if path.suffix else f"{name}.safetensors")
        if not path.is_file():
            raise WeightsMissing(f"The LoRA {name} is missing: looked in {path}; put the file there.")
        loras.append((path, scale))
    return tuple(loras)


def load_pipeline(family: Family, source: Path, device: str, dtype: torch.dtype, cpu_offload: bool) -> LoadedPipeline:
    """Load ``family``'s pipeline from a diffusers folder or a single checkpoint file.

    Raises:
        ParamError: If CPU offload is asked for on a device without CUDA.
        CheckpointError: If a single file's bytes do not match its extension.
        WeightsMissing: If a single file's tokenizers are missing.
    """
    check_offload(device, cpu_offload)
    pipeline_class = getattr(diffusers, family.pipeline)
    extra: dict[str, Any] = {"safety_checker": None, "feature_extractor": None} if family.key != "sd3" else {}
    if source.is_dir():
        pipeline = pipeline_class.from_pretrained(source, dtype=dtype, local_files_only=True, **extra)
    else:
        if source.suffix.lower() not in (".safetensors", *PICKLE_SUFFIXES):
            raise ParamError(f"The model file {source} should be a .safetensors or .ckpt checkpoint.")
        configs = config.resources_dir() / "diffusion" / (family.config_key or family.key)
        if not configs.is_dir():
            raise ParamError(
                f"{family.key} loads from its Hugging Face repository or a diffusers folder, not from the single "
                f"file {source}; point the model parameter at a folder."
            )
        check_format(source)
        pipeline = pipeline_class.from_single_file(
            str(source), config=str(configs), local_files_only=True, dtype=dtype, **_tokenizers(family), **extra
        )
    _make_few_step(pipeline, family)
    loaded = place_pipeline(pipeline, family, source, device, dtype, cpu_offload)
    apply_device_settings(pipeline, device)
    return loaded


def _make_few_step(pipeline: Any, family: Family) -> None:
    """Give a few-step family its scheduler, and merge its LoRA into the weights (then drop the LoRA layers).

    Merged, the LCM-LoRA costs nothing per step, and the user's own LoRAs load over it as usual.
    """
    if family.scheduler:
        scheduler_class = getattr(diffusers, family.scheduler)
        pipeline.scheduler = scheduler_class.from_config(pipeline.scheduler.config, **dict(family.scheduler_config))
    if family.fused_lora is not None:
        lora_file = find(family.fused_lora) / family.fused_lora.files[0]
        pipeline.load_lora_weights(load_state_dict(lora_file), adapter_name="fused")
        pipeline.fuse_lora(adapter_names=["fused"])
        pipeline.unload_lora_weights()


def check_offload(device: str, cpu_offload: bool) -> None:
    """Refuse CPU offload off CUDA before anything loads.

    Raises:
        ParamError: If ``cpu_offload`` is asked for on a device without CUDA.
    """
    if cpu_offload and not device.startswith("cuda"):
        raise ParamError(f"cpu_offload moves models between a CUDA GPU and the CPU; it cannot be used on {device}.")


def place_pipeline(
    pipeline: Any, family: Family, source: Path, device: str, dtype: torch.dtype, cpu_offload: bool
) -> LoadedPipeline:
    """Put a freshly built pipeline on ``device`` (or offload it), silence its progress bar, and key it.

    The key is what :class:`~a2i_plugins.diffusion.pipelines.PipelineGenerator` compares to reuse it.
    """
    if cpu_offload:
        pipeline.enable_model_cpu_offload(device=device)
    else:
        pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    return LoadedPipeline(pipeline, (family.key, str(source), str(dtype), cpu_offload), pipeline.scheduler)


def apply_device_settings(pipeline: Any, device: str) -> None:
    """Our speed settings: channels-last convolutions on CUDA (attention already uses PyTorch SDPA)."""
    pipeline.set_progress_bar_config(disable=True)
    if device.startswith("cuda"):
        for name in ("unet", "vae"):
            module = getattr(pipeline, name, None)
            if module is not None:
                module.to(memory_format=torch.channels_last)


def _tokenizers(family: Family) -> dict[str, Any]:
    """The tokenizers a single-file checkpoint does not carry, from the family's tokenizer weights."""
    import transformers

    folder = find(family.tokenizers)
    return {
        name: getattr(transformers, class_name).from_pretrained(folder / name)
        for name, class_name in family.tokenizer_classes
    }

"""The model a LoRA trains on: finding and loading the base pipeline, adding LoRA layers, saving the file.

Saved files use the diffusers/PEFT key format (``unet.…lora.down.weight``,
``text_encoder.…``) that diffusers' ``load_lora_weights`` and the popular UIs
read. The alpha / rank scale is folded into the up-projections, so a file
means the same to readers that honour alpha and to those that assume alpha
equals the rank; the training settings travel in the safetensors metadata.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from a2i_studio import __version__, config, weights
from a2i_studio.core import WeightSpec
from a2i_studio.errors import ParamError, WeightsMissing
from a2i_studio.training.lora._settings import LoraSettings

__all__ = ["METADATA_KEY", "BaseModel", "add_lora", "load_base", "lora_state", "restore_lora_state", "save_lora_file"]

METADATA_KEY = "a2i.lora"
"""The safetensors metadata entry holding the training settings (JSON)."""

UNET_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]
_PIPELINES = ("StableDiffusionPipeline", "StableUnCLIPImg2ImgPipeline")


@dataclass
class BaseModel:
    """A loaded base pipeline and what kind it is.

    Attributes:
        pipeline: The diffusers pipeline (``StableDiffusionPipeline`` or ``StableUnCLIPImg2ImgPipeline``).
        family: ``sd15``, ``sd21`` or ``unclip``: the id of the generator its LoRAs plug into.
        source: The folder it was loaded from.
    """

    pipeline: Any
    family: str
    source: Path

    @property
    def unclip(self) -> bool:
        """Whether the U-Net is conditioned on an image embedding as well (SD 2.1 unCLIP)."""
        return self.family == "unclip"


def resolve_base(value: str) -> Path:
    """The diffusers folder that the ``base`` setting names.

    Raises:
        ParamError: For a single checkpoint file (convert it to a diffusers folder first).
        WeightsMissing: If nothing is found, naming where it looked.
    """
    path = Path(value).expanduser()
    checkpoints = config.models_dir() / "checkpoints"
    for candidate in (path, checkpoints / value):
        if candidate.is_dir():
            return candidate
        if candidate.is_file():
            raise ParamError(
                f"base {value} is a single checkpoint file; LoRA training needs a diffusers folder (convert it "
                "with diffusers' convert_original_stable_diffusion_to_diffusers.py or give a Hugging Face repo id)."
            )
    if value.count("/") == 1 and not path.suffix:
        spec = WeightSpec(name=value, filename=value.split("/")[1], description=f"base model {value}",
                          hf_repo=value, files=("model_index.json", "unet/*.json"))
        found = weights.locate(spec)
        if found is not None:
            return found
        raise WeightsMissing(
            f"The base model {value} is missing: looked in {checkpoints / spec.filename} and the Hugging Face "
            f"cache; fetch it with 'hf download {value}' or give a local diffusers folder."
        )
    raise WeightsMissing(f"The base model {value!r} is neither a folder nor in {checkpoints}; give a Hugging Face "
                         "repo id or a diffusers folder.")


def load_base(value: str, device: str, dtype: torch.dtype) -> BaseModel:
    """Load the ``base`` setting's pipeline onto ``device``, its weights in ``dtype``, everything frozen.

    Raises:
        ParamError: For a pipeline that is not SD 1.x/2.x or unCLIP, or a single file.
        WeightsMissing: If the model cannot be found.
    """
    import diffusers

    source = resolve_base(value)
    try:
        class_name = json.loads((source / "model_index.json").read_text(encoding="utf-8"))["_class_name"]
    except (OSError, ValueError, KeyError):
        raise ParamError(f"base {source} is not a diffusers pipeline folder (no readable model_index.json).") from None
    if class_name not in _PIPELINES:
        raise ParamError(f"base {source} is a {class_name}; LoRA training supports SD 1.x/2.x and SD 2.1 unCLIP.")
    extra = {"safety_checker": None, "requires_safety_checker": False} if class_name == _PIPELINES[0] else {}
    pipeline = getattr(diffusers, class_name).from_pretrained(source, dtype=dtype, local_files_only=True, **extra)
    pipeline.set_progress_bar_config(disable=True)
    pipeline.to(device)
    for name in ("unet", "vae", "text_encoder", "image_encoder"):
        module = getattr(pipeline, name, None)
        if module is not None:
            module.requires_grad_(False)
    unet_config = pipeline.unet.config
    if unet_config.class_embed_type == "projection":
        family = "unclip"
    else:
        family = "sd21" if unet_config.cross_attention_dim == 1024 else "sd15"
    return BaseModel(pipeline, family, source)


def add_lora(model: BaseModel, settings: LoraSettings) -> list[torch.nn.Parameter]:
    """Add LoRA layers to the U-Net (and the text encoder if asked); returns the parameters to train (float32)."""
    from peft import LoraConfig

    pipeline = model.pipeline
    modules = [(pipeline.unet, UNET_TARGETS)]
    if settings.train_text_encoder:
        modules.append((pipeline.text_encoder, TEXT_TARGETS))
    trainable = []
    for module, targets in modules:
        lora_config = LoraConfig(r=settings.rank, lora_alpha=settings.alpha,  # type: ignore[arg-type]  # floats work
                            init_lora_weights="gaussian", target_modules=targets)
        module.add_adapter(lora_config)
        for parameter in module.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.float()
                trainable.append(parameter)
    return trainable


def lora_state(model: BaseModel) -> dict[str, dict[str, torch.Tensor]]:
    """The LoRA weights in PEFT's names, by module (``unet``, and ``text_encoder`` when it was trained)."""
    from peft.utils import get_peft_model_state_dict

    pipeline = model.pipeline
    state = {"unet": dict(get_peft_model_state_dict(pipeline.unet))}
    if getattr(pipeline.text_encoder, "peft_config", None):
        state["text_encoder"] = dict(get_peft_model_state_dict(pipeline.text_encoder))
    return state


def restore_lora_state(model: BaseModel, state: dict[str, dict[str, torch.Tensor]]) -> None:
    """Put weights from :func:`lora_state` back into the LoRA layers."""
    from peft.utils import set_peft_model_state_dict

    for name, tensors in state.items():
        set_peft_model_state_dict(getattr(model.pipeline, name), tensors)


def save_lora_file(model: BaseModel, settings: LoraSettings, path: Path, record: dict[str, Any]) -> Path:
    """Write the LoRA to ``path`` (atomically) in diffusers format, with its settings in the metadata.

    Args:
        model: The trained model.
        settings: What it was trained with (stored as JSON under :data:`METADATA_KEY`).
        path: The ``.safetensors`` file to write.
        record: More JSON facts for the metadata (steps done, base model, family, final loss).

    Returns:
        ``path``.
    """
    from diffusers.utils import convert_state_dict_to_diffusers
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    scale = settings.alpha / settings.rank
    layers: dict[str, Any] = {}
    for name, tensors in lora_state(model).items():
        folded = {key: value * scale if "lora_B" in key else value for key, value in tensors.items()}
        layers[f"{name}_lora_layers"] = convert_state_dict_to_diffusers(folded)
        targets = UNET_TARGETS if name == "unet" else TEXT_TARGETS
        layers[f"{name}_lora_adapter_metadata"] = {"r": settings.rank, "lora_alpha": settings.rank,
                                                   "target_modules": targets}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        type(model.pipeline).save_lora_weights(folder, weight_name="lora.safetensors", **layers)
        written = Path(folder) / "lora.safetensors"
        with safe_open(str(written), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
        metadata.update({
            METADATA_KEY: json.dumps({**record, "settings": settings.to_json(), "app_version": __version__},
                                     sort_keys=True),
            "modelspec.title": path.stem,
            "modelspec.architecture": f"{model.family}/lora",
        })
        save_file(load_file(written), str(written), metadata=metadata)
        os.replace(written, path)
    return path

"""Loading the unCLIP pipeline from a whole-pipeline source or from a U-Net on top of the default one.

diffusers cannot build ``StableUnCLIPImg2ImgPipeline`` from a single
checkpoint file, so a single file is read as a U-Net (the original LDM layout
of Stability's release or of a fine-tune, or diffusers' own layout, as
``a2i train unclip --full`` writes) and the other parts (VAE, text and image
encoders, image normaliser, schedulers) come from the default pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from a2i_plugins.diffusion.loading import LoadedPipeline, check_offload, place_pipeline
from a2i_plugins.unclip._family import UNCLIP
from a2i_studio.errors import ParamError
from a2i_studio.weights import PICKLE_SUFFIXES, check_format, find

__all__ = ["load_unclip", "load_unet"]


def load_unet(source: Path, dtype: torch.dtype) -> Any | None:
    """The U-Net that ``source`` holds alone, or ``None`` when ``source`` is a whole pipeline.

    Args:
        source: A diffusers pipeline folder, a diffusers ``unet`` folder, or a single U-Net file.
        dtype: The weights' dtype.

    Raises:
        ParamError: For a file that is no checkpoint, or a folder that is neither a pipeline nor a U-Net.
        CheckpointError: If a file's bytes do not match its extension.
        WeightsMissing: If the default pipeline, whose U-Net config a single file needs, is missing.
    """
    from diffusers import UNet2DConditionModel

    if source.is_dir():
        if (source / "model_index.json").is_file():
            return None
        if (source / "config.json").is_file():
            return UNet2DConditionModel.from_pretrained(source, dtype=dtype, local_files_only=True)
        raise ParamError(
            f"The unCLIP model folder {source} holds neither a diffusers pipeline (model_index.json) "
            "nor a U-Net (config.json)."
        )
    if source.suffix.lower() not in (".safetensors", *PICKLE_SUFFIXES):
        raise ParamError(f"The unCLIP model file {source} should be a .safetensors or .ckpt U-Net checkpoint.")
    check_format(source)
    return UNet2DConditionModel.from_single_file(
        str(source), config=str(find(UNCLIP.weights)), subfolder="unet", dtype=dtype, local_files_only=True
    )


def load_unclip(source: Path, device: str, dtype: torch.dtype, cpu_offload: bool) -> LoadedPipeline:
    """Load the pipeline ``source`` names (see :func:`load_unet`) onto ``device``.

    Raises:
        ParamError: If CPU offload is asked for on a device without CUDA, or for a bad source.
        WeightsMissing: If a U-Net source needs the default pipeline and it is missing.
    """
    from diffusers import StableUnCLIPImg2ImgPipeline

    check_offload(device, cpu_offload)
    unet = load_unet(source, dtype)
    folder = source if unet is None else find(UNCLIP.weights)
    extra = {} if unet is None else {"unet": unet}
    pipeline = StableUnCLIPImg2ImgPipeline.from_pretrained(folder, dtype=dtype, local_files_only=True, **extra)
    return place_pipeline(pipeline, UNCLIP, source, device, dtype, cpu_offload)

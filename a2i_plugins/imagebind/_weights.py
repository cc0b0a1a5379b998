"""Taking the audio tower out of ``imagebind_huge.pth`` and building the model from its tensors.

The official checkpoint holds all six modalities (about 4.5 GB, a torch
pickle); the audio tower is about 86 M parameters. :func:`extract_audio_weights`
writes those tensors, under their official names, to a small safetensors file
that later runs read instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from a2i_plugins.imagebind._model import ImageBindAudio, ImageBindAudioConfig
from a2i_studio.errors import CheckpointError
from a2i_studio.files import atomic_write
from a2i_studio.weights import load_state_dict

__all__ = ["AUDIO_PREFIXES", "HEAD_WIDTH", "audio_tensors", "config_from_state_dict", "extract_audio_weights",
           "model_from_state_dict"]

AUDIO_PREFIXES = (
    "modality_preprocessors.audio.",
    "modality_trunks.audio.",
    "modality_heads.audio.",
    "modality_postprocessors.audio.",
)
"""Where the audio tower's tensors live in the official checkpoint."""

HEAD_WIDTH = 64
"""Width of one attention head: ImageBind's audio trunk has ``embed_dim / 64`` heads (768 -> 12)."""


def audio_tensors(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The audio tower's entries of a full or audio-only ImageBind state dict."""
    return {key: value for key, value in state.items() if key.startswith(AUDIO_PREFIXES)}


def config_from_state_dict(state: Mapping[str, torch.Tensor]) -> ImageBindAudioConfig:
    """The sizes of the audio tower that ``state`` holds (heads follow from :data:`HEAD_WIDTH`).

    Raises:
        CheckpointError: If ``state`` holds no ImageBind audio tower.
    """
    try:
        width = state["modality_preprocessors.audio.cls_token"].shape[-1]
        out_dim = state["modality_heads.audio.2.weight"].shape[0]
        kernel = state["modality_preprocessors.audio.rgbt_stem.proj.weight"].shape[-1]
    except KeyError as missing:
        raise CheckpointError(f"The weights hold no ImageBind audio tower (no {missing.args[0]}).") from None
    blocks = {key.split(".")[3] for key in state if key.startswith("modality_trunks.audio.blocks.")}
    return ImageBindAudioConfig(
        embed_dim=int(width), num_blocks=len(blocks), num_heads=max(int(width) // HEAD_WIDTH, 1),
        out_dim=int(out_dim), kernel_size=int(kernel),
    )


def model_from_state_dict(state: Mapping[str, torch.Tensor], source: Path | str) -> ImageBindAudio:
    """Build the audio tower that ``state`` describes and load it strictly.

    Args:
        state: A full ImageBind state dict or its audio part.
        source: Named in errors.

    Raises:
        CheckpointError: If tensors are missing, unexpected or of the wrong shape.
    """
    tensors = audio_tensors(state)
    config = config_from_state_dict(tensors)
    with torch.device("meta"):
        model = ImageBindAudio(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [key for key in expected if key in tensors and tensors[key].shape != expected[key].shape]
    if missing or unexpected or wrong:
        if missing:
            problem = f"lacks {missing[0]}"
        elif unexpected:
            problem = f"has the unexpected {unexpected[0]}"
        else:
            key = wrong[0]
            problem = f"has {key} of shape {tuple(tensors[key].shape)}, not {tuple(expected[key].shape)}"
        raise CheckpointError(f"{source} does not fit the ImageBind audio encoder: it {problem}.")
    model.load_state_dict({key: value.float() for key, value in tensors.items()}, assign=True)
    return model.eval()


def extract_audio_weights(source: Path | str, target: Path | str) -> Path:
    """Write the audio tower of an ImageBind checkpoint to a safetensors file.

    ``source`` is read through the weights manager (format check, then
    ``torch.load(weights_only=True)`` for the official ``.pth``); the tensors are
    checked against the model before ``target`` is written, atomically.

    Args:
        source: ``imagebind_huge.pth`` (or any file holding the audio tower).
        target: The ``.safetensors`` file to write; its folder is created.

    Returns:
        ``target``.

    Raises:
        CheckpointError: If ``source`` is unreadable or holds no complete audio tower.
    """
    from safetensors.torch import save_file

    source, target = Path(source), Path(target)
    tensors = audio_tensors(load_state_dict(source))
    model_from_state_dict(tensors, source)
    contiguous = {key: value.contiguous() for key, value in tensors.items()}
    metadata = {"format": "imagebind-audio/1", "source": source.name}
    atomic_write(target, lambda temp: save_file(contiguous, str(temp), metadata=metadata))
    return target

"""The ImageBind audio encoder, its weights, and extracting its audio tower.

The embedding of a clip is the mean over ``clips`` 2 s windows of the official
per-window output (norm at most 20). The windows are the ones ImageBind's
``load_and_transform_audio_data`` makes, from audio resampled as torchaudio
does (see :meth:`ImageBindAudioEncoder.frontend`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import IMAGEBIND_AUDIO, ChoiceParam, Encoder, IntParam, RunContext, WeightSpec

if TYPE_CHECKING:
    import numpy as np
    import torch

    from a2i_plugins.imagebind._model import ImageBindAudio

__all__ = ["IMAGEBIND_AUDIO_FILE", "IMAGEBIND_WEIGHTS", "ImageBindAudioEncoder", "extract_audio_weights"]

IMAGEBIND_WEIGHTS = WeightSpec(
    name="imagebind",
    filename="imagebind_huge.pth",
    description="ImageBind (huge) checkpoint of Meta AI, all modalities; its audio tower is kept on first use",
    url="https://dl.fbaipublicfiles.com/imagebind/imagebind_huge.pth",
    subdir="encoders",
    size_bytes=4_800_000_000,  # about: all six modalities
)
IMAGEBIND_AUDIO_FILE = "imagebind_huge_audio.safetensors"
"""The audio tower alone, written to the models dir's ``encoders/`` from :data:`IMAGEBIND_WEIGHTS`."""

CLIP_SECONDS = 2.0
"""ImageBind's audio window: 2 s, 204 fbank frames."""


def extract_audio_weights(source: Path | str, target: Path | str | None = None) -> Path:
    """Write the audio tower of ``imagebind_huge.pth`` to a small safetensors file.

    Args:
        source: The official checkpoint.
        target: Where to write (default: ``imagebind_huge_audio.safetensors`` in the models
            dir's ``encoders/``, where the encoder looks first).

    Returns:
        The file written.

    Raises:
        CheckpointError: If ``source`` is not a readable checkpoint holding the audio tower.
    """
    from a2i_plugins.imagebind._weights import extract_audio_weights as extract
    from a2i_studio.config import models_dir

    return extract(source, target or models_dir() / IMAGEBIND_WEIGHTS.subdir / IMAGEBIND_AUDIO_FILE)


class ImageBindAudioEncoder(Encoder):
    """ImageBind (huge) audio encoder: the mean embedding of evenly spaced 2 s windows.

    Audio is decoded as ImageBind's ``load_and_transform_audio_data`` reads it:
    every channel kept, resampled to 16 kHz as ``torchaudio.functional.resample``
    does (reproduced by :func:`a2i_studio.audio.resample`).
    """

    id = "imagebind"
    name = "ImageBind audio"
    description = "ImageBind 1024-d audio embedding, in OpenCLIP ViT-H image space (for unCLIP)."
    version = "2"  # 2: ImageBind's own frontend (torchaudio resampling, channel 0, its clip bounds)
    output_space = IMAGEBIND_AUDIO
    sample_rate = 16_000
    resampler = "torchaudio"
    keep_channels = True
    min_seconds = 0.025  # one 400-sample fbank frame; shorter windows are padded in the fbank, as ImageBind does
    params = (
        IntParam("clips", 3, "2 s windows spread evenly over the segment; their embeddings are averaged", 1, 64),
        ChoiceParam(
            "channels",
            "first",
            "first: the first channel, as ImageBind's own pipeline reads a file and as the model was trained "
            "(a stereo file's second channel is not heard); mix: the mean of all channels, which hears both "
            "but is input the model never saw",
            choices=("first", "mix"),
        ),
    )
    weights = (IMAGEBIND_WEIGHTS,)

    def __init__(self) -> None:
        self._model: ImageBindAudio | None = None

    def load(self, device: str, dtype: str) -> None:
        """Read the audio tower (extracting it from the full checkpoint the first time).

        Raises:
            WeightsMissing: If neither the audio-only file nor ``imagebind_huge.pth`` is found.
            CheckpointError: If the file found does not hold a complete audio tower.
        """
        import torch

        from a2i_plugins.imagebind._weights import model_from_state_dict
        from a2i_studio.weights import find, load_state_dict, user_path

        audio_file = user_path(IMAGEBIND_WEIGHTS).with_name(IMAGEBIND_AUDIO_FILE)
        if not audio_file.is_file():
            extract_audio_weights(find(IMAGEBIND_WEIGHTS), audio_file)
        model = model_from_state_dict(load_state_dict(audio_file), audio_file)
        self._model = model.to(device=device, dtype=getattr(torch, dtype))

    def unload(self) -> None:
        self._model = None

    def extract_weights(self, source: Path) -> Path:
        """Keep the audio tower of ``imagebind_huge.pth`` where :meth:`load` looks first (``a2i models extract``).

        Raises:
            CheckpointError: If ``source`` is not a readable checkpoint holding the audio tower.
        """
        return extract_audio_weights(source)

    def frontend(self, samples: np.ndarray, params: Mapping[str, Any]) -> torch.Tensor:
        """The model's input for ``samples`` from :meth:`read`: float32 ``[clips, 1, 128, 204]`` on the CPU.

        ImageBind's ``load_and_transform_audio_data`` after its resampling:
        :func:`~a2i_studio.audio.features.imagebind_fbank` on all channels
        (``channels="first"``, the official input) or on their mean (``"mix"``).

        Args:
            samples: ``(channels, frames)`` or mono ``(frames,)`` float32 at 16 kHz.
            params: ``clips`` and ``channels``, as in :attr:`params`.
        """
        import torch

        from a2i_studio.audio.features import imagebind_fbank

        waveform = torch.atleast_2d(torch.from_numpy(samples).float())
        if params["channels"] == "mix":
            waveform = waveform.mean(dim=0, keepdim=True)
        return imagebind_fbank(waveform, clips=params["clips"], clip_seconds=CLIP_SECONDS)

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> torch.Tensor:
        """The mean of the windows' embeddings, ``[1024]`` on ``ctx.device``."""
        import torch

        assert self._model is not None, "load() first"
        fbank = self.frontend(samples, params).to(ctx.device, ctx.torch_dtype)
        with torch.inference_mode():
            return self._model(fbank).mean(dim=0)

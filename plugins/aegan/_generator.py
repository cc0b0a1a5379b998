"""The ``aegan`` generator component: MFCC summary -> image, with the bundled soundscapes model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config
from a2i_studio.core import MFCC_SUMMARY, ChoiceParam, FloatParam, Generator, PathParam, RunContext, WeightSpec
from a2i_studio.errors import WeightsMissing

if TYPE_CHECKING:
    import torch
    from PIL.Image import Image

    from a2i_plugins.aegan._network import AeganNet

__all__ = ["BUNDLED", "AeganGenerator"]

BUNDLED = WeightSpec(
    name="aegan-soundscapes",
    filename="aegan-soundscapes-64.safetensors",
    description="AE-GAN trained on 1,000 procedural soundscapes (8 scene classes), 64x64, float16",
    size_bytes=5_113_222,
    sha256="1a890c19e4be882572e81104a17c3c4c84f31f8ea812d3bec1bd922e4633727e",
    bundled=config.resources_dir() / "aegan" / "aegan-soundscapes-64.safetensors",
)
"""The model ``a2i generate`` uses by default; see resources/aegan/MODEL_CARD.md."""


class AeganGenerator(Generator):
    """The MFCC AE-GAN of Vuruma (seed 003): an MLP encoder and a transposed-convolution generator.

    The network is deterministic given the audio. So that each seed gives its own
    image, ``variation`` adds Gaussian noise (drawn from the image's seed) to the
    normalised MFCC summary before the encoder; at ``variation = 0`` every seed
    gives the same image.
    """

    id = "aegan"
    name = "AE-GAN (MFCC)"
    description = "Paints a small scene from 104 MFCC statistics; trained end to end, runs in milliseconds on a CPU."
    version = "1"
    input_space = MFCC_SUMMARY
    params = (
        FloatParam("variation", 0.2, "noise added to the normalised sound features; 0: same image for every seed",
                   minimum=0.0, maximum=3.0),
        ChoiceParam("size", "native", "output size: the model's own, or upscaled (bicubic) for viewing",
                    choices=("native", "128", "256", "512")),
        PathParam("checkpoint", "", "an AE-GAN .safetensors from 'a2i train aegan'; empty: the bundled model",
                  suffixes=(".safetensors",)),
    )
    weights = (BUNDLED,)

    def __init__(self) -> None:
        self._device = "cpu"
        self._dtype = "float32"
        self._nets: dict[str, AeganNet] = {}

    def load(self, device: str, dtype: str) -> None:
        """Remember the device and dtype; each model file loads on its first use, then stays."""
        self._device, self._dtype = device, dtype
        self._nets.clear()

    def unload(self) -> None:
        """Drop every loaded model."""
        self._nets.clear()

    def generate(self, value: torch.Tensor, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        """One image per seed from a raw MFCC summary ``value`` of shape ``(104,)``."""
        import torch
        from PIL import Image

        net = self._net(params["checkpoint"])
        count = len(ctx.seeds)
        # 1. One noise vector per seed, drawn on the CPU so a seed gives the same image on any device.
        noise = torch.stack([torch.randn(value.shape[-1], generator=g) for g in ctx.cpu_generators()])
        noise = (noise * params["variation"]).to(ctx.device, ctx.torch_dtype)
        features = value.to(ctx.device, ctx.torch_dtype).reshape(1, -1).expand(count, -1)
        # 2. Run the network and turn [-1, 1] tensors into 8-bit pictures.
        with torch.inference_mode():
            images = net(features, noise)
        pixels = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        pictures = [Image.fromarray(array) for array in pixels]
        if params["size"] != "native":
            size = int(params["size"])
            pictures = [picture.resize((size, size), Image.Resampling.BICUBIC) for picture in pictures]
        return pictures

    def _net(self, checkpoint: str) -> AeganNet:
        net = self._nets.get(checkpoint)
        if net is None:
            import torch

            from a2i_plugins.aegan._weights import load_model

            net, _ = load_model(self._find(checkpoint), self._device, getattr(torch, self._dtype))
            self._nets[checkpoint] = net
        return net

    @staticmethod
    def _find(checkpoint: str) -> Path:
        """The explicit path, else the user's models dir, else the bundled copy."""
        if checkpoint:
            path = Path(checkpoint).expanduser()
            if not path.is_file():
                raise WeightsMissing(f"AE-GAN checkpoint {path} does not exist; check --param checkpoint=PATH.")
            return path
        user_copy = config.models_dir() / BUNDLED.subdir / BUNDLED.filename
        for candidate in (user_copy, BUNDLED.bundled):
            if candidate is not None and candidate.is_file():
                return candidate
        raise WeightsMissing(
            f"The bundled AE-GAN model {BUNDLED.filename} is missing (looked in {user_copy} and {BUNDLED.bundled}); "
            "reinstall a2i-studio or train one with 'a2i train aegan'."
        )

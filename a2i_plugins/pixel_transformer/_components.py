"""The ``pixel`` generator; torch is imported only when it runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config as app_config
from a2i_studio.core import (
    FFT_FRAMES,
    FloatParam,
    Generator,
    IntParam,
    PathParam,
    RunContext,
    WeightSpec,
)
from a2i_studio.errors import ShapeError

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_plugins.pixel_transformer._model import PixelTransformer

__all__ = ["BUNDLED_WEIGHTS", "PixelGenerator"]

BUNDLED_WEIGHTS = WeightSpec(
    name="pixel-soundscapes",
    filename="pixel-soundscapes.safetensors",
    description="pixel transformer weights trained on the soundscapes dataset",
    bundled=app_config.resources_dir() / "pixel_transformer" / "pixel-soundscapes.safetensors",
)
"""The bundled model (``a2i_resources/pixel_transformer/``); a copy in the models dir takes precedence."""


class PixelGenerator(Generator):
    """Draws a small picture pixel by pixel from FFT frames with an autoregressive transformer."""

    id = "pixel"
    name = "Pixel transformer"
    description = "Draws a 32x32 picture pixel by pixel from FFT frames (encoder-decoder transformer)."
    version = "1"
    input_space = FFT_FRAMES
    params = (
        FloatParam("temperature", 1.0, "randomness of each pixel; 0 always takes the most likely value", 0.0, 2.0),
        IntParam("top_k", 0, "draw only from the k most likely values; 0 for all", 0, 256),
        FloatParam("top_p", 1.0, "draw only from the most likely values that add up to this probability", 0.01, 1.0),
        FloatParam("guidance_scale", 2.0, "how strongly the audio steers the picture; 1 for no guidance", 0.0, 10.0),
        IntParam("display_size", 256, "side of the returned image; pixels are enlarged (nearest)", 8, 2048),
        PathParam("checkpoint", "", "a .safetensors file from 'a2i train pixel'; empty for the bundled model",
                  suffixes=(".safetensors",)),
    )
    weights = (BUNDLED_WEIGHTS,)

    def __init__(self) -> None:
        self._device = "cpu"
        self._dtype = "float32"
        self._loaded: tuple[Path, PixelTransformer] | None = None

    def load(self, device: str, dtype: str) -> None:
        """Remember where to run; the checkpoint is read on the first :meth:`generate`, as it is a parameter."""
        self.unload()
        self._device, self._dtype = device, dtype

    def unload(self) -> None:
        """Drop the loaded model."""
        self._loaded = None

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        """Sample one picture per seed; rows are reported, with a preview, as they are drawn."""
        from PIL import Image

        from a2i_plugins.pixel_transformer._data import tokens_to_image
        from a2i_plugins.pixel_transformer._sampling import SamplingSettings, sample

        # 1. The model, and a check that it reads frames of this shape.
        model = self._model(params["checkpoint"])
        config = model.config
        if tuple(value.shape) != (config.sections, config.bins):
            raise ShapeError(
                f"pixel was trained on FFT frames of shape ({config.sections}, {config.bins}) "
                f"but got {tuple(value.shape)}."
            )
        size = params["display_size"]

        def enlarge(tokens: Any) -> Image.Image:
            return tokens_to_image(tokens, config).resize((size, size), Image.Resampling.NEAREST).convert("RGB")

        # 2. Draw every image at once, one token per step, reporting each finished row.
        scale = params["guidance_scale"]
        settings = SamplingSettings(
            temperature=params["temperature"],
            top_k=params["top_k"],
            top_p=params["top_p"],
            guidance=None if scale == 1.0 else scale,
        )

        def on_row(rows: int, tokens: Any) -> None:
            ctx.report(rows, config.image_size, "drawing rows", enlarge(tokens[0]))

        # Token-by-token decoding of a small model is thousands of tiny ops: on a CPU, handing each
        # to a second OpenMP thread costs more than it saves (minutes instead of seconds when the
        # other core is busy), so it runs on one thread and the setting is restored afterwards.
        import torch

        threads = torch.get_num_threads()
        if next(model.parameters()).device.type == "cpu":
            torch.set_num_threads(1)
        try:
            tokens = sample(model, value, ctx.cpu_generators(), settings, on_row)
        finally:
            torch.set_num_threads(threads)
        return [enlarge(row) for row in tokens]

    def _model(self, checkpoint: str) -> PixelTransformer:
        from a2i_plugins.pixel_transformer._checkpoint import load_model
        from a2i_studio.weights import find

        path = find(BUNDLED_WEIGHTS, checkpoint or None)
        if self._loaded is None or self._loaded[0] != path:
            import torch

            model, _ = load_model(path, self._device, getattr(torch, self._dtype))
            self._loaded = (path, model)
        return self._loaded[1]

"""The ``pixel`` generator and the ``pixel`` trainer; torch is imported only when they run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_plugins.pixel_transformer._presets import PRESETS, settings_from
from a2i_studio import config as app_config
from a2i_studio.core import (
    FFT_FRAMES,
    BoolParam,
    CancelToken,
    ChoiceParam,
    FloatParam,
    Generator,
    IntParam,
    PathParam,
    Progress,
    ProgressCallback,
    RunContext,
    Trainer,
    WeightSpec,
    resolve_params,
)
from a2i_studio.errors import ShapeError

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_plugins.pixel_transformer._model import PixelTransformer

__all__ = ["BUNDLED_WEIGHTS", "PixelGenerator", "PixelTrainer"]

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


class PixelTrainer(Trainer):
    """``a2i train pixel``: trains the pixel transformer on a paired dataset."""

    id = "pixel"
    name = "Pixel transformer"
    description = "Train the pixel transformer (FFT frames to 32x32 pictures) on a paired audio/image dataset."
    version = "1"
    params = (
        ChoiceParam("preset", "default", "'seed': the paper's settings; 'default': what learns; 'tiny': smoke tests",
                    choices=tuple(PRESETS)),
        IntParam("epochs", 0, "passes over the training pairs; 0 takes the preset's", 0),
        IntParam("batch_size", 0, "pairs per step; 0 takes the preset's", 0, 4096),
        FloatParam("learning_rate", 0.0, "peak learning rate; 0 takes the preset's", 0.0, 1.0),
        ChoiceParam("image_mode", "preset", "grayscale or rgb pictures; 'preset' takes the preset's",
                    choices=("preset", "grayscale", "rgb")),
        IntParam("image_size", 0, "side of the pictures in pixels; 0 takes the preset's", 0, 256),
        FloatParam("val_fraction", 0.1, "share of each class held out for validation", 0.01, 0.5),
        IntParam("seed", 0, "seeds the weights, split, data order and augmentation"),
        BoolParam("resume", True, "continue from OUT/checkpoint when it is there"),
    )

    def train(
        self,
        data: Path,
        out: Path,
        settings: Mapping[str, Any],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Train on ``data``; write the model, checkpoints, ``metrics.json`` and ``loss.png`` under ``out``."""
        import shutil

        from a2i_plugins.pixel_transformer._train import run_training

        values = resolve_params(self.params, settings, self.id)
        if not values["resume"]:
            shutil.rmtree(Path(out) / "checkpoint", ignore_errors=True)

        def report(step: int, total: int, stage: str) -> None:
            if progress is not None:
                progress(Progress(step, total, stage))

        return run_training(Path(data), Path(out), settings_from(values), report, cancel)

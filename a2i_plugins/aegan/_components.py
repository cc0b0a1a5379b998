"""The ``aegan`` and ``aegan-sharp`` generators: sound features -> image, each with its bundled soundscapes model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config
from a2i_studio.core import (
    MFCC_STEREO_SUMMARY,
    MFCC_SUMMARY,
    ChoiceParam,
    FloatParam,
    Generator,
    PathParam,
    RunContext,
    WeightSpec,
)
from a2i_studio.errors import CheckpointError, WeightsMissing

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

    from a2i_plugins.aegan._inference import NumpyAegan

__all__ = ["BUNDLED", "BUNDLED_SHARP", "AeganGenerator", "AeganSharpGenerator"]

BUNDLED = WeightSpec(
    name="aegan-soundscapes",
    filename="aegan-soundscapes-64.safetensors",
    description="AE-GAN trained on 1,000 procedural soundscapes (8 scene classes), 64x64, float16",
    size_bytes=5_113_222,
    sha256="dd41cf33aaa6263aea5035707134fbcc4a3145a2cb540d6df7f55859543b81f1",
    bundled=config.resources_dir() / "aegan" / "aegan-soundscapes-64.safetensors",
)
"""The seed preset's model (chain ``mfcc>aegan``); see a2i_resources/aegan/MODEL_CARD_64.md."""

BUNDLED_SHARP = WeightSpec(
    name="aegan-sharp-soundscapes",
    filename="aegan-sharp-soundscapes-128.safetensors",
    description="AE-GAN with multi-scale PatchGAN critics, trained on stereo procedural soundscapes, 128x128, float16",
    size_bytes=7_340_974,
    sha256="c0796fefed71ea114ee089b1c7e96ca7022555c91929ad9dafa871b24893a88e",
    bundled=config.resources_dir() / "aegan" / "aegan-sharp-soundscapes-128.safetensors",
)
"""The model ``a2i generate`` uses by default (chain ``mfcc-stereo>aegan-sharp``); see
a2i_resources/aegan/MODEL_CARD.md."""


class AeganGenerator(Generator):
    """The MFCC AE-GAN of Vuruma (seed 003): an MLP encoder and a transposed-convolution generator.

    The network is deterministic given the audio. So that each seed gives its own
    image, ``variation`` adds Gaussian noise (drawn from the image's seed) to the
    normalised MFCC summary before the encoder; at ``variation = 0`` every seed
    gives the same image.

    It runs the trained network in numpy on the CPU (see
    :mod:`a2i_plugins.aegan._inference`), whatever the device: the model is
    small enough that starting torch would cost more than the whole run.
    """

    id = "aegan"
    name = "AE-GAN (MFCC)"
    description = "Paints a small scene from 104 MFCC statistics; trained end to end, runs in milliseconds on a CPU."
    version = "2"  # 2: numpy noise from the seed (other images per seed than version 1's torch noise)
    input_space = MFCC_SUMMARY
    needs_torch = False
    params = (
        FloatParam("variation", 0.2, "noise added to the normalised sound features; 0: same image for every seed",
                   minimum=0.0, maximum=3.0),
        ChoiceParam("size", "native", "output size: the model's own, or upscaled (bicubic) for viewing",
                    choices=("native", "128", "256", "512")),
        PathParam("checkpoint", "", "an AE-GAN .safetensors from 'a2i train aegan'; empty: the bundled model",
                  suffixes=(".safetensors",)),
    )
    weights = (BUNDLED,)
    continuity = ("fixed", "drift")
    trained_with = "a2i train aegan"
    """How a model for this generator is made, for error messages."""

    def __init__(self) -> None:
        self._nets: dict[str, NumpyAegan] = {}

    def load(self, device: str, dtype: str) -> None:
        """Forget the loaded models; each model file loads on its first use, then stays."""
        self._nets.clear()

    def unload(self) -> None:
        """Drop every loaded model."""
        self._nets.clear()

    def generate(self, value: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        """One image per seed from a raw feature vector ``value`` of the input space's shape."""
        import numpy as np
        from PIL import Image

        net = self._net(params["checkpoint"])
        # 1. One noise vector per seed, so image i depends on seeds[i] alone; a video frame may bring its own.
        if ctx.frame is not None and ctx.frame.noise is not None:
            noise = np.asarray(ctx.frame.noise, dtype=np.float32)[None]
        else:
            noise = np.stack([self.draw_noise(seed, params, ctx) for seed in ctx.seeds])
        features = np.broadcast_to(np.asarray(value, dtype=np.float32), noise.shape)
        # 2. Run the network and turn [-1, 1] arrays into 8-bit pictures.
        images = net(features, noise * np.float32(params["variation"]))
        pixels = np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8)
        pictures = [Image.fromarray(array) for array in pixels]
        if params["size"] != "native":
            size = int(params["size"])
            pictures = [picture.resize((size, size), Image.Resampling.BICUBIC) for picture in pictures]
        return pictures

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> np.ndarray:
        """The noise added to the normalised features for ``seed`` (before ``variation`` scales it)."""
        import numpy as np

        size = self.input_space.shape[0]
        assert size is not None  # the space has a fixed shape
        return np.random.default_rng(seed).standard_normal(size, dtype=np.float32)

    def _net(self, checkpoint: str) -> NumpyAegan:
        net = self._nets.get(checkpoint)
        if net is None:
            from a2i_plugins.aegan._inference import load_model

            path = self._find(checkpoint)
            net, _ = load_model(path)
            if net.config.features != self.input_space.shape[0]:
                raise CheckpointError(
                    f"{path} takes {net.config.features} sound features, but the {self.id} generator gets "
                    f"{self.input_space.shape[0]} ({self.input_space.name}); pass a model trained for it "
                    f"('{self.trained_with}')."
                )
            self._nets[checkpoint] = net
        return net

    def _find(self, checkpoint: str) -> Path:
        """The explicit path, else the user's models dir, else the bundled copy."""
        if checkpoint:
            path = Path(checkpoint).expanduser()
            if not path.is_file():
                raise WeightsMissing(f"AE-GAN checkpoint {path} does not exist; check --param checkpoint=PATH.")
            return path
        [bundled] = self.weights
        user_copy = config.models_dir() / bundled.subdir / bundled.filename
        for candidate in (user_copy, bundled.bundled):
            if candidate is not None and candidate.is_file():
                return candidate
        raise WeightsMissing(
            f"The bundled AE-GAN model {bundled.filename} is missing (looked in {user_copy} and {bundled.bundled}); "
            f"reinstall a2i-studio or train one with '{self.trained_with}'."
        )


class AeganSharpGenerator(AeganGenerator):
    """The AE-GAN at 128 px from the ``mfcc-stereo`` summary, trained with multi-scale critics (the default).

    The same network and numpy runtime as :class:`AeganGenerator`; its input
    adds stereo balance and loudness/event features to the 104 MFCC
    statistics, so the picture can follow where the sound is and how intense.
    """

    id = "aegan-sharp"
    name = "AE-GAN sharp (MFCC + stereo)"
    description = ("Paints a 128 px scene from MFCC, stereo balance and loudness features; adversarially trained, "
                   "runs in milliseconds on a CPU.")
    version = "1"
    input_space = MFCC_STEREO_SUMMARY
    params = (
        *AeganGenerator.params[:2],
        PathParam("checkpoint", "", "an AE-GAN .safetensors from 'a2i train aegan --preset sharp'; empty: the "
                  "bundled model", suffixes=(".safetensors",)),
    )
    weights = (BUNDLED_SHARP,)
    trained_with = "a2i train aegan --preset sharp"

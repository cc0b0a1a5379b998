"""The VGGish encoders (mean and per-frame), their weights and the official frontend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_studio.core import VGGISH, VGGISH_SEQUENCE, ChoiceParam, Encoder, RunContext, WeightSpec
from a2i_studio.errors import CheckpointError

if TYPE_CHECKING:
    import numpy as np
    import torch

    from a2i_plugins.vggish._model import VGGish

__all__ = ["VGGISH_PCA_WEIGHTS", "VGGISH_WEIGHTS", "VggishEncoder", "VggishSequenceEncoder"]

_RELEASE = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/"

# The port's file names carry the first 8 hex digits of each file's sha256 (torch.hub's convention);
# that prefix is the checksum we hold.
VGGISH_WEIGHTS = WeightSpec(
    name="vggish",
    filename="vggish-10086976.pth",
    description="VGGish network weights (PyTorch port of Google's AudioSet model)",
    size_bytes=288_567_937,
    sha256="10086976",
    url=_RELEASE + "vggish-10086976.pth",
    subdir="encoders",
)
VGGISH_PCA_WEIGHTS = WeightSpec(
    name="vggish-pca",
    filename="vggish_pca_params-970ea276.pth",
    description="VGGish PCA whitening parameters of the AudioSet release",
    size_bytes=181_358,
    sha256="970ea276",
    url=_RELEASE + "vggish_pca_params-970ea276.pth",
    subdir="encoders",
)

_POSTPROCESS = ChoiceParam(
    "postprocess",
    "raw",
    "raw: the network's output; pca: PCA-whitened; quantized: 8-bit values 0-255 as AudioSet released them",
    choices=("raw", "pca", "quantized"),
)


class _VggishEncoder(Encoder):
    """Shared loading and framing of the two VGGish encoders.

    Audio is decoded as torchvggish's ``wavfile_to_examples`` reads it: the
    channels averaged in float64, resampled to 16 kHz with resampy's
    ``kaiser_best`` filter (reproduced by :func:`a2i_studio.audio.resample`).
    """

    version = "2"  # 2: torchvggish's own frontend (resampy kaiser_best, float64 log-mel)
    sample_rate = 16_000
    resampler = "resampy"
    sample_dtype = "float64"
    min_seconds = 0.975  # one 96-frame example: 15,600 samples at 16 kHz
    window_seconds = 4.0
    params = (_POSTPROCESS,)
    weights = (VGGISH_WEIGHTS, VGGISH_PCA_WEIGHTS)

    def __init__(self) -> None:
        self._model: VGGish | None = None

    def load(self, device: str, dtype: str) -> None:
        """Read the port's weights, and its PCA file unless the checkpoint holds the PCA parameters.

        Raises:
            WeightsMissing: If a file is not found.
            CheckpointError: If a file is not what it should be.
        """
        import torch

        from a2i_plugins.vggish._model import VGGish
        from a2i_studio.weights import find, load_state_dict

        state = load_state_dict(find(VGGISH_WEIGHTS))
        if "pproc.pca_eigen_vectors" not in state:
            # The released PCA file is a pickle of numpy arrays (as torchvggish's VGGish.__init__ reads it).
            path = find(VGGISH_PCA_WEIGHTS)
            pca = load_state_dict(path, numpy_arrays=True)
            try:
                state["pproc.pca_eigen_vectors"] = torch.as_tensor(pca["pca_eigen_vectors"], dtype=torch.float32)
                state["pproc.pca_means"] = torch.as_tensor(pca["pca_means"], dtype=torch.float32).reshape(-1, 1)
            except KeyError as missing:
                raise CheckpointError(f"{path} holds no VGGish PCA parameters (no {missing}).") from None
        self._model = VGGish.from_state_dict(state).eval().to(device=device, dtype=getattr(torch, dtype))

    def unload(self) -> None:
        self._model = None

    def frontend(self, samples: np.ndarray) -> torch.Tensor:
        """The network's input for ``samples`` from :meth:`read`: float32 ``[n_examples, 96, 64]`` on the CPU.

        torchvggish's ``waveform_to_examples``: the log-mel of
        :func:`~a2i_studio.audio.features.vggish_log_mel` computed in float64,
        cut into non-overlapping 0.96 s examples, then cast to float32.
        """
        import torch

        from a2i_studio.audio.features import vggish_log_mel

        return vggish_log_mel(torch.from_numpy(samples).double()).float()

    def frames(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> torch.Tensor:
        """One embedding per 0.96 s example of ``samples``: ``[n_examples, 128]`` on ``ctx.device``."""
        import torch

        assert self._model is not None, "load() first"
        log_mel = self.frontend(samples)
        with torch.inference_mode():
            return self._model(log_mel.to(ctx.device, ctx.torch_dtype), params["postprocess"])


class VggishEncoder(_VggishEncoder):
    """VGGish embedding of the segment: the mean of its 0.96 s frames."""

    id = "vggish"
    name = "VGGish"
    description = "VGGish 128-d embedding, mean over the 0.96 s frames of the segment."
    output_space = VGGISH

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> torch.Tensor:
        return self.frames(samples, params, ctx).mean(dim=0)


class VggishSequenceEncoder(_VggishEncoder):
    """VGGish embeddings of every 0.96 s frame of the segment."""

    id = "vggish-seq"
    name = "VGGish (sequence)"
    description = "VGGish 128-d embedding per 0.96 s frame of the segment, for sequence adapters."
    output_space = VGGISH_SEQUENCE

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> torch.Tensor:
        return self.frames(samples, params, ctx)

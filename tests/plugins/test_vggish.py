"""VGGish encoders: the port's state-dict names, loading through the weights manager, pooling, post-processing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from a2i_plugins.vggish import VggishEncoder, VggishSequenceEncoder
from a2i_plugins.vggish._model import VGGish
from a2i_studio.audio.features import vggish_log_mel
from a2i_studio.core import VGGISH, VGGISH_SEQUENCE, RunContext
from a2i_studio.errors import CheckpointError, WeightsMissing

CTX = RunContext(device="cpu", dtype="float32", seeds=(0,))


def _samples(clip: Path) -> np.ndarray:
    samples, rate = soundfile.read(clip, dtype="float32")
    assert rate == 16_000
    return samples


def test_state_dict_names_and_shapes_match_the_torchvggish_port() -> None:
    with torch.device("meta"):
        state = VGGish().state_dict()
    shapes = {key: tuple(value.shape) for key, value in state.items()}
    assert [key for key in shapes if key.endswith(".weight")] == [
        "features.0.weight", "features.3.weight", "features.6.weight", "features.8.weight", "features.11.weight",
        "features.13.weight", "embeddings.0.weight", "embeddings.2.weight", "embeddings.4.weight",
    ]
    assert shapes["features.13.weight"] == (512, 512, 3, 3)
    assert shapes["embeddings.0.weight"] == (4096, 512 * 4 * 6)
    assert shapes["embeddings.4.weight"] == (128, 4096)
    assert shapes["pproc._pca_matrix"] == (128, 128)
    assert shapes["pproc._pca_means"] == (128, 1)
    assert sum(np.prod(shape) for key, shape in shapes.items() if not key.startswith("pproc")) == 72_141_184


def test_mean_and_sequence_encoders_load_the_release_files(tiny_vggish: torch.nn.Module, clip: Path) -> None:
    samples = _samples(clip)
    mean_encoder, sequence_encoder = VggishEncoder(), VggishSequenceEncoder()
    mean_encoder.load("cpu", "float32")
    sequence_encoder.load("cpu", "float32")
    params = {"postprocess": "raw"}
    frames = sequence_encoder.encode(samples, params, CTX)
    pooled = mean_encoder.encode(samples, params, CTX)
    VGGISH_SEQUENCE.check(frames, "vggish-seq", "output")
    VGGISH.check(pooled, "vggish", "output")
    assert frames.shape == (2, 128)  # 2.0 s of audio: two 0.96 s examples
    with torch.no_grad():
        expected = tiny_vggish(vggish_log_mel(torch.from_numpy(samples)))
    torch.testing.assert_close(frames, expected)
    torch.testing.assert_close(pooled, expected.mean(dim=0))
    assert not torch.equal(frames[0], frames[1])


def test_pca_and_quantized_postprocessing_follow_the_audioset_release(tiny_vggish: torch.nn.Module, clip: Path) -> None:
    encoder = VggishSequenceEncoder()
    encoder.load("cpu", "float32")
    samples = _samples(clip)
    raw = encoder.encode(samples, {"postprocess": "raw"}, CTX)
    pca = encoder.encode(samples, {"postprocess": "pca"}, CTX)
    quantized = encoder.encode(samples, {"postprocess": "quantized"}, CTX)
    matrix, means = tiny_vggish.pproc._pca_matrix, tiny_vggish.pproc._pca_means
    torch.testing.assert_close(pca, (matrix @ (raw.T - means)).T)
    torch.testing.assert_close(quantized, torch.round((pca.clamp(-2, 2) + 2) * 255 / 4))
    assert quantized.min() >= 0 and quantized.max() <= 255
    assert torch.equal(quantized, quantized.round())


def test_missing_weights_name_the_file_and_the_download_command(app_dirs: dict[str, Path]) -> None:
    with pytest.raises(WeightsMissing) as caught:
        VggishEncoder().load("cpu", "float32")
    expected = app_dirs["models"] / "encoders" / "vggish-10086976.pth"
    assert str(caught.value) == (
        "The VGGish network weights (PyTorch port of Google's AudioSet model) (vggish) are missing: "
        f"looked in {expected}; run 'a2i models download vggish'."
    )


def test_a_checkpoint_of_another_network_is_refused(app_dirs: dict[str, Path]) -> None:
    folder = app_dirs["models"] / "encoders"
    folder.mkdir(parents=True)
    torch.save({"fc.weight": torch.zeros(3, 3)}, folder / "vggish-10086976.pth")
    torch.save({"pca_eigen_vectors": torch.eye(128), "pca_means": torch.zeros(128)},
               folder / "vggish_pca_params-970ea276.pth")
    with pytest.raises(CheckpointError, match="not a VGGish state dict"):
        VggishEncoder().load("cpu", "float32")

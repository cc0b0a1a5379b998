"""VGGish encoders: the port's names, the released files, torchvggish's frontend, pooling, post-processing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from _golden import NAMES, audio_path, compare, vggish

from a2i_plugins.vggish import VGGISH_PCA_WEIGHTS, VggishEncoder, VggishSequenceEncoder
from a2i_plugins.vggish._model import VGGish
from a2i_studio.core import VGGISH, VGGISH_SEQUENCE, RunContext
from a2i_studio.errors import CheckpointError, WeightsMissing

CTX = RunContext(device="cpu", dtype="float32", seeds=(0,))
NUMPY1_PCA = Path(__file__).parent / "data" / "vggish_pca_numpy1.pth"


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
    # torchvggish's Postprocessor holds the PCA as parameters of these names and shapes.
    assert shapes["pproc.pca_eigen_vectors"] == (128, 128)
    assert shapes["pproc.pca_means"] == (128, 1)
    assert sum(np.prod(shape) for key, shape in shapes.items() if not key.startswith("pproc")) == 72_141_184


@pytest.mark.parametrize("name", NAMES)
def test_frontend_gives_torchvggish_examples_for_every_golden_file(name: str) -> None:
    encoder = VggishEncoder()
    got = encoder.frontend(encoder.read(audio_path(name)).samples)
    expected = vggish()[name]
    assert got.dtype == torch.float32
    assert got.shape == expected.shape
    largest, _, _ = compare(got.numpy(), expected)
    assert largest < 1e-5  # the golden README's tolerance for resampy's filter and a float64 log-mel


def test_encoders_embed_the_golden_examples_with_the_tiny_network(tiny_vggish: torch.nn.Module) -> None:
    mean_encoder, sequence_encoder = VggishEncoder(), VggishSequenceEncoder()
    mean_encoder.load("cpu", "float32")
    sequence_encoder.load("cpu", "float32")
    params = {"postprocess": "raw"}
    for name in ("a_speech_sweep_stereo_44k1", "e_chirp_mono_8k"):
        samples = sequence_encoder.read(audio_path(name)).samples
        frames = sequence_encoder.encode(samples, params, CTX)
        pooled = mean_encoder.encode(samples, params, CTX)
        VGGISH_SEQUENCE.check(frames, "vggish-seq", "output")
        VGGISH.check(pooled, "vggish", "output")
        with torch.no_grad():
            expected = tiny_vggish(torch.from_numpy(vggish()[name]))
        assert frames.shape == (vggish()[name].shape[0], 128)
        torch.testing.assert_close(frames, expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(pooled, expected.mean(dim=0), rtol=1e-5, atol=1e-6)
        assert not torch.equal(frames[0], frames[1])


def test_pca_and_quantized_postprocessing_follow_the_audioset_release(tiny_vggish: torch.nn.Module, clip: Path) -> None:
    encoder = VggishSequenceEncoder()
    encoder.load("cpu", "float32")
    samples = encoder.read(clip).samples
    raw = encoder.encode(samples, {"postprocess": "raw"}, CTX)
    pca = encoder.encode(samples, {"postprocess": "pca"}, CTX)
    quantized = encoder.encode(samples, {"postprocess": "quantized"}, CTX)
    matrix, means = tiny_vggish.pproc.pca_eigen_vectors, tiny_vggish.pproc.pca_means
    torch.testing.assert_close(pca, (matrix @ (raw.T - means)).T)
    torch.testing.assert_close(quantized, torch.round((pca.clamp(-2, 2) + 2) * 255 / 4))
    assert quantized.min() >= 0 and quantized.max() <= 255
    assert torch.equal(quantized, quantized.round())


def test_the_pca_file_pickled_under_numpy_1_loads(
    tiny_vggish: torch.nn.Module, app_dirs: dict[str, Path], clip: Path
) -> None:
    """The released PCA file names numpy.core.multiarray._reconstruct; this fixture was written the same way."""
    assert b"cnumpy.core.multiarray\n_reconstruct" in NUMPY1_PCA.read_bytes()
    shutil.copyfile(NUMPY1_PCA, app_dirs["models"] / "encoders" / VGGISH_PCA_WEIGHTS.filename)
    encoder = VggishSequenceEncoder()
    encoder.load("cpu", "float32")
    samples = encoder.read(clip).samples
    raw = encoder.encode(samples, {"postprocess": "raw"}, CTX)
    pca = encoder.encode(samples, {"postprocess": "pca"}, CTX)
    rng = np.random.default_rng(14)  # the values make_vggish_pca_numpy1.py wrote
    matrix = torch.as_tensor(rng.standard_normal((128, 128)) * 0.1, dtype=torch.float32)
    means = torch.as_tensor(rng.standard_normal(128) * 0.01, dtype=torch.float32)
    torch.testing.assert_close(pca, (raw - means) @ matrix.T)


def test_a_state_dict_saved_from_torchvggish_loads_without_the_pca_file(
    tiny_vggish: torch.nn.Module, app_dirs: dict[str, Path], clip: Path
) -> None:
    folder = app_dirs["models"] / "encoders"
    state = tiny_vggish.state_dict()
    # torchvggish's VGGish(postprocess=True).state_dict(): the network and pproc.pca_eigen_vectors / pproc.pca_means.
    state["pproc.pca_eigen_vectors"] = torch.eye(128) * 2.0
    state["pproc.pca_means"] = torch.full((128, 1), 0.5)
    torch.save(state, folder / "vggish-10086976.pth")
    (folder / VGGISH_PCA_WEIGHTS.filename).unlink()
    encoder = VggishSequenceEncoder()
    encoder.load("cpu", "float32")
    samples = encoder.read(clip).samples
    raw = encoder.encode(samples, {"postprocess": "raw"}, CTX)
    torch.testing.assert_close(encoder.encode(samples, {"postprocess": "pca"}, CTX), (raw - 0.5) * 2.0)


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
    torch.save({"eigen": torch.eye(128)}, folder / "vggish_pca_params-970ea276.pth")
    with pytest.raises(CheckpointError, match=r"vggish_pca_params-970ea276\.pth holds no VGGish PCA parameters"):
        VggishEncoder().load("cpu", "float32")

"""ImageBind audio encoder: official key names, checkpoint extraction, attention, embeddings, official frontend."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from _golden import NAMES, audio_path, compare, imagebind
from _unclip_fixtures import TINY_IMAGEBIND, install_tiny_imagebind, write_tiny_imagebind_checkpoint

from a2i_plugins.imagebind import IMAGEBIND_AUDIO_FILE, ImageBindAudioEncoder, extract_audio_weights
from a2i_plugins.imagebind._model import ImageBindAudio, ImageBindAudioConfig, SelfAttentionWithBiasKV
from a2i_plugins.imagebind._weights import model_from_state_dict
from a2i_studio.cli import main
from a2i_studio.core import IMAGEBIND_AUDIO, RunContext, WeightExtractor
from a2i_studio.errors import CheckpointError, WeightsMissing
from a2i_studio.weights import load_state_dict

KEYS_FILE = Path(__file__).parent / "data" / "imagebind_audio_keys.txt"
CTX = RunContext(device="cpu", dtype="float32", seeds=(0,))
PARAMS = {"clips": 3, "channels": "first"}


def _official_shapes() -> dict[str, tuple[int, ...]]:
    shapes = {}
    for line in KEYS_FILE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, shape = line.split()
            shapes[name] = () if shape == "scalar" else tuple(int(size) for size in shape.split(","))
    return shapes


def test_huge_audio_tower_has_the_official_names_and_shapes() -> None:
    with torch.device("meta"):
        state = ImageBindAudio().state_dict()
    official = _official_shapes()
    assert len(official) == 177
    assert {key: tuple(value.shape) for key, value in state.items()} == official
    assert sum(math.prod(shape) for shape in official.values()) == 86_235_649


def test_a_synthetic_huge_state_dict_loads_with_no_missing_or_unexpected_keys() -> None:
    generator = torch.Generator().manual_seed(0)
    state = {name: torch.randn(shape, generator=generator) * 0.02 for name, shape in _official_shapes().items()}
    state["modality_postprocessors.audio.1.log_logit_scale"] = torch.tensor(math.log(20.0))
    state["modality_trunks.vision.blocks.0.norm_1.weight"] = torch.ones(4)  # other modalities are left out
    model = model_from_state_dict(state, "imagebind_huge.pth")
    assert model.config == ImageBindAudioConfig()
    loaded = model.state_dict()
    for name in ("modality_trunks.audio.blocks.11.attn.bias_k", "modality_heads.audio.2.weight"):
        assert torch.equal(loaded[name], state[name])
    del state["modality_trunks.audio.blocks.3.mlp.fc2.bias"]
    with pytest.raises(CheckpointError, match=r"it lacks modality_trunks\.audio\.blocks\.3\.mlp\.fc2\.bias"):
        model_from_state_dict(state, "imagebind_huge.pth")


def test_attention_matches_torch_multihead_attention_with_bias_kv() -> None:
    torch.manual_seed(0)
    ours = SelfAttentionWithBiasKV(32, 4).eval()
    reference = torch.nn.MultiheadAttention(32, 4, add_bias_kv=True).eval()
    reference.load_state_dict(ours.state_dict())
    tokens = torch.randn(3, 7, 32)
    expected = reference(*(tokens.transpose(0, 1),) * 3, need_weights=False)[0].transpose(0, 1)
    torch.testing.assert_close(ours(tokens), expected, rtol=1e-5, atol=1e-6)


def test_extracting_the_audio_tower_keeps_only_its_tensors(
    tmp_path: Path, app_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    state = write_tiny_imagebind_checkpoint(tmp_path / "imagebind_huge.pth")
    target = extract_audio_weights(tmp_path / "imagebind_huge.pth", tmp_path / "audio.safetensors")
    extracted = load_state_dict(target)
    assert sorted(extracted) == sorted(state)
    assert all(torch.equal(extracted[key], state[key]) for key in state)
    # `a2i models extract imagebind FILE` finds the declared WeightExtractor interface and puts the tower
    # where the encoder looks first; the .pth is then not needed.
    assert isinstance(ImageBindAudioEncoder(), WeightExtractor)
    assert main(["models", "extract", "imagebind", str(tmp_path / "imagebind_huge.pth")]) == 0
    written = app_dirs["models"] / "encoders" / IMAGEBIND_AUDIO_FILE
    assert capsys.readouterr().out == f"Wrote {written}\n"
    assert main(["models", "extract", "mfcc", str(tmp_path / "imagebind_huge.pth")]) == 1
    assert capsys.readouterr().err == "error: mfcc has nothing to extract; use 'a2i models download mfcc'.\n"
    encoder = ImageBindAudioEncoder()
    encoder.load("cpu", "float32")
    (tmp_path / "broken.pth").write_bytes(b"<html>not found</html>")
    with pytest.raises(CheckpointError, match="does not hold torch pickle data"):
        extract_audio_weights(tmp_path / "broken.pth", tmp_path / "other.safetensors")


def test_encoder_extracts_on_first_load_and_averages_normalised_clip_embeddings(app_dirs: dict[str, Path]) -> None:
    encoders = app_dirs["models"] / "encoders"
    state = write_tiny_imagebind_checkpoint(encoders / "imagebind_huge.pth")
    encoder = ImageBindAudioEncoder()
    encoder.load("cpu", "float32")
    assert (encoders / IMAGEBIND_AUDIO_FILE).is_file()
    rng = np.random.default_rng(0)
    samples = (0.3 * np.sin(np.arange(5 * 16_000) * 0.05) + 0.05 * rng.standard_normal(5 * 16_000)).astype(np.float32)
    embedding = encoder.encode(samples, PARAMS, CTX)
    IMAGEBIND_AUDIO.check(embedding, "imagebind", "output")
    model = model_from_state_dict(state, "reference")
    with torch.no_grad():
        per_clip = model(encoder.frontend(samples, PARAMS))
    assert per_clip.shape == (3, 1024)
    torch.testing.assert_close(per_clip.norm(dim=-1), torch.full((3,), 20.0))
    torch.testing.assert_close(embedding, per_clip.mean(dim=0))
    assert 0 < embedding.norm() < 20  # the clips differ, so their mean is shorter than each
    one = encoder.encode(samples, {**PARAMS, "clips": 1}, CTX)
    torch.testing.assert_close(one, per_clip[0])


def test_tiny_configuration_keeps_the_real_head_width(app_dirs: dict[str, Path]) -> None:
    state = install_tiny_imagebind(app_dirs["models"])
    assert state["modality_heads.audio.2.weight"].shape == (1024, TINY_IMAGEBIND["embed_dim"])
    encoder = ImageBindAudioEncoder()
    encoder.load("cpu", "float32")
    embedding = encoder.encode(np.zeros(8_000, np.float32), {**PARAMS, "clips": 2}, CTX)  # 0.5 s: under a window
    assert embedding.shape == (1024,)
    torch.testing.assert_close(embedding.norm(), torch.tensor(20.0))  # both windows are the whole clip


def test_missing_weights_name_the_checkpoint_and_the_download_command(app_dirs: dict[str, Path]) -> None:
    with pytest.raises(WeightsMissing) as caught:
        ImageBindAudioEncoder().load("cpu", "float32")
    assert str(caught.value) == (
        "The ImageBind (huge) checkpoint of Meta AI, all modalities; its audio tower is kept on first use (imagebind) "
        f"are missing: looked in {app_dirs['models'] / 'encoders' / 'imagebind_huge.pth'}; "
        "run 'a2i models download imagebind'."
    )


@pytest.mark.parametrize("name", NAMES)
def test_frontend_gives_imagebinds_input_for_every_golden_file(name: str) -> None:
    encoder = ImageBindAudioEncoder()
    got = encoder.frontend(encoder.read(audio_path(name)).samples, PARAMS)
    expected = imagebind()[name]
    assert got.dtype == torch.float32
    assert got.shape == expected.shape == (3, 1, 128, 204)
    largest, mean, _ = compare(got.numpy(), expected)
    # The golden README's tolerances; d_ is already at 16 kHz, so it tests the fbank and clips without resampling.
    assert largest < (1e-3 if name.startswith("d_") else 5e-3)
    assert mean < 1e-4


def test_the_mix_channel_option_hears_both_sides_of_a_stereo_file() -> None:
    encoder = ImageBindAudioEncoder()
    stereo = encoder.read(audio_path("a_speech_sweep_stereo_44k1")).samples  # left speech, right a sine sweep
    assert stereo.shape[0] == 2
    mixed = encoder.frontend(stereo, {**PARAMS, "channels": "mix"})
    torch.testing.assert_close(mixed, encoder.frontend(stereo.mean(axis=0), PARAMS))
    largest, _, _ = compare(mixed.numpy(), imagebind()["a_speech_sweep_stereo_44k1"])
    assert largest > 1.0  # not what the official pipeline (the left channel alone) gives
    dual_mono = encoder.read(audio_path("f_chords_dualmono_32k")).samples
    torch.testing.assert_close(encoder.frontend(dual_mono, {**PARAMS, "channels": "mix"}),
                               encoder.frontend(dual_mono, PARAMS), rtol=0, atol=1e-5)


def test_encoder_embeds_the_golden_input_with_the_tiny_tower(app_dirs: dict[str, Path]) -> None:
    state = install_tiny_imagebind(app_dirs["models"])
    encoder = ImageBindAudioEncoder()
    encoder.load("cpu", "float32")
    model = model_from_state_dict(state, "reference")
    for name in ("a_speech_sweep_stereo_44k1", "b_speech_mono_22k05"):
        embedding = encoder.encode(encoder.read(audio_path(name)).samples, PARAMS, CTX)
        with torch.no_grad():
            expected = model(torch.from_numpy(imagebind()[name])).mean(dim=0)
        largest, _, cosine = compare(embedding.numpy(), expected.numpy())
        assert cosine > 0.99999 and largest < 1e-3

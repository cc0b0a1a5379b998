"""ImageBind audio encoder: official key names, checkpoint extraction, attention, embeddings, fbank frontend."""

from __future__ import annotations

import math
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np
import pytest
import torch
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
    embedding = encoder.encode(samples, {"clips": 3}, CTX)
    IMAGEBIND_AUDIO.check(embedding, "imagebind", "output")
    model = model_from_state_dict(state, "reference")
    with torch.no_grad():
        per_clip = model(encoder.features(samples, 3))
    assert per_clip.shape == (3, 1024)
    torch.testing.assert_close(per_clip.norm(dim=-1), torch.full((3,), 20.0))
    torch.testing.assert_close(embedding, per_clip.mean(dim=0))
    assert 0 < embedding.norm() < 20  # the clips differ, so their mean is shorter than each
    one = encoder.encode(samples, {"clips": 1}, CTX)
    torch.testing.assert_close(one, per_clip[0])


def test_tiny_configuration_keeps_the_real_head_width(app_dirs: dict[str, Path]) -> None:
    state = install_tiny_imagebind(app_dirs["models"])
    assert state["modality_heads.audio.2.weight"].shape == (1024, TINY_IMAGEBIND["embed_dim"])
    encoder = ImageBindAudioEncoder()
    encoder.load("cpu", "float32")
    embedding = encoder.encode(np.zeros(8_000, np.float32), {"clips": 2}, CTX)  # 0.5 s: shorter than a window
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


def _kaldi_fbank(window: np.ndarray, bins: int) -> np.ndarray:
    """torchaudio's Kaldi fbank with ImageBind's options, in float64 numpy."""
    frames = np.lib.stride_tricks.sliding_window_view(window.astype(np.float64), 400)[::160].copy()
    frames -= frames.mean(axis=1, keepdims=True)
    frames = frames - 0.97 * np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    power = np.abs(np.fft.rfft(frames * np.hanning(400), 512)) ** 2
    return np.log(np.maximum(power @ _htk_banks(bins).T, np.finfo(np.float32).eps))


def _htk_banks(bins: int) -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 1127.0 * np.log(1.0 + hz / 700.0)

    low, high = mel(np.array(20.0)), mel(np.array(8000.0))
    delta = (high - low) / (bins + 1)
    fft_mel = mel(16_000 / 512 * np.arange(256))
    banks = np.zeros((bins, 257))
    for band in range(bins):
        left, centre, right = (low + (band + offset) * delta for offset in range(3))
        rising, falling = (fft_mel - left) / (centre - left), (right - fft_mel) / (right - centre)
        banks[band, :256] = np.maximum(0.0, np.minimum(rising, falling))
    return banks


def test_frontend_reproduces_imagebinds_clips_with_kaldi_fbank() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(int(4.5 * 16_000)) / 16_000
    samples = (0.4 * np.sin(2 * np.pi * (300 + 80 * t) * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    # The reference agrees with kaldi-native-fbank where Kaldi accepts the setting (it refuses 128 bins at 16 kHz).
    options = knf.FbankOptions()
    options.frame_opts.samp_freq, options.frame_opts.dither, options.frame_opts.window_type = 16_000, 0.0, "hanning"
    options.mel_opts.num_bins = 80
    online = knf.OnlineFbank(options)
    online.accept_waveform(16_000, samples[:32_000].tolist())
    online.input_finished()
    kaldi = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    np.testing.assert_allclose(_kaldi_fbank(samples[:32_000], 80), kaldi, rtol=0, atol=3e-3)
    # ImageBind: 3 windows of 2 s starting at i * (4.5 s - 2 s) / 2, mean removed, fbank, padded to 204, normalised.
    got = ImageBindAudioEncoder().features(samples, 3).numpy()
    assert got.shape == (3, 1, 128, 204)
    for clip, start in enumerate((0, 20_000, 40_000)):
        window = samples[start : start + 32_000].astype(np.float64)
        fbank = _kaldi_fbank(window - window.mean(), 128).T  # 128 bands x 198 frames
        padded = np.pad(fbank, ((0, 0), (0, 204 - fbank.shape[1])))
        np.testing.assert_allclose(got[clip, 0], (padded + 4.268) / 9.138, rtol=0, atol=2e-3)

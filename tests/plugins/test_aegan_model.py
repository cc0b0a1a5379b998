"""The AE-GAN network, its model files and the ``aegan`` generator component."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from a2i_plugins.aegan import AeganGenerator
from a2i_plugins.aegan._losses import ssim
from a2i_plugins.aegan._network import AeganConfig, AeganNet, PatchDiscriminator
from a2i_plugins.aegan._weights import load_model, save_model
from a2i_studio.core import MFCC_SUMMARY, Registry, RunContext, resolve_params
from a2i_studio.errors import CheckpointError, WeightsMissing


def _net(size: int = 32, channels: int = 32, seed: int = 0) -> AeganNet:
    """A random network whose batch-norm statistics come from one batch, as after training."""
    torch.manual_seed(seed)
    net = AeganNet(AeganConfig(size=size, channels=channels))
    mean, std = torch.linspace(-5, 5, 104), torch.linspace(1, 3, 104)
    net.set_normalisation(mean, std)
    for layer in net.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.momentum = None  # cumulative average: one batch sets the statistics
    with torch.no_grad():
        net.train()(mean + std * torch.randn(16, 104))
    return net.eval()


def test_the_paper_configuration_has_its_layer_widths_and_makes_256px_rgb() -> None:
    net = AeganNet(AeganConfig(size=256, channels=256))
    linear = [layer for layer in net.encoder if isinstance(layer, nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linear] == [
        (104, 1024), (1024, 768), (768, 512), (512, 256), (256, 100)
    ]
    assert all(isinstance(layer, nn.LeakyReLU) for layer in net.encoder[1::2])
    convs = [layer for layer in net.generator if isinstance(layer, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (100, 256), (256, 128), (128, 64), (64, 32), (32, 16), (16, 8), (8, 4), (4, 3)
    ]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    assert sum(isinstance(layer, nn.BatchNorm2d) for layer in net.generator) == 7
    assert isinstance(net.generator[-1], nn.Tanh)
    with torch.no_grad():
        images = net.eval()(torch.randn(2, 104) * 10)
    assert images.shape == (2, 3, 256, 256)


@pytest.mark.parametrize(("size", "channels"), [(32, 16), (64, 16), (128, 64)])
def test_images_have_the_configured_size_and_stay_in_tanh_range(size: int, channels: int) -> None:
    with torch.no_grad():
        images = _net(size, channels)(torch.linspace(-5, 5, 104) + torch.randn(3, 104) * 10)
    assert images.shape == (3, 3, size, size)
    assert images.abs().max() <= 1.0 and images.std() > 0.01


def test_features_are_normalised_by_the_stored_training_statistics() -> None:
    net = _net()
    features = torch.randn(4, 104)
    expected = (features - net.feature_mean) / net.feature_std
    assert torch.allclose(net.normalise(features), expected)
    assert torch.allclose(net.feature_std, torch.linspace(1, 3, 104))


def test_a_saved_model_loads_back_to_bit_identical_outputs(tmp_path: Path) -> None:
    net = _net()
    features = torch.randn(2, 104) * 5
    with torch.no_grad():
        before = net(features)
    save_model(tmp_path / "m.safetensors", net, {"labels": ["a", "b"]})
    loaded, info = load_model(tmp_path / "m.safetensors")
    with torch.no_grad():
        after = loaded(features)
    assert torch.equal(before, after) and info == {"labels": ["a", "b"]}
    assert loaded.config == net.config and not loaded.training
    save_model(tmp_path / "h.safetensors", net, half=True)
    assert (tmp_path / "h.safetensors").stat().st_size < 0.6 * (tmp_path / "m.safetensors").stat().st_size
    with torch.no_grad():
        assert (load_model(tmp_path / "h.safetensors")[0](features) - before).abs().max() < 0.02


def test_a_file_that_is_not_an_aegan_model_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not an AE-GAN model"):
        load_model(tmp_path / "other.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_model(tmp_path / "junk.safetensors")


def test_patch_discriminator_gives_one_logit_per_patch() -> None:
    assert PatchDiscriminator(64)(torch.randn(2, 3, 64, 64)).shape == (2, 1, 7, 7)
    assert PatchDiscriminator(32)(torch.randn(2, 3, 32, 32)).shape == (2, 1, 7, 7)


def test_ssim_loss_is_one_for_equal_batches_and_falls_with_noise() -> None:
    torch.manual_seed(0)
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    assert ssim(images, images).item() == pytest.approx(1.0, abs=1e-6)
    noisy = (images + 0.3 * torch.randn_like(images)).clamp(-1, 1)
    assert 0.2 < ssim(noisy, images).item() < 0.9


def _run(generator: AeganGenerator, checkpoint: Path, seeds: tuple[int, ...], **given: object) -> list[bytes]:
    params = resolve_params(generator.params, {"checkpoint": str(checkpoint), **given}, generator.id)
    value = torch.linspace(-3, 3, 104)
    ctx = RunContext(device="cpu", dtype="float32", seeds=seeds)
    return [image.tobytes() for image in generator.generate(value, params, ctx)]


def test_generator_images_depend_on_their_own_seed_and_variation(tmp_path: Path) -> None:
    save_model(tmp_path / "m.safetensors", _net())
    generator = AeganGenerator()
    generator.load("cpu", "float32")
    batch = _run(generator, tmp_path / "m.safetensors", (3, 4, 5))
    assert len(set(batch)) == 3
    assert _run(generator, tmp_path / "m.safetensors", (4,)) == batch[1:2]
    still = _run(generator, tmp_path / "m.safetensors", (3, 4), variation=0.0)
    assert still[0] == still[1]
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "m.safetensors"), "size": "128"}, "aegan")
    images = generator.generate(torch.zeros(104), params, RunContext("cpu", "float32", (0,)))
    assert images[0].size == (128, 128) and images[0].mode == "RGB"


def test_generator_declares_its_space_and_says_where_it_looked_for_weights(tmp_path: Path) -> None:
    registry = Registry()
    registry.add_generator(AeganGenerator())
    assert AeganGenerator.input_space == MFCC_SUMMARY
    assert "torch" in sys.modules  # this test module needs it; the plugin import alone does not (see below)
    generator = AeganGenerator()
    generator.load("cpu", "float32")
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "gone.safetensors")}, "aegan")
    with pytest.raises(WeightsMissing, match=r"gone\.safetensors does not exist"):
        generator.generate(torch.zeros(104), params, RunContext("cpu", "float32", (0,)))


def test_importing_the_plugin_imports_no_torch() -> None:
    import subprocess

    code = "import sys, a2i_plugins.aegan; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

"""The AE-GAN network, its model files, its numpy twin and the ``aegan`` generator component."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn
from torch.nn import functional

from a2i_plugins.aegan import BUNDLED, BUNDLED_SHARP, AeganGenerator, AeganSharpGenerator
from a2i_plugins.aegan._config import AeganConfig
from a2i_plugins.aegan._inference import load_model
from a2i_plugins.aegan._losses import gradient_magnitude, ssim
from a2i_plugins.aegan._network import AeganNet, MultiScaleDiscriminator, PatchDiscriminator, save_model
from a2i_studio import config
from a2i_studio.core import MFCC_STEREO_SUMMARY, MFCC_SUMMARY, Registry, RunContext, WeightSpec, resolve_params
from a2i_studio.errors import CheckpointError, WeightsMissing
from a2i_studio.files import sha256_file

# The numpy network adds the same float32 products as torch in another order, with the batch norm's scale folded into
# the weights; rounding of ~1e-7 per operation stays near 1e-6 after eleven layers (6e-7 measured on the bundled model).
TOLERANCE = 1e-5


def _net(size: int = 32, channels: int = 32, seed: int = 0, features: int = 104) -> AeganNet:
    """A random network whose batch-norm statistics come from one batch, as after training."""
    torch.manual_seed(seed)
    net = AeganNet(AeganConfig(size=size, features=features, channels=channels))
    mean, std = torch.linspace(-5, 5, features), torch.linspace(1, 3, features)
    net.set_normalisation(mean, std)
    for layer in net.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.momentum = None  # cumulative average: one batch sets the statistics
    with torch.no_grad():
        net.train()(mean + std * torch.randn(16, features))
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


def _torch_images(net: AeganNet, features: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
    """The torch network's images, channels last like the numpy network's."""
    with torch.no_grad():
        noise_tensor = None if noise is None else torch.from_numpy(noise)
        return net(torch.from_numpy(features), noise_tensor).permute(0, 2, 3, 1).numpy()


def _pixels(images: np.ndarray) -> np.ndarray:
    return np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.int16)


@pytest.mark.parametrize(("size", "channels", "width"), [(32, 32, 104), (64, 16, 104), (128, 64, 136)])
def test_the_numpy_network_computes_what_the_torch_one_does(
    tmp_path: Path, size: int, channels: int, width: int
) -> None:
    net = _net(size, channels, features=width)
    save_model(tmp_path / "m.safetensors", net, {"labels": ["a", "b"]})
    numpy_net, info = load_model(tmp_path / "m.safetensors")
    assert numpy_net.config == net.config and info == {"labels": ["a", "b"]}
    features = np.linspace(-5, 5, width, dtype=np.float32) + 10 * np.random.default_rng(0).standard_normal(
        (3, width), dtype=np.float32
    )
    expected = _torch_images(net, features)
    got = numpy_net(features)
    assert got.dtype == np.float32 and got.shape == (3, size, size, 3)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    noise = np.random.default_rng(1).standard_normal((3, width), dtype=np.float32)
    shifted = features + noise * net.feature_std.numpy()  # noise is in units of the training std
    np.testing.assert_allclose(numpy_net(features, noise), _torch_images(net, shifted), rtol=0, atol=TOLERANCE)
    # The training noise of the torch network is the same noise.
    np.testing.assert_allclose(numpy_net(features, noise), _torch_images(net, features, noise), rtol=0, atol=TOLERANCE)


def test_a_half_precision_file_is_half_the_size_and_changes_outputs_by_under_0_02(tmp_path: Path) -> None:
    net = _net()
    save_model(tmp_path / "m.safetensors", net)
    save_model(tmp_path / "h.safetensors", net, half=True)
    assert (tmp_path / "h.safetensors").stat().st_size < 0.6 * (tmp_path / "m.safetensors").stat().st_size
    features = np.linspace(-5, 5, 104, dtype=np.float32)[None]
    difference = load_model(tmp_path / "h.safetensors")[0](features) - _torch_images(net, features)
    assert 0 < np.abs(difference).max() < 0.02


@pytest.mark.parametrize(("spec", "size", "width"), [(BUNDLED, 64, 104), (BUNDLED_SHARP, 128, 136)])
def test_the_bundled_models_give_the_torch_images_within_one_grey_level(
    spec: WeightSpec, size: int, width: int
) -> None:
    assert spec.bundled is not None
    assert spec.bundled.stat().st_size == spec.size_bytes and sha256_file(spec.bundled) == spec.sha256
    with safe_open(str(spec.bundled), framework="np") as handle:
        config = AeganConfig.from_json(json.loads((handle.metadata() or {})["config"]))
    net = AeganNet(config)
    net.load_state_dict({key: value.float() for key, value in load_file(str(spec.bundled)).items()})
    numpy_net, info = load_model(spec.bundled)
    assert (config.size, config.features) == (size, width) and len(info["labels"]) == 8
    # Raw summaries around the training set's: its mean plus 1.5 training stds of noise.
    scale = np.random.default_rng(2).standard_normal((16, width), dtype=np.float32) * 1.5
    features = numpy_net.mean + numpy_net.std * scale
    expected, got = _torch_images(net.eval(), features), numpy_net(features)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    differences = np.abs(_pixels(got) - _pixels(expected))
    assert differences.max() <= 1 and (differences == 0).mean() > 0.999


def test_a_file_that_is_not_an_aegan_model_or_does_not_fit_its_config_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not an AE-GAN model"):
        load_model(tmp_path / "other.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_model(tmp_path / "junk.safetensors")
    save_model(tmp_path / "m.safetensors", _net())
    tensors = load_file(str(tmp_path / "m.safetensors"))
    tensors["generator.0.weight"] = tensors["generator.0.weight"][:, :8].contiguous()
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as handle:
        save_file(tensors, str(tmp_path / "cut.safetensors"), metadata=handle.metadata())
    with pytest.raises(CheckpointError, match=r"generator\.0\.weight has shape \(100, 8, 4, 4\)"):
        load_model(tmp_path / "cut.safetensors")


def test_patch_discriminator_gives_one_logit_per_patch() -> None:
    assert PatchDiscriminator(64)(torch.randn(2, 3, 64, 64)).shape == (2, 1, 7, 7)
    assert PatchDiscriminator(32)(torch.randn(2, 3, 32, 32)).shape == (2, 1, 7, 7)


def test_the_multi_scale_critic_judges_full_and_halved_images_and_gives_their_features() -> None:
    torch.manual_seed(0)
    critic = MultiScaleDiscriminator(128, scales=2, channels=8).eval()
    images = torch.rand(2, 3, 128, 128) * 2 - 1
    full, half = critic.features(images)
    assert [tuple(f.shape) for f in full] == [(2, 8, 64, 64), (2, 16, 32, 32), (2, 32, 16, 16), (2, 1, 15, 15)]
    assert [tuple(f.shape) for f in half] == [(2, 8, 32, 32), (2, 16, 16, 16), (2, 32, 8, 8), (2, 1, 7, 7)]
    first, second = critic.critics
    assert torch.equal(full[-1], first(images))
    assert torch.equal(half[-1], second(functional.avg_pool2d(images, 2)))


def test_gradient_magnitude_of_an_edge_and_of_its_blur() -> None:
    edge = -torch.ones(1, 3, 16, 16)
    edge[..., 8:] = 1.0  # one vertical black/white edge: a step of 1 on [0, 1] in one of 15 columns
    assert gradient_magnitude(edge).item() == pytest.approx(1 / 15)
    blurred = functional.avg_pool2d(edge, 3, stride=1, padding=1, count_include_pad=False)
    assert gradient_magnitude(blurred).item() == pytest.approx(1 / 15, abs=1e-6)  # the same rise, spread out
    assert gradient_magnitude(torch.zeros(1, 3, 8, 8)).item() == 0.0
    noisy = edge + 0.2 * torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    assert gradient_magnitude(noisy).item() > 2 * gradient_magnitude(edge).item()


def test_ssim_loss_is_one_for_equal_batches_and_falls_with_noise() -> None:
    torch.manual_seed(0)
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    assert ssim(images, images).item() == pytest.approx(1.0, abs=1e-6)
    noisy = (images + 0.3 * torch.randn_like(images)).clamp(-1, 1)
    assert 0.2 < ssim(noisy, images).item() < 0.9


def _run(generator: AeganGenerator, checkpoint: Path, seeds: tuple[int, ...], **given: object) -> list[bytes]:
    params = resolve_params(generator.params, {"checkpoint": str(checkpoint), **given}, generator.id)
    value = np.linspace(-3, 3, 104, dtype=np.float32)
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
    images = generator.generate(np.zeros(104, np.float32), params, RunContext("cpu", "float32", (0,)))
    assert images[0].size == (128, 128) and images[0].mode == "RGB"


def test_generator_images_are_the_torch_networks_within_one_grey_level(tmp_path: Path) -> None:
    net = _net(64, 16)
    save_model(tmp_path / "m.safetensors", net)
    generator = AeganGenerator()
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "m.safetensors"), "variation": 0.5}, "")
    ctx = RunContext(device="cpu", dtype="float32", seeds=(7, 8))
    value = np.linspace(-3, 3, 104, dtype=np.float32)
    got = np.stack([np.asarray(image) for image in generator.generate(value, params, ctx)]).astype(np.int16)
    noise = np.stack([rng.standard_normal(104, dtype=np.float32) for rng in ctx.numpy_generators()]) * 0.5
    expected = _pixels(_torch_images(net, value + noise * net.feature_std.numpy()))
    assert np.abs(got - expected).max() <= 1 and (got == expected).mean() > 0.999


def test_the_sharp_generator_takes_the_stereo_summary_and_refuses_a_104_feature_model(tmp_path: Path) -> None:
    assert AeganSharpGenerator.input_space == MFCC_STEREO_SUMMARY and AeganSharpGenerator.needs_torch is False
    net = _net(64, 16, features=136)
    save_model(tmp_path / "sharp.safetensors", net)
    generator = AeganSharpGenerator()
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "sharp.safetensors")}, "aegan-sharp")
    ctx = RunContext(device="cpu", dtype="float32", seeds=(7, 8))
    value = np.linspace(-3, 3, 136, dtype=np.float32)
    got = np.stack([np.asarray(image) for image in generator.generate(value, params, ctx)]).astype(np.int16)
    noise = np.stack([rng.standard_normal(136, dtype=np.float32) for rng in ctx.numpy_generators()]) * 0.2
    expected = _pixels(_torch_images(net, value + noise * net.feature_std.numpy()))
    assert np.abs(got - expected).max() <= 1 and not np.array_equal(got[0], got[1])
    save_model(tmp_path / "seed.safetensors", _net())
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "seed.safetensors")}, "aegan-sharp")
    with pytest.raises(CheckpointError, match=r"seed\.safetensors takes 104 sound features, but the aegan-sharp "
                       r"generator gets 136 \(mfcc-stereo-summary\); pass a model trained for it "
                       r"\('a2i train aegan --preset sharp'\)"):
        generator.generate(value, params, ctx)


def test_generator_declares_its_space_and_says_where_it_looked_for_weights(tmp_path: Path) -> None:
    registry = Registry()
    registry.add_generator(AeganGenerator())
    assert AeganGenerator.input_space == MFCC_SUMMARY and AeganGenerator.needs_torch is False
    generator = AeganGenerator()
    generator.load("cpu", "float32")
    params = resolve_params(generator.params, {"checkpoint": str(tmp_path / "gone.safetensors")}, "aegan")
    with pytest.raises(WeightsMissing, match=r"gone\.safetensors does not exist"):
        generator.generate(np.zeros(104, np.float32), params, RunContext("cpu", "float32", (0,)))


def test_importing_the_plugin_imports_no_torch() -> None:
    code = "import sys, a2i_plugins.aegan; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a2i_generate_with_the_default_chain_never_imports_torch(app_dirs: dict[str, Path], tmp_path: Path) -> None:
    clip = config.resources_dir() / "sounds" / "rain.wav"
    script = (
        "import sys; from a2i_studio.cli import main; "
        f"code = main(['generate', {str(clip)!r}, '--seed', '1', '--out', {str(tmp_path / 'out')!r}]); "
        "print(code, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["0", "False"]
    [image] = (tmp_path / "out").glob("*.png")
    with Image.open(image) as picture:
        assert picture.size == (128, 128) and np.asarray(picture).std() > 5  # a picture, not a flat colour

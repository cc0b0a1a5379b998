"""Tiny real models for the VGGish, diffusion and MLP adapter tests.

Tokenizers are built offline from a small vocabulary; pipelines are tiny
instances of the real diffusers/transformers classes, saved with
``save_pretrained`` once per session, and installed into each test's models
dir where the plugins' own loading code finds them.
"""

from __future__ import annotations

import functools
import os
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from a2i_studio.core import Registry
from a2i_studio.testing import load_plugins

os.environ["HF_HUB_OFFLINE"] = "1"

_LETTERS = string.ascii_lowercase


def clip_tokenizer() -> object:
    """A CLIP BPE tokenizer over single letters plus a few merges, 77 tokens long."""
    from transformers import CLIPTokenizer

    vocab = {letter: index for index, letter in enumerate(_LETTERS)}
    vocab.update({f"{letter}</w>": len(vocab) + index for index, letter in enumerate(_LETTERS)})
    merges = [("b", "i"), ("bi", "r"), ("bir", "d</w>"), ("d", "o"), ("do", "g</w>")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def t5_tokenizer() -> object:
    """A unigram T5 tokenizer over single letters."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -4.0)]
    pieces += [(f"▁{letter}", -2.0) for letter in _LETTERS] + [(letter, -3.0) for letter in _LETTERS]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=256)


def _clip_text_config(tokenizer: object, hidden: int, projection: int = 32) -> object:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        hidden_size=hidden, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
        vocab_size=len(tokenizer), max_position_embeddings=77, projection_dim=projection,  # type: ignore[arg-type]
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id, hidden_act="gelu",  # type: ignore[attr-defined]
    )


def _tiny_vae(latent_channels: int, **extra: object) -> object:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(16, 32), down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=latent_channels, layers_per_block=1,
        norm_num_groups=8, sample_size=32, **extra,
    )


def build_tiny_sd(folder: Path, text_hidden: int, v_prediction: bool) -> Path:
    """Save a tiny SD 1.x/2.x-shaped pipeline whose text states are ``77 x text_hidden``."""
    from diffusers import DDIMScheduler, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    unet = UNet2DConditionModel(
        sample_size=16, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=text_hidden, attention_head_dim=8, norm_num_groups=8, use_linear_projection=v_prediction,
    )
    schedule = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1}
    scheduler = (
        DDIMScheduler(prediction_type="v_prediction", clip_sample=False, set_alpha_to_one=False, **schedule)
        if v_prediction else PNDMScheduler(skip_prk_steps=True, set_alpha_to_one=False, **schedule)
    )
    pipeline = StableDiffusionPipeline(
        vae=_tiny_vae(4), text_encoder=CLIPTextModel(_clip_text_config(tokenizer, text_hidden)),
        tokenizer=tokenizer, unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder)
    return folder


def build_tiny_sd3(folder: Path) -> Path:
    """Save a tiny SD3-shaped pipeline: pooled 2048 (two CLIPs with projection), T5 with d_model 4096."""
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
    from transformers import CLIPTextModelWithProjection, T5Config, T5EncoderModel

    torch.manual_seed(0)
    tokenizer, tokenizer_2, tokenizer_3 = clip_tokenizer(), clip_tokenizer(), t5_tokenizer()
    transformer = SD3Transformer2DModel(
        sample_size=16, patch_size=2, in_channels=16, num_layers=1, attention_head_dim=8, num_attention_heads=4,
        joint_attention_dim=4096, caption_projection_dim=32, pooled_projection_dim=2048, out_channels=16,
        pos_embed_max_size=16,
    )
    t5 = T5EncoderModel(T5Config(d_model=4096, d_ff=16, d_kv=4, num_heads=2, num_layers=1,
                                 vocab_size=len(tokenizer_3), decoder_start_token_id=0))
    pipeline = StableDiffusion3Pipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=_tiny_vae(16, shift_factor=0.0609, scaling_factor=1.5305, use_quant_conv=False, use_post_quant_conv=False),
        text_encoder=CLIPTextModelWithProjection(_clip_text_config(tokenizer, 32, projection=1024)),
        text_encoder_2=CLIPTextModelWithProjection(_clip_text_config(tokenizer_2, 32, projection=1024)),
        text_encoder_3=t5, tokenizer=tokenizer, tokenizer_2=tokenizer_2, tokenizer_3=tokenizer_3,
    )
    pipeline.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_sd15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny SD 1.5-shaped pipeline (text states 77 x 768)."""
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd15"), 768, v_prediction=False)


@pytest.fixture(scope="session")
def tiny_sd21(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny SD 2.1-shaped pipeline (text states 77 x 1024, v-prediction)."""
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd21"), 1024, v_prediction=True)


@pytest.fixture(scope="session")
def tiny_sd3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny SD3-shaped pipeline (pooled 2048, sequence 333 x 4096)."""
    return build_tiny_sd3(tmp_path_factory.mktemp("tiny-sd3"))


@pytest.fixture
def install_checkpoint(app_dirs: dict[str, Path]) -> Callable[[Path, str], Path]:
    """Link a saved pipeline into the models dir's ``checkpoints/NAME``, where a generator's default model looks."""

    def install(source: Path, name: str) -> Path:
        target = app_dirs["models"] / "checkpoints" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source, target_is_directory=True)
        return target

    return install


@pytest.fixture
def tiny_vggish(app_dirs: dict[str, Path]) -> torch.nn.Module:
    """A tiny VGGish (head ends in 128) saved like the port's release: weights and numpy PCA file apart."""
    from a2i_plugins.vggish._model import VGGish

    torch.manual_seed(0)
    model = VGGish(channels=(4, 4, 8, 8, 8, 8), hidden=16).eval()
    folder = app_dirs["models"] / "encoders"
    folder.mkdir(parents=True, exist_ok=True)
    network = {key: value for key, value in model.state_dict().items() if not key.startswith("pproc.")}
    torch.save(network, folder / "vggish-10086976.pth")
    rng = np.random.default_rng(0)
    pca = {"pca_eigen_vectors": rng.standard_normal((128, 128)) * 0.1, "pca_means": rng.standard_normal(128) * 0.01}
    torch.save(pca, folder / "vggish_pca_params-970ea276.pth")
    model.pproc.pca_eigen_vectors.copy_(torch.as_tensor(pca["pca_eigen_vectors"]))
    model.pproc.pca_means.copy_(torch.as_tensor(pca["pca_means"]).reshape(-1, 1))
    return model


@pytest.fixture
def registry() -> Registry:
    """The components of the vggish, mlp_adapter and diffusion plugins, registered through their hooks."""
    import a2i_plugins.diffusion
    import a2i_plugins.mlp_adapter
    import a2i_plugins.vggish

    return load_plugins(a2i_plugins.vggish, a2i_plugins.mlp_adapter, a2i_plugins.diffusion).registry


@pytest.fixture
def write_adapter(app_dirs: dict[str, Path]) -> Callable[..., Path]:
    """A function that saves a random MLP adapter (safetensors + JSON) into the models dir's ``adapters/``."""
    return functools.partial(_write_adapter, app_dirs["models"])


def _write_adapter(
    models_dir: Path,
    adapter_id: str,
    input_space: str,
    output_space: str,
    target: str = "first-n",
    tokens: int = 4,
    padding: str = "zeros",
) -> Path:
    """Save a randomly initialised MLP adapter into ``models_dir/adapters``."""
    from a2i_plugins.mlp_adapter import FORMAT
    from a2i_plugins.mlp_adapter._network import AdapterNetwork, input_dim, save_adapter

    spaces = Registry()  # the built-in spaces, by name

    torch.manual_seed(1)
    config = {
        "format": FORMAT, "id": adapter_id, "input_space": input_space, "output_space": output_space,
        "input_dim": input_dim(spaces.space(input_space)), "hidden": [16], "dropout": 0.0, "norm": "layer",
        "target": target, "tokens": tokens, "padding": padding, "encoder": "vggish", "encoder_params": {},
        "generator": "sd15", "generator_model": "", "captions": "", "metrics": {},
    }
    network = AdapterNetwork(config, spaces.space(output_space))
    return save_adapter(network, models_dir / "adapters")

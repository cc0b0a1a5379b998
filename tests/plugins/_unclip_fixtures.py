"""Tiny real models for the ImageBind and unCLIP tests, imported by their test modules.

The ImageBind audio tower is a small configuration of the plugin's own model
whose head still ends in 1024; the unCLIP pipeline is built from the real
diffusers/transformers classes (a U-Net with a projection class embedding,
the image normaliser and noising scheduler, CLIP text and vision encoders and a
tokenizer over a few letters), saved with ``save_pretrained`` and installed
where the generator's default model source looks.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

os.environ["HF_HUB_OFFLINE"] = "1"

TINY_IMAGEBIND = {"embed_dim": 128, "num_blocks": 2, "num_heads": 2, "out_dim": 1024, "drop_path": 0.1}
"""A small audio tower: 128-wide tokens (two 64-wide heads), two blocks, the real 1024-d head."""
UNCLIP_FOLDER = "stable-diffusion-2-1-unclip"
"""Where in the models dir's ``checkpoints/`` the generator's default model is looked for."""


def tiny_imagebind_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """The state dict of a randomly initialised tiny audio tower, under the official names."""
    from a2i_plugins.imagebind._model import ImageBindAudio, ImageBindAudioConfig

    torch.manual_seed(seed)
    return ImageBindAudio(ImageBindAudioConfig(**TINY_IMAGEBIND)).state_dict()


def write_tiny_imagebind_checkpoint(path: Path, seed: int = 0) -> dict[str, torch.Tensor]:
    """Save a tiny audio tower as a full ImageBind checkpoint (plus another modality's tensors) with ``torch.save``."""
    state = tiny_imagebind_state(seed)
    others = {"modality_trunks.vision.blocks.0.norm_1.weight": torch.ones(8), "modality_heads.text.proj.1.weight":
              torch.zeros(4, 8)}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({**state, **others}, path)
    return state


def write_audio(path: Path, seconds: float, frequency: float, seed: int = 0) -> Path:
    """A mono 16 kHz WAV: a tone with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16_000)) / 16_000
    samples = 0.4 * np.sin(2 * np.pi * frequency * t) + 0.02 * rng.standard_normal(t.size)
    soundfile.write(path, samples.astype(np.float32), 16_000)
    return path


def write_image(path: Path, colour: tuple[int, int, int], size: int = 48) -> Path:
    """A PNG: a colour with a diagonal gradient, so images differ in more than their mean."""
    ramp = np.linspace(0, 60, size, dtype=np.float32)
    pixels = np.clip(np.array(colour, np.float32) + ramp[:, None, None] - ramp[None, :, None], 0, 255)
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(path)
    return path


def tiny_clip_tokenizer() -> object:
    """A CLIP BPE tokenizer over single letters (and one merged word, rain), 77 tokens long."""
    from transformers import CLIPTokenizer

    letters = string.ascii_lowercase
    vocab = {letter: index for index, letter in enumerate(letters)}
    vocab.update({f"{letter}</w>": len(vocab) + index for index, letter in enumerate(letters)})
    merges = [("r", "a"), ("ra", "i"), ("rai", "n</w>")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_tiny_unclip(folder: Path) -> Path:
    """Save a tiny StableUnCLIPImg2ImgPipeline with 1024-d image embeddings and 32-d text states."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableUnCLIPImg2ImgPipeline,
        UNet2DConditionModel,
    )
    from diffusers.pipelines.stable_diffusion.stable_unclip_image_normalizer import StableUnCLIPImageNormalizer
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    torch.manual_seed(0)
    tokenizer = tiny_clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
        vocab_size=len(tokenizer), max_position_embeddings=77, projection_dim=32,  # type: ignore[arg-type]
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id, hidden_act="gelu",  # type: ignore[attr-defined]
    ))
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4, image_size=32,
        patch_size=8, projection_dim=1024,
    ))
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32, use_linear_projection=True,
        class_embed_type="projection", projection_class_embeddings_input_dim=2048,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64), down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, layers_per_block=1, norm_num_groups=32,
        sample_size=32,
    )
    normalizer = StableUnCLIPImageNormalizer(embedding_dim=1024)
    with torch.no_grad():
        normalizer.mean.normal_(0, 0.1)
        normalizer.std.uniform_(0.5, 1.0)
    pipeline = StableUnCLIPImg2ImgPipeline(
        feature_extractor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        image_encoder=image_encoder,
        image_normalizer=normalizer,
        image_noising_scheduler=DDPMScheduler(beta_schedule="squaredcos_cap_v2"),
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        unet=unet,
        scheduler=DDIMScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", prediction_type="v_prediction",
            clip_sample=False, set_alpha_to_one=False, steps_offset=1,
        ),
        vae=vae,
    )
    pipeline.save_pretrained(folder)
    return folder


def install_unclip(models_dir: Path, source: Path) -> Path:
    """Link a saved pipeline into ``models_dir/checkpoints/``, where the ``unclip`` default model looks."""
    target = models_dir / "checkpoints" / UNCLIP_FOLDER
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source, target_is_directory=True)
    return target


def install_tiny_imagebind(models_dir: Path, seed: int = 0) -> dict[str, torch.Tensor]:
    """Save a tiny audio tower where the ``imagebind`` encoder looks first (the audio-only safetensors)."""
    from safetensors.torch import save_file

    from a2i_plugins.imagebind import IMAGEBIND_AUDIO_FILE

    state = tiny_imagebind_state(seed)
    folder = models_dir / "encoders"
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / IMAGEBIND_AUDIO_FILE))
    return state


@pytest.fixture(scope="session", name="tiny_unclip")
def tiny_unclip_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny unCLIP pipeline (image embeddings 1024, text states 32, latents 16 x 16 for 32 px)."""
    return build_tiny_unclip(tmp_path_factory.mktemp("tiny-unclip"))

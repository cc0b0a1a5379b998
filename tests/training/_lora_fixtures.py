"""Tiny real Stable Diffusion pipelines and image folders for the LoRA tests.

The pipeline is built from the real diffusers/transformers classes (a two-level
U-Net whose cross-attention reads 77 x 768 text states, as SD 1.5's does), with
a CLIP tokenizer built offline from a small vocabulary, and saved with
``save_pretrained`` where the trainer and the ``sd15`` generator load it from.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import numpy as np
import torch
from PIL import Image

os.environ["HF_HUB_OFFLINE"] = "1"

COLOURS = {"red": (220, 40, 30), "blue": (30, 60, 220), "green": (40, 200, 60)}


def tiny_tokenizer() -> object:
    """A CLIP BPE tokenizer over single letters (and the word bird), 77 tokens long."""
    from transformers import CLIPTokenizer

    letters = string.ascii_lowercase
    vocab = {letter: index for index, letter in enumerate(letters)}
    vocab.update({f"{letter}</w>": len(vocab) + index for index, letter in enumerate(letters)})
    merges = [("b", "i"), ("bi", "r"), ("bir", "d</w>")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_tiny_sd(folder: Path, *, nan_weights: bool = False) -> Path:
    """Save a tiny SD 1.5-shaped pipeline into ``folder``; ``nan_weights`` breaks its U-Net as fp16 overflow does."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    unet = UNet2DConditionModel(
        sample_size=16, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=768, attention_head_dim=8, norm_num_groups=8,
    )
    if nan_weights:
        with torch.no_grad():
            unet.conv_out.bias.fill_(float("nan"))
    vae = AutoencoderKL(
        block_out_channels=(16, 32), down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, layers_per_block=1, norm_num_groups=8,
        sample_size=32,
    )
    text_config = CLIPTextConfig(
        hidden_size=768, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
        vocab_size=len(tokenizer), max_position_embeddings=77, projection_dim=32,  # type: ignore[arg-type]
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id, hidden_act="gelu",  # type: ignore[attr-defined]
    )
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipeline = StableDiffusionPipeline(
        vae=vae, text_encoder=CLIPTextModel(text_config), tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder)
    return folder


def write_image(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (48, 48), seed: int = 0) -> Path:
    """A PNG of ``colour`` with a diagonal ramp and a little noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.add.outer(np.linspace(0, 50, height), np.linspace(0, 50, width))[..., None]
    pixels = np.clip(np.array(colour, np.float32) + ramp + rng.normal(0, 4, (height, width, 3)), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(path)
    return path


def image_folder(folder: Path) -> Path:
    """Three captioned images (one wide), as a folder of ``name.png`` + ``name.txt``."""
    for index, (name, colour) in enumerate(COLOURS.items()):
        size = (64, 40) if name == "green" else (48, 48)
        write_image(folder / f"{name}.png", colour, size, seed=index)
        (folder / f"{name}.txt").write_text(f"a {name} bird", encoding="utf-8")
    return folder

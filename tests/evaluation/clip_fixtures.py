"""A tiny random CLIP (the real transformers classes), saved where the weights manager looks."""

from __future__ import annotations

import string
from pathlib import Path

import torch

LABELS = ["forest", "rain", "beach", "fire"]


def save_tiny_clip(folder: Path, projection_dim: int = 16, seed: int = 0) -> Path:
    """Save a ``CLIPModel`` (32 px, 1 layer per tower), its tokenizer and image processor to ``folder``."""
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer

    letters = string.ascii_lowercase
    vocab = {letter: index for index, letter in enumerate(letters)}
    vocab.update({f"{letter}</w>": len(vocab) + index for index, letter in enumerate(letters)})
    merges = [("r", "a"), ("ra", "i"), ("rai", "n</w>"), ("f", "i"), ("fi", "r")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
    folder.mkdir(parents=True, exist_ok=True)
    import json

    vocab_file.write_text(json.dumps(vocab))
    merges_file.write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
    tokenizer = CLIPTokenizer(str(vocab_file), str(merges_file), model_max_length=32)
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 4,
                     "vocab_size": len(vocab), "max_position_embeddings": 32,
                     "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id, "projection_dim": projection_dim},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8, "projection_dim": projection_dim},
        projection_dim=projection_dim,
    )
    CLIPModel(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder

"""ImageBind's audio tower, written to load the audio weights of the official ``imagebind_huge.pth``.

The module tree mirrors the official model's audio path, so every parameter and
buffer has the name it has in the release (``modality_preprocessors.audio.*``,
``modality_trunks.audio.*``, ``modality_heads.audio.*``,
``modality_postprocessors.audio.*``):

1. preprocessor: a 16 x 16 convolution with stride 10 over the 1 x 128 x 204
   fbank (12 x 19 patches), LayerNorm, a cls token in front and a learned
   position embedding for the 229 tokens;
2. trunk: pre-LN transformer blocks (attention with an extra learned key/value
   token, as ``nn.MultiheadAttention(add_bias_kv=True)``; GELU MLP of 4x width;
   stochastic depth rising linearly from 0 to ``drop_path``);
3. head: LayerNorm, the cls token, a bias-free projection to ``out_dim``;
4. postprocessor: L2 normalisation times the fixed logit scale (20 for audio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

__all__ = ["AudioTransformerBlock", "ImageBindAudio", "ImageBindAudioConfig", "SelfAttentionWithBiasKV"]


@dataclass(frozen=True)
class ImageBindAudioConfig:
    """Sizes of the audio tower; the defaults are ``imagebind_huge``'s.

    Attributes:
        embed_dim: Token width of the trunk.
        num_blocks: Transformer blocks.
        num_heads: Attention heads.
        out_dim: Width of the joint embedding space.
        kernel_size: Patch size of the fbank convolution.
        stride: Patch stride (patches overlap by ``kernel_size - stride``).
        mel_bins: Fbank bands (input height).
        frames: Fbank frames (input width).
        drop_path: Stochastic depth of the last block (training only).
        logit_scale: The fixed scale applied after normalisation.
    """

    embed_dim: int = 768
    num_blocks: int = 12
    num_heads: int = 12
    out_dim: int = 1024
    kernel_size: int = 16
    stride: int = 10
    mel_bins: int = 128
    frames: int = 204
    drop_path: float = 0.1
    logit_scale: float = 20.0

    @property
    def patch_grid(self) -> tuple[int, int]:
        """Patches along the mel and the time axis (12 x 19 for the defaults)."""
        return (
            (self.mel_bins - self.kernel_size) // self.stride + 1,
            (self.frames - self.kernel_size) // self.stride + 1,
        )


class _PatchStem(nn.Module):
    """``rgbt_stem``: convolution to patches, flattened to tokens, then LayerNorm."""

    def __init__(self, config: ImageBindAudioConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(1, config.embed_dim, config.kernel_size, config.stride, bias=False)
        self.norm_layer = nn.LayerNorm(config.embed_dim)

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        return self.norm_layer(self.proj(fbank).flatten(2).transpose(1, 2))


class _PositionEmbedding(nn.Module):
    """``pos_embedding_helper``: one learned vector per token, the cls token included."""

    def __init__(self, tokens: int, width: int) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, width) * width**-0.5)


class _AudioPreprocessor(nn.Module):
    """Fbank ``[B, 1, mel_bins, frames]`` -> tokens ``[B, 1 + patches, embed_dim]``."""

    def __init__(self, config: ImageBindAudioConfig) -> None:
        super().__init__()
        rows, columns = config.patch_grid
        self.rgbt_stem = _PatchStem(config)
        self.pos_embedding_helper = _PositionEmbedding(1 + rows * columns, config.embed_dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, config.embed_dim) * config.embed_dim**-0.5)

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        patches = self.rgbt_stem(fbank)
        tokens = torch.cat([self.cls_token.expand(len(patches), -1, -1), patches], dim=1)
        return tokens + self.pos_embedding_helper.pos_embed


class SelfAttentionWithBiasKV(nn.Module):
    """Multi-head self-attention with one extra learned key/value token.

    Holds the parameters of ``nn.MultiheadAttention(dim, heads, add_bias_kv=True)``
    under the same names, but works batch-first and through
    ``scaled_dot_product_attention`` (fused kernels on GPUs).
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.bias_k = nn.Parameter(torch.randn(1, 1, dim) * dim**-0.5)
        self.bias_v = nn.Parameter(torch.randn(1, 1, dim) * dim**-0.5)
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        batch, length, dim = tokens.shape
        query, key, value = functional.linear(tokens, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        key = torch.cat([key, self.bias_k.expand(batch, 1, dim)], dim=1)
        value = torch.cat([value, self.bias_v.expand(batch, 1, dim)], dim=1)

        def heads(x: torch.Tensor) -> torch.Tensor:
            return x.unflatten(-1, (self.num_heads, dim // self.num_heads)).transpose(1, 2)

        attended = functional.scaled_dot_product_attention(heads(query), heads(key), heads(value))
        return self.out_proj(attended.transpose(1, 2).reshape(batch, length, dim))


class _DropPath(nn.Module):
    """Stochastic depth: in training, drop a residual branch for whole samples at ``rate``."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, branch: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return branch
        keep = 1.0 - self.rate
        mask = branch.new_empty((branch.shape[0],) + (1,) * (branch.ndim - 1)).bernoulli_(keep)
        return branch * mask / keep


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc2(functional.gelu(self.fc1(tokens)))


class AudioTransformerBlock(nn.Module):
    """Pre-LN block: ``x + attn(norm_1(x))``, then ``x + mlp(norm_2(x))``, each through drop path."""

    def __init__(self, dim: int, num_heads: int, drop_path: float) -> None:
        super().__init__()
        self.attn = SelfAttentionWithBiasKV(dim, num_heads)
        self.drop_path = _DropPath(drop_path)
        self.norm_1 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, 4 * dim)
        self.norm_2 = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = tokens + self.drop_path(self.attn(self.norm_1(tokens)))
        return tokens + self.drop_path(self.mlp(self.norm_2(tokens)))


class _Trunk(nn.Module):
    def __init__(self, config: ImageBindAudioConfig) -> None:
        super().__init__()
        last = max(config.num_blocks - 1, 1)
        rates = [config.drop_path * index / last for index in range(config.num_blocks)]  # linspace(0, rate)
        self.blocks = nn.Sequential(
            *(AudioTransformerBlock(config.embed_dim, config.num_heads, rate) for rate in rates)
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.blocks(tokens)


class _SelectCls(nn.Module):
    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens[:, 0]


class _Normalize(nn.Module):
    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return functional.normalize(embedding, dim=-1)


class _LogitScale(nn.Module):
    """A fixed scale, stored as its logarithm in the buffer ``log_logit_scale``."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.register_buffer("log_logit_scale", torch.tensor(math.log(scale)))

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return embedding * self.get_buffer("log_logit_scale").exp().clamp(max=100.0)


class ImageBindAudio(nn.Module):
    """ImageBind's audio encoder: fbank clips ``[B, 1, 128, 204]`` -> embeddings ``[B, out_dim]``.

    Args:
        config: The sizes; the default is ``imagebind_huge``'s audio tower.
    """

    def __init__(self, config: ImageBindAudioConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ImageBindAudioConfig()
        self.modality_preprocessors = nn.ModuleDict({"audio": _AudioPreprocessor(config)})
        self.modality_trunks = nn.ModuleDict({"audio": _Trunk(config)})
        self.modality_heads = nn.ModuleDict({
            "audio": nn.Sequential(
                nn.LayerNorm(config.embed_dim, eps=1e-6),
                _SelectCls(),
                nn.Linear(config.embed_dim, config.out_dim, bias=False),
            )
        })
        self.modality_postprocessors = nn.ModuleDict({
            "audio": nn.Sequential(_Normalize(), _LogitScale(config.logit_scale))
        })

    def forward(self, fbank: torch.Tensor) -> torch.Tensor:
        """Embed each clip: L2-normalised, times the logit scale (norm 20 for the release)."""
        tokens = self.modality_preprocessors["audio"](fbank)
        tokens = self.modality_trunks["audio"](tokens)
        return self.modality_postprocessors["audio"](self.modality_heads["audio"](tokens))

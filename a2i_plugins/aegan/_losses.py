"""Differentiable SSIM, the structural term the paper's future work asks for, and a sharpness measure."""

from __future__ import annotations

import torch
from torch.nn import functional

__all__ = ["gradient_magnitude", "ssim"]

_C1 = 0.01**2
_C2 = 0.03**2


def _gaussian_window(size: int, sigma: float, channels: int, like: torch.Tensor) -> torch.Tensor:
    coords = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2
    line = torch.exp(-(coords**2) / (2 * sigma**2))
    line = line / line.sum()
    return (line[:, None] * line[None, :]).expand(channels, 1, size, size).contiguous()


def ssim(images: torch.Tensor, targets: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Mean SSIM of two batches in [-1, 1], per channel, Gaussian window (Wang et al. 2004).

    Computed on the [0, 1] range with ``C1 = 0.01**2`` and ``C2 = 0.03**2`` over the
    valid region (no padding); the window shrinks to the image for tiny images.

    Args:
        images: ``[batch, channels, h, w]``.
        targets: Same shape.
        window: Side of the Gaussian window.
        sigma: Its standard deviation.

    Returns:
        A scalar; 1 for identical batches.
    """
    x, y = (images + 1) / 2, (targets + 1) / 2
    channels = x.shape[1]
    size = min(window, x.shape[-1], x.shape[-2])
    kernel = _gaussian_window(size, sigma, channels, x)

    def blur(value: torch.Tensor) -> torch.Tensor:
        return functional.conv2d(value, kernel, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + _C1) * (2 * cov + _C2)
    denominator = (mu_x**2 + mu_y**2 + _C1) * (var_x + var_y + _C2)
    return (numerator / denominator).mean()


def gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """Mean gradient magnitude of a batch in [-1, 1]: how sharp it is (a blur lowers it).

    Forward differences of the grey level (the channel mean, on [0, 1]) along
    both axes, ``sqrt(dx**2 + dy**2)`` averaged over every pixel but the last
    row and column.

    Args:
        images: ``[batch, channels, h, w]``.

    Returns:
        A scalar.
    """
    grey = (images.mean(dim=1) + 1) / 2
    dx = grey[:, :-1, 1:] - grey[:, :-1, :-1]
    dy = grey[:, 1:, :-1] - grey[:, :-1, :-1]
    return torch.sqrt(dx**2 + dy**2).mean()

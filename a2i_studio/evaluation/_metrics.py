"""Image-to-ground-truth similarity: SSIM and histogram correlation, numpy only."""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["HISTOGRAM_BINS", "as_array", "histogram_correlation", "ssim"]

HISTOGRAM_BINS = 256
"""Bins per channel of :func:`histogram_correlation` (one per 8-bit level)."""

_K1, _K2 = 0.01, 0.03


def as_array(image: Image.Image, size: int | None = None) -> np.ndarray:
    """An RGB picture as ``uint8 [h, w, 3]``, area-resized to ``size`` x ``size`` if given."""
    rgb = image.convert("RGB")
    if size is not None and rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.Resampling.BOX)
    return np.asarray(rgb, dtype=np.uint8)


def _gaussian_valid(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter over the first two axes, keeping only fully covered pixels."""
    size = weights.size
    rows = sum(weights[k] * values[k : values.shape[0] - size + 1 + k] for k in range(size))
    return sum(weights[k] * rows[:, k : rows.shape[1] - size + 1 + k] for k in range(size))


def ssim(image: np.ndarray, reference: np.ndarray, sigma: float = 1.5, data_range: float = 255.0) -> float:
    """Structural similarity (Wang et al. 2004), averaged over pixels and channels.

    The same numbers as ``skimage.metrics.structural_similarity(image, reference,
    channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=255)``: an 11x11 Gaussian window (truncated at 3.5 sigma),
    ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2``, mean over the pixels whose window
    lies inside the image.

    Args:
        image: ``[h, w, channels]`` (or ``[h, w]``), any numeric dtype on a 0..``data_range`` scale.
        reference: Same shape.
        sigma: Standard deviation of the Gaussian window.
        data_range: ``L``, the span of the values (255 for 8-bit).

    Returns:
        SSIM in [-1, 1]; 1 for identical images.

    Raises:
        ValueError: If the shapes differ or the image is smaller than the window.
    """
    if image.shape != reference.shape:
        raise ValueError(f"ssim needs images of the same shape, got {image.shape} and {reference.shape}")
    radius = int(3.5 * sigma + 0.5)
    if min(image.shape[:2]) < 2 * radius + 1:
        raise ValueError(f"ssim needs images of at least {2 * radius + 1} px, got {image.shape[:2]}")
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    weights /= weights.sum()
    x = image.astype(np.float64)
    y = reference.astype(np.float64)
    mu_x, mu_y = _gaussian_valid(x, weights), _gaussian_valid(y, weights)
    var_x = _gaussian_valid(x * x, weights) - mu_x**2
    var_y = _gaussian_valid(y * y, weights) - mu_y**2
    cov = _gaussian_valid(x * y, weights) - mu_x * mu_y
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(index.mean())


def histogram_correlation(image: np.ndarray, reference: np.ndarray, bins: int = HISTOGRAM_BINS) -> float:
    """Correlation of the colour histograms, as OpenCV's ``compareHist(..., HISTCMP_CORREL)``.

    For each channel, histograms of ``bins`` equal bins over 0..255 are compared
    with the Pearson coefficient (OpenCV gives 1 when a histogram is flat); the
    result is the mean over channels.

    Args:
        image: ``uint8 [h, w, channels]``.
        reference: ``uint8 [h', w', channels]``; sizes may differ.
        bins: Bins per channel.

    Returns:
        Correlation in [-1, 1]; 1 for images with the same colour distribution.
    """
    scores = []
    for channel in range(image.shape[-1]):
        first = np.histogram(image[..., channel], bins=bins, range=(0, 256))[0].astype(np.float64)
        second = np.histogram(reference[..., channel], bins=bins, range=(0, 256))[0].astype(np.float64)
        first -= first.mean()
        second -= second.mean()
        denominator = np.sqrt((first**2).sum() * (second**2).sum())
        scores.append((first * second).sum() / denominator if denominator > np.finfo(np.float64).eps else 1.0)
    return float(np.mean(scores))

"""Sharpness and diversity of pictures, measured at one common size so models of any resolution compare.

Both look at pictures resized to :data:`COMMON_SIZE` (bilinear, antialiased when
shrinking): a 64 px model is upscaled and keeps only the detail it has, a 256 px
real picture is shrunk to the detail a 128 px view shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from PIL import Image

__all__ = ["COMMON_SIZE", "mean_pairwise_distance", "sharpness"]

COMMON_SIZE = 128
"""Side in pixels at which :func:`sharpness` and :func:`mean_pairwise_distance` look at pictures."""

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601


def _common(image: Image.Image, size: int) -> np.ndarray:
    """``float64 [size, size, 3]`` on [0, 1]."""
    rgb = image.convert("RGB")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(rgb, np.float64) / 255.0


def sharpness(image: Image.Image, size: int = COMMON_SIZE) -> float:
    """Mean gradient magnitude of the picture's luminance at ``size`` x ``size``.

    Luminance (BT.601 weights) on [0, 1]; the 3 x 3 Sobel derivatives are divided by 8,
    so a value is the luminance change per pixel; the mean runs over the pixels whose
    3 x 3 neighbourhood lies inside the picture. A flat picture scores 0, a blurred
    copy less than the original.

    Args:
        image: Any PIL picture.
        size: The common side it is resized to first.

    Returns:
        The mean of ``sqrt(gx^2 + gy^2)`` (at most ``sqrt(2)``).
    """
    luma = _common(image, size) @ _LUMA
    smooth_rows = luma[:-2] + 2 * luma[1:-1] + luma[2:]  # vertical [1, 2, 1]
    smooth_columns = luma[:, :-2] + 2 * luma[:, 1:-1] + luma[:, 2:]  # horizontal [1, 2, 1]
    gx = (smooth_rows[:, 2:] - smooth_rows[:, :-2]) / 8
    gy = (smooth_columns[2:] - smooth_columns[:-2]) / 8
    return float(np.hypot(gx, gy).mean())


def mean_pairwise_distance(images: Sequence[Image.Image], size: int = COMMON_SIZE) -> float:
    """Mean absolute pixel difference on [0, 1] over all pairs of ``images`` at ``size`` x ``size``.

    0 when the pictures are identical, 1 between black and white. ``a2i eval`` uses it for
    the diversity across seeds of one clip, and between real pictures of one class as
    the reference.

    Raises:
        ValueError: For fewer than two pictures.
    """
    if len(images) < 2:
        raise ValueError(f"mean_pairwise_distance needs at least two pictures, got {len(images)}")
    arrays = [_common(image, size) for image in images]
    return float(np.mean([np.abs(first - second).mean() for first, second in combinations(arrays, 2)]))

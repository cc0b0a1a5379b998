"""Weighted mixes of embeddings that live in the same space.

Two sounds (rain and birds), or a sound and a reference image encoded into the
same space, condition a generator through their weighted mean. The function is
duck-typed (tensors or numpy arrays, or dicts of them for spaces with parts), so
importing it imports no torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from a2i_studio.core._spaces import shape_of
from a2i_studio.errors import ParamError, ShapeError

__all__ = ["mix_embeddings"]


def mix_embeddings(values: Sequence[Any], weights: Sequence[float]) -> Any:
    """The weighted mean ``sum(w_i * v_i) / sum(w_i)`` of values in one space.

    Weights are shares, not necessarily normalised: ``(1, 0)`` gives the first
    value exactly, ``(0.5, 0.5)`` and ``(1, 1)`` the plain mean, ``(0.7, 0.3)``
    leans towards the first. For a space with parts (a dict of tensors) each
    part is mixed on its own.

    Args:
        values: Tensors (or arrays) of one shape, or dicts of them with the same keys.
        weights: One finite, non-negative weight per value, not all zero.

    Returns:
        A value of the same shape (and, for tensors, dtype and device).

    Raises:
        ParamError: For a different number of weights and values, a negative or
            non-finite weight, or weights that sum to zero.
        ShapeError: If the values do not share one shape (or one set of parts).
    """
    if not values or len(values) != len(weights):
        raise ParamError(
            f"A mix needs one weight per embedding; got {len(values)} embeddings and {len(weights)} weights."
        )
    for weight in weights:
        if not math.isfinite(weight) or weight < 0:
            raise ParamError(f"Mixing weight {weight} is invalid; use a number of at least 0.")
    total = float(sum(weights))
    if total == 0:
        raise ParamError("Every mixing weight is 0; give at least one embedding a weight above 0.")
    first = values[0]
    if isinstance(first, dict):
        keys = set(first)
        if any(not isinstance(value, dict) or set(value) != keys for value in values):
            raise ShapeError(f"Embeddings in a mix must have the same parts; the first has {sorted(keys)}.")
        return {key: _weighted_mean([value[key] for value in values], weights, total) for key in first}
    return _weighted_mean(values, weights, total)


def _weighted_mean(values: Sequence[Any], weights: Sequence[float], total: float) -> Any:
    shapes = {shape_of(value) for value in values}
    if len(shapes) != 1:
        raise ShapeError(f"Embeddings in a mix must share one shape; got {sorted(shapes)}.")
    mixed = values[0] * (weights[0] / total)
    for value, weight in zip(values[1:], weights[1:], strict=True):
        mixed = mixed + value * (weight / total)
    return mixed

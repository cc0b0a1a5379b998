"""Rank and linear correlation for the attribute metrics, left out (``None``) where undefined."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["pearson", "spearman"]


def _defined(x: Sequence[float], y: Sequence[float]) -> bool:
    if len(x) != len(y):
        raise ValueError(f"correlation needs paired values, got {len(x)} and {len(y)}")
    return len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (ties get their average rank), or ``None`` for fewer than three
    pairs or a constant side, where it is undefined."""
    return float(stats.spearmanr(x, y).statistic) if _defined(x, y) else None


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's correlation, or ``None`` for fewer than three pairs or a constant side."""
    return float(stats.pearsonr(x, y).statistic) if _defined(x, y) else None

"""Blending values of any space in time: interpolation between keyframes, attack/release smoothing.

Everything here is duck-typed over numpy arrays and torch tensors (and dicts
of them, for spaces with parts, such as SD3's pooled and sequence
embeddings), so a numpy-only chain never imports torch.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Smoother", "interpolate", "slerp"]

_PARALLEL = 0.9995  # cosine above which slerp falls back to a straight line (the arc is a line there)


def slerp(start: Any, end: Any, fraction: float) -> Any:
    """Spherical interpolation (Shoemake's): along the arc from ``start`` to ``end`` instead of the chord.

    Between two independent Gaussian draws (nearly orthogonal, of nearly equal
    norm) every point of the arc keeps a Gaussian's norm, where the straight
    line would pass through a draw 30% too small halfway, a greyer, blurrier
    picture; embeddings whose direction matters more than their length glide
    the same way.
    """
    if isinstance(start, dict):
        return {key: slerp(start[key], end[key], fraction) for key in start}
    start_norm = math.sqrt(float((start * start).sum()))
    end_norm = math.sqrt(float((end * end).sum()))
    if start_norm == 0.0 or end_norm == 0.0:
        return start * (1.0 - fraction) + end * fraction
    cosine = float((start * end).sum()) / (start_norm * end_norm)
    if cosine > _PARALLEL:
        return start * (1.0 - fraction) + end * fraction
    angle = math.acos(max(-1.0, cosine))
    first = math.sin((1.0 - fraction) * angle) / math.sin(angle)
    second = math.sin(fraction * angle) / math.sin(angle)
    return start * first + end * second


def interpolate(start: Any, end: Any, fraction: float, how: str) -> Any:
    """``slerp`` or ``linear`` blend of two values of one space, ``fraction`` 0 giving ``start``."""
    if how == "slerp":
        return slerp(start, end, fraction)
    if isinstance(start, dict):
        return {key: start[key] * (1.0 - fraction) + end[key] * fraction for key in start}
    return start * (1.0 - fraction) + end * fraction


class Smoother:
    """Attack/release smoothing, element by element: an envelope follower for whole embeddings.

    Each element moves towards its new value by a share set by ``attack`` (when
    it rises) or ``release`` (when it falls): the time, in seconds, to cover
    63% of a step. Zero follows at once.

    Args:
        attack: Seconds to follow a rise.
        release: Seconds to follow a fall.
        rate: Values per second (the frame rate).
    """

    def __init__(self, attack: float, release: float, rate: float) -> None:
        self.rise = _share(attack, rate)
        self.fall = _share(release, rate)
        self.state: Any = None

    def __call__(self, value: Any, steps: int = 1) -> Any:
        """The smoothed value after ``value`` arrives; the first value passes unchanged.

        Args:
            value: The new value.
            steps: Values' worth of time since the last one: live mode skips frames to keep up,
                and the value then moves as far as that many steps towards ``value`` would take it.
        """
        if self.state is None or (self.rise == 1.0 and self.fall == 1.0):
            self.state = value
        elif steps == 1:
            self.state = _follow(self.state, value, self.rise, self.fall)
        else:
            self.state = _follow(self.state, value, 1.0 - (1.0 - self.rise) ** steps, 1.0 - (1.0 - self.fall) ** steps)
        return self.state


def _share(seconds: float, rate: float) -> float:
    return 1.0 if seconds <= 0 else 1.0 - math.exp(-1.0 / (seconds * rate))


def _follow(state: Any, value: Any, rise: float, fall: float) -> Any:
    if isinstance(state, dict):
        return {key: _follow(state[key], value[key], rise, fall) for key in state}
    share = (value > state) * (rise - fall) + fall  # rise where the value went up, fall elsewhere
    return state + (value - state) * share

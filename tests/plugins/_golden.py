"""The golden frontend data of tests/audio/golden: six files and what the official pipelines made of them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).parents[1] / "audio" / "golden"
"""The folder; its README says how the tensors were made and which tolerances a faithful frontend meets."""
NAMES = (
    "a_speech_sweep_stereo_44k1",
    "b_speech_mono_22k05",
    "c_pinknoise_tremolo_mono_48k",
    "d_toneburst_mono_16k",
    "e_chirp_mono_8k",
    "f_chords_dualmono_32k",
)


def audio_path(name: str) -> Path:
    """The input file of ``name``."""
    return GOLDEN / "audio" / f"{name}.flac"


@cache
def imagebind() -> dict[str, np.ndarray]:
    """``imagebind_frontend.npz``: ``NAME`` [3, 1, 128, 204], ``NAME__clip_bounds`` [3, 2], ``n16``, ``names``, ..."""
    with np.load(GOLDEN / "imagebind_frontend.npz") as data:
        return dict(data)


@cache
def vggish() -> dict[str, np.ndarray]:
    """``vggish_examples.npz``: ``NAME`` [N, 96, 64], ``n16``, ``names``, ..."""
    with np.load(GOLDEN / "vggish_examples.npz") as data:
        return dict(data)


def compare(got: np.ndarray, expected: np.ndarray) -> tuple[float, float, float]:
    """Max and mean absolute difference, and cosine similarity, of two same-shaped arrays."""
    a, b = got.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    difference = np.abs(a - b)
    return float(difference.max()), float(difference.mean()), float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

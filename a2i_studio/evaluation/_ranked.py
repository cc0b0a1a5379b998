"""SonicDiffusion's AIS and IIS: how often an image is closer to its own source than to others.

For each generated image ``i`` with embedding ``q_i`` and the embedding ``p_i`` of
what it should match (its audio for AIS, its dataset image for IIS), the score
is the share of the reference set ``{n_k}`` with ``cos(q_i, p_i) > cos(q_i, n_k)``
(strictly), averaged over the images. SonicDiffusion's ``evaluation.py``
compares against the cached embeddings of its evaluation set, which holds the
image's own source too; :func:`ranked_similarity` does the same when given the
positives as negatives, so a perfect score is ``(n - 1) / n``.

AIS needs audio and image embeddings in one space: an audio encoder whose output
space is an image encoder's (ImageBind audio lands in OpenCLIP ViT-H's image
space); IIS compares CLIP image embeddings of the generated and dataset images.
numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ranked_similarity"]

_TIE = 1e-12


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return np.asarray(rows / np.linalg.norm(rows, axis=-1, keepdims=True))


def ranked_similarity(queries: np.ndarray, positives: np.ndarray, negatives: np.ndarray | None = None) -> np.ndarray:
    """Per query, the share of ``negatives`` less similar to it than its own positive.

    Args:
        queries: ``[n, d]`` embeddings of the generated images.
        positives: ``[n, d]``: row ``i`` is what query ``i`` should match.
        negatives: ``[m, d]`` reference set; ``None`` for ``positives`` itself (SonicDiffusion's choice).

    Returns:
        ``[n]`` shares in [0, 1]; their mean is the AIS or IIS.

    Raises:
        ValueError: If the shapes do not fit.
    """
    queries, positives = _unit(queries), _unit(positives)
    negatives = positives if negatives is None else _unit(negatives)
    if queries.shape != positives.shape or negatives.shape[1:] != queries.shape[1:]:
        raise ValueError(f"shapes {queries.shape}, {positives.shape} and {negatives.shape} do not fit")
    own = (queries * positives).sum(axis=1, keepdims=True)
    # A reference equal to the positive ties with it; rounding must not let it count as beaten.
    return np.asarray((own - _TIE > queries @ negatives.T).mean(axis=1))

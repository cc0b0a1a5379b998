"""Data order derived from ``(seed, epoch)``, so a resumed run sees the same batches."""

from __future__ import annotations

import numpy as np

from a2i_studio.errors import ParamError

__all__ = ["epoch_permutation", "shuffled_batches"]


def epoch_permutation(seed: int, epoch: int, n: int) -> list[int]:
    """The order of ``n`` items in ``epoch`` of a run seeded with ``seed``.

    Depends on nothing else (no global RNG), so a run resumed at ``epoch`` sees
    exactly the batches an uninterrupted run would have seen.
    """
    return [int(index) for index in np.random.default_rng([seed, epoch]).permutation(n)]


def shuffled_batches(seed: int, epoch: int, n: int, batch_size: int, processes: int = 1) -> list[list[int]]:
    """The batches of one epoch: :func:`epoch_permutation` cut into ``batch_size`` chunks.

    Every process of a multi-process run trains on its share of each batch
    (:meth:`~a2i_studio.training.Step.share`), so a last batch with fewer items
    than processes is left out there.

    Raises:
        ParamError: If ``batch_size`` is smaller than ``processes``.
    """
    if batch_size < processes:
        raise ParamError(
            f"batch_size {batch_size} cannot be split between {processes} processes; use at least {processes}."
        )
    order = epoch_permutation(seed, epoch, n)
    batches = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    return [batch for batch in batches if len(batch) >= processes]

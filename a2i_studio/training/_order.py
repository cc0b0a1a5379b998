"""Data order derived from ``(seed, epoch)``, so a resumed run sees the same batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["EpochShuffle", "epoch_permutation"]


def epoch_permutation(seed: int, epoch: int, n: int) -> list[int]:
    """The order of ``n`` items in ``epoch`` of a run seeded with ``seed``.

    Depends on nothing else (no global RNG), so a run resumed at ``epoch`` sees
    exactly the batches an uninterrupted run would have seen.
    """
    return [int(index) for index in np.random.default_rng([seed, epoch]).permutation(n)]


class EpochShuffle:
    """A sampler for ``torch.utils.data.DataLoader`` that yields :func:`epoch_permutation`.

    Call :meth:`set_epoch` before each epoch (accelerate's prepared loaders do
    it for you through ``DataLoader.set_epoch``).

    Args:
        n: Number of items.
        seed: The run's seed.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order the next iteration yields."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        return iter(epoch_permutation(self.seed, self.epoch, self.n))

    def __len__(self) -> int:
        return self.n

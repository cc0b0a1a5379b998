"""FID and KID of generated pictures against reference pictures, computed by torchmetrics.

torchmetrics is the library chosen: it installs with torch alone (clean-fid and
torch-fidelity both require torchvision, which does not import beside the local
torch build here) and downloads nothing at import. Its
``FrechetInceptionDistance`` and ``KernelInceptionDistance`` take any feature
network; ours hands them embeddings already computed by an
:class:`~a2i_studio.evaluation.ImageEmbedder` (CLIP ViT-L/14 by default, the
"FID with CLIP features" of Kynkäänniemi et al. 2023), so the numbers are not
comparable with Inception-v3 FIDs from papers, only with each other.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["distribution_distances"]


class _Precomputed(nn.Module):
    """The identity, presented to torchmetrics as a feature network of ``num_features`` outputs."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def distribution_distances(
    generated: np.ndarray, reference: np.ndarray, *, kid_subsets: int = 100, kid_subset_size: int = 1000, seed: int = 0
) -> dict[str, float]:
    """FID and KID (mean and standard deviation over subsets) between two sets of feature rows.

    Args:
        generated: ``[n, d]`` features of the generated pictures (at least 2).
        reference: ``[m, d]`` features of the reference pictures (at least 2).
        kid_subsets: Random subsets KID averages over.
        kid_subset_size: Their size, capped at the smaller set.
        seed: Seed of the subsets.

    Returns:
        ``{"fid", "kid", "kid_std"}``.

    Raises:
        ValueError: If either set has fewer than two rows or the widths differ.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    if min(len(generated), len(reference)) < 2 or generated.shape[1:] != reference.shape[1:]:
        raise ValueError(f"FID needs two sets of at least 2 rows of one width, got {generated.shape} and "
                         f"{reference.shape}")
    width = generated.shape[1]
    fake = torch.from_numpy(np.asarray(generated, np.float64))
    real = torch.from_numpy(np.asarray(reference, np.float64))
    fid = FrechetInceptionDistance(feature=_Precomputed(width))
    subset = min(kid_subset_size, len(generated), len(reference))
    kid = KernelInceptionDistance(feature=_Precomputed(width), subsets=kid_subsets, subset_size=subset)
    for metric in (fid, kid):
        metric.update(real, real=True)
        metric.update(fake, real=False)
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # KID's subsets come from torch's global generator
        kid_mean, kid_std = kid.compute()
    return {"fid": float(fid.compute()), "kid": float(kid_mean), "kid_std": float(kid_std)}

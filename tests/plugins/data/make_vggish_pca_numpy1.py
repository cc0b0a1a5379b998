"""Write ``vggish_pca_numpy1.pth``: a VGGish PCA file pickled the way the released one was.

torchvggish's ``vggish_pca_params-970ea276.pth`` is ``torch.save`` of a dict of two
float64 numpy arrays, written under numpy 1, so its pickle names
``numpy.core.multiarray._reconstruct`` (numpy 2 writes ``numpy._core.multiarray``)
and holds the array bytes as pickle-protocol-2 latin-1 strings. This fixture is the
same structure with seeded random values, in torch's legacy (non-zip) format.

It was made with numpy 1.26.4 and torch 2.13.0 (CPU), Python 3.11:

    python3 -m venv /tmp/np1 && /tmp/np1/bin/pip install numpy==1.26.4
    /tmp/np1/bin/python tests/plugins/data/make_vggish_pca_numpy1.py SITE_PACKAGES_WITH_TORCH

where the argument is a site-packages folder holding torch (it is appended to
``sys.path``, after numpy 1.26.4's). The values are those of
``numpy.random.default_rng(14)``: ``standard_normal((128, 128)) * 0.1`` and
``standard_normal(128) * 0.01``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if __name__ == "__main__":
    sys.path.append(sys.argv[1])
    import torch

    assert np.__version__.startswith("1."), f"run this with numpy 1.x, not {np.__version__}"
    rng = np.random.default_rng(14)
    pca = {"pca_eigen_vectors": rng.standard_normal((128, 128)) * 0.1, "pca_means": rng.standard_normal(128) * 0.01}
    target = Path(__file__).with_name("vggish_pca_numpy1.pth")
    torch.save(pca, target, _use_new_zipfile_serialization=False)
    print(f"{target}: {target.stat().st_size} bytes, numpy {np.__version__}, torch {torch.__version__}")

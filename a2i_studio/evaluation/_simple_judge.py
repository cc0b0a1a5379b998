"""A second, simple judge for AIC: logistic regression on 16 x 16 greyscale pictures.

The scene classifier is a CNN; when its verdict on generated pictures looks
off, a judge with almost no capacity to overfit tells whether the pictures or
the CNN are to blame. Multinomial logistic regression with an L2 penalty on
standardised 16 x 16 grey levels, fitted to the optimum by L-BFGS: the same
objective as scikit-learn's ``LogisticRegression(C=...)``, so the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch.nn import functional

__all__ = ["SimpleJudge"]

_SIDE = 16


def _features(images: Sequence[Image.Image]) -> np.ndarray:
    grey = [np.asarray(image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.BOX), np.float64) / 255.0
            for image in images]
    return np.stack(grey).reshape(len(images), -1)


class SimpleJudge:
    """Names a picture's class from its 16 x 16 grey levels.

    Args:
        labels: Class names; class ``i`` is ``labels[i]``.
        weights: ``[pixels, classes]`` coefficients (on standardised features).
        bias: ``[classes]`` intercepts.
        mean: Per-pixel mean of the training pictures.
        scale: Per-pixel standard deviation (1 where constant).
    """

    def __init__(self, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray, mean: np.ndarray,
                 scale: np.ndarray) -> None:
        self.labels = list(labels)
        self.weights, self.bias, self.mean, self.scale = weights, bias, mean, scale

    @classmethod
    def fit(cls, images: Sequence[Image.Image], labels: Sequence[str], c: float = 1.0) -> SimpleJudge:
        """Fit to labelled pictures, minimising ``||W||^2 / 2 + c * sum of the log losses``.

        Raises:
            ValueError: With fewer than two classes.
        """
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("the simple judge needs at least two classes")
        features = _features(images)
        mean, scale = features.mean(axis=0), features.std(axis=0)
        scale[scale == 0] = 1.0
        x = torch.from_numpy((features - mean) / scale)
        y = torch.tensor([classes.index(label) for label in labels])
        weights = torch.zeros(x.shape[1], len(classes), dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)
        optimiser = torch.optim.LBFGS([weights, bias], max_iter=500, tolerance_grad=1e-9, tolerance_change=1e-12,
                                      history_size=20, line_search_fn="strong_wolfe")

        def objective() -> torch.Tensor:
            optimiser.zero_grad()
            loss = 0.5 * (weights**2).sum() / c + functional.cross_entropy(x @ weights + bias, y, reduction="sum")
            loss.backward()
            return loss

        for _ in range(5):  # LBFGS stops at max_iter; a few restarts reach the optimum
            optimiser.step(objective)
        return cls(classes, weights.detach().numpy(), bias.detach().numpy(), mean, scale)

    def probabilities(self, images: Sequence[Image.Image]) -> np.ndarray:
        """``[n, classes]`` class probabilities."""
        logits = ((_features(images) - self.mean) / self.scale) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def predict(self, images: Sequence[Image.Image]) -> list[str]:
        """The most likely label of each picture."""
        return [self.labels[int(index)] for index in self.probabilities(images).argmax(axis=1)]

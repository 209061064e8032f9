"""Temperature scaling and calibration error, in NumPy.

A network trained with label smoothing is under-confident, one trained
without it over-confident; either way "0.9" does not mean right 9 times in
10. Dividing the logits by one fitted temperature fixes most of that (Guo et
al., 2017, "On Calibration of Modern Neural Networks") and never changes
which class wins, so accuracy is untouched.

Logits come as ``(views, N, classes)``: the model's outputs for each
test-time view of the image (:mod:`visionkit.backends.local.views`). The
calibrated prediction is the weighted mean of the per-view softmaxes,
exactly what the exported model computes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import softmax, view_average


def negative_log_likelihood(probs: NDArray[np.floating], labels: NDArray[np.integer]) -> float:
    """Mean negative log-probability of the true labels."""
    p = probs[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(p, 1e-12, None))))


def fit_temperature(
    view_logits: NDArray[np.floating],
    labels: NDArray[np.integer],
    *,
    weights: NDArray[np.floating] | None = None,
    low: float = 0.05,
    high: float = 20.0,
) -> float:
    """Return the temperature minimising the NLL of the view-averaged probabilities.

    The NLL is unimodal in log-temperature, so a golden-section search over
    ``[low, high]`` finds it to 1e-4 relative precision in ~60 evaluations, with
    no optimiser dependency.
    """
    if len(labels) == 0:
        raise ValueError("cannot fit a temperature on zero examples")

    def loss(log_t: float) -> float:
        probs = view_average(view_logits, math.exp(log_t), weights)
        return negative_log_likelihood(probs, labels)

    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    while b - a > 1e-4:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    return math.exp((a + b) / 2)


def expected_calibration_error(
    probs: NDArray[np.floating], labels: NDArray[np.integer], bins: int = 15
) -> float:
    """ECE: confidence-vs-accuracy gap averaged over equal-width confidence bins.

    Weighted by how many predictions fall in each bin, as in Guo et al.
    """
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return total / len(labels)


__all__ = [
    "expected_calibration_error",
    "fit_temperature",
    "negative_log_likelihood",
    "softmax",  # defined beside the view policies: the runtime applies it too
    "view_average",
]

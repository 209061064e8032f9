"""Test-time augmentation: which views of an image a local model's prediction averages.

A small CNN's answer moves when the image is mirrored or moved by a pixel,
and those moves are noise, not evidence, so averaging the calibrated
probabilities over a few such views is a cheap, reliable accuracy gain
(the fast CIFAR-10 recipes all do it). The policy is a property of a trained
model, not of a call: the softmax temperature is fitted to the averaged
prediction, so a model's views are stored with it (in the ``.keras`` head's
config and in the ``.tflite`` sidecar, whose graph computes them itself).

This module is the NumPy definition; ``visionkit.training.export`` builds the
same views with TensorFlow ops for the exported graph, and a test checks the
two agree pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ViewPolicy:
    """Each shift ``(dy, dx)`` contributes the shifted image and, with ``mirror``, its mirror.

    A shift moves the content down/right by ``dy``/``dx`` pixels and fills the
    uncovered border by reflection, the same padding the training
    augmentation uses, so no view shows the network an edge it never saw.
    ``weights`` are per shift, split equally between the two mirrors.
    """

    name: str
    label: str
    shifts: tuple[tuple[int, int], ...]
    weights: tuple[float, ...]
    mirror: bool = True

    @property
    def per_shift(self) -> int:
        """Views per shift: the shifted image, and its mirror unless ``mirror`` is off."""
        return 2 if self.mirror else 1

    @property
    def count(self) -> int:
        """How many views (network passes) a prediction takes."""
        return self.per_shift * len(self.shifts)

    @property
    def view_weights(self) -> NDArray[np.float64]:
        """One weight per view, in :meth:`views` order, summing to 1."""
        per_shift = np.asarray(self.weights, np.float64) / sum(self.weights)
        return np.repeat(per_shift / self.per_shift, self.per_shift)

    @property
    def pad(self) -> int:
        return max((max(abs(dy), abs(dx)) for dy, dx in self.shifts), default=0)

    def views(self, batch: NDArray[np.floating]) -> list[NDArray[np.float32]]:
        """Return the views of an ``(N, H, W, C)`` batch: per shift, plain then mirrored."""
        h, w = batch.shape[1:3]
        p = self.pad
        padded = np.pad(batch, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect") if p else batch
        out: list[NDArray[np.float32]] = []
        for dy, dx in self.shifts:
            shifted = padded[:, p - dy : p - dy + h, p - dx : p - dx + w]
            out.append(np.ascontiguousarray(shifted, dtype=np.float32))
            if self.mirror:
                out.append(np.ascontiguousarray(shifted[:, :, ::-1], dtype=np.float32))
        return out

    def combine(self, per_view: NDArray[np.floating]) -> NDArray[np.float32]:
        """Weighted mean over the first axis of ``(views, N, C)`` probabilities."""
        stacked = np.asarray(per_view, np.float64)
        if stacked.shape[0] != self.count:
            raise ValueError(f"{self.name}: expected {self.count} views")
        return np.tensordot(self.view_weights, stacked, axes=1).astype(np.float32)


def softmax(logits: NDArray[np.floating], temperature: float = 1.0) -> NDArray[np.float64]:
    """Numerically stable softmax over the last axis of ``logits / temperature``."""
    z = np.asarray(logits, np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def view_average(
    view_logits: NDArray[np.floating],
    temperature: float = 1.0,
    weights: NDArray[np.floating] | None = None,
) -> NDArray[np.float64]:
    """Average the softmax of each view: ``(views, N, C)`` -> ``(N, C)`` probabilities.

    Averaging probabilities, not logits, is what the temperature is fitted to
    (:mod:`visionkit.training.calibration`). ``weights`` (one per view, summing
    to 1) default to equal weights.
    """
    probs = softmax(view_logits, temperature)
    if weights is None:
        return probs.mean(axis=0)  # type: ignore[no-any-return]
    return np.tensordot(np.asarray(weights, np.float64), probs, axes=1)


# One pass: the image as it is. Half the cost of ``flip`` for the throughput
# that CIFAR-sized batches are bound by, at the accuracy the benchmarks report.
SINGLE = ViewPolicy(
    name="single",
    label="single view",
    shifts=((0, 0),),
    weights=(1.0,),
    mirror=False,
)
FLIP = ViewPolicy(
    name="flip",
    label="averaged over the image and its mirror",
    shifts=((0, 0),),
    weights=(1.0,),
)
# airbench94's "mirror + translate" policy: the centred pair counts as much as
# the two one-pixel diagonal shifts together.
FLIP_SHIFT = ViewPolicy(
    name="flip+shift",
    label="averaged over flips and 1-px shifts",
    shifts=((0, 0), (1, 1), (-1, -1)),
    weights=(0.5, 0.25, 0.25),
)

POLICIES: dict[str, ViewPolicy] = {p.name: p for p in (SINGLE, FLIP, FLIP_SHIFT)}
DEFAULT_POLICY = FLIP_SHIFT
# What a model saved before policies were recorded was calibrated and exported with.
LEGACY_POLICY = FLIP


def get_policy(name: str) -> ViewPolicy:
    """Return the policy called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(
            f"unknown test-time augmentation {name!r}; known: {', '.join(POLICIES)}"
        ) from None

"""Region search: the model's classes found inside a photo, as boxes (the ``objects`` feature).

CIFAR-10 objects fill their 32x32 frame; in real photos they rarely do. So the
photo is cut into overlapping square windows at a few scales, each window is
classified like a whole photo, and a window whose top calibrated probability
clears a strict threshold is a find. Finds of one class that overlap are merged
(the most confident box wins), and each becomes a
:class:`~visionkit.results.DetectedObject` in the original image's pixels.

What it costs and what it is worth were measured on the development photos
(``benchmarks/real_photos.py``, ``docs/benchmarks/real-photos.md``): every
window is a full model call (six views), so a photo costs about as many model
calls as it has windows, and windows of backgrounds clear a threshold far more
often than whole photos do. That is why it is off by default
(``local.regions``), why its threshold is stricter than the whole-photo
open-set threshold, and why finds add boxes but never tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.results import BoundingBox, DetectedObject, ObjectCategory

DEFAULT_SCALES: tuple[float, ...] = (0.6, 0.4)
"""Window sides as fractions of the photo's short side: big enough that a window
still shows a whole animal or vehicle, small enough to isolate one in a corner."""

OVERLAP = 0.5
"""Neighbouring windows share half their side, so an object between two is whole in one."""

MERGE_IOU = 0.3
"""Finds of one class overlapping more than this are the same object."""

_WORK_SIDE = 2
"""Windows are cut from a copy scaled so the smallest window is this many model inputs wide."""


@dataclass(frozen=True)
class Window:
    """One square region of the photo, in its pixels."""

    x: int
    y: int
    side: int

    @property
    def box(self) -> BoundingBox:
        return BoundingBox(self.x, self.y, self.side, self.side)


def windows(
    width: int, height: int, scales: Sequence[float] = DEFAULT_SCALES, overlap: float = OVERLAP
) -> list[Window]:
    """Overlapping square windows covering the photo at each scale, edges included."""
    found: list[Window] = []
    short = min(width, height)
    for scale in scales:
        side = max(1, round(scale * short))
        stride = max(1, round(side * (1.0 - overlap)))
        xs = _positions(width, side, stride)
        ys = _positions(height, side, stride)
        found.extend(Window(x, y, side) for y in ys for x in xs)
    return found


def _positions(length: int, side: int, stride: int) -> list[int]:
    last = max(length - side, 0)
    positions = list(range(0, last + 1, stride))
    if positions[-1] != last:
        positions.append(last)  # the far edge gets a window of its own
    return positions


def crops(pixels: Image.Image, found: Sequence[Window], size: int) -> NDArray[np.float32]:
    """Each window resized to ``size`` x ``size``, as the model's ``(N, size, size, 3)`` input.

    The photo is first scaled down once, so that the smallest window is a few
    model inputs wide: resizing a 12-megapixel photo's windows one by one
    would cost more than classifying them.
    """
    smallest = min((w.side for w in found), default=size)
    factor = min(1.0, _WORK_SIDE * size / max(smallest, 1))
    work = pixels
    if factor < 1.0:
        target = (max(1, round(pixels.width * factor)), max(1, round(pixels.height * factor)))
        work = pixels.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = np.empty((len(found), size, size, 3), np.float32)
    for i, w in enumerate(found):
        box = (
            w.x * factor,
            w.y * factor,
            min((w.x + w.side) * factor, work.width),  # rounding must not step outside
            min((w.y + w.side) * factor, work.height),
        )
        region = work.resize((size, size), Image.Resampling.LANCZOS, box=box)
        out[i] = np.asarray(region, np.float32)
    return out


def finds(
    probabilities: NDArray[np.floating],
    found: Sequence[Window],
    class_names: Sequence[str],
    threshold: float,
    parents: dict[str, tuple[str, ...]] | None = None,
) -> tuple[DetectedObject, ...]:
    """The confident windows as objects, overlapping ones of a class merged, best first.

    ``parents`` (the derived-tag table) gives each object its lineage, e.g.
    cat -> mammal -> animal, as cloud services report it.
    """
    candidates = []
    for row, window in zip(probabilities, found, strict=True):
        best = int(np.argmax(row))
        score = float(row[best])
        if score >= threshold:
            candidates.append((min(score, 1.0), class_names[best], window.box))
    candidates.sort(key=lambda c: -c[0])
    kept: list[tuple[float, str, BoundingBox]] = []
    for score, name, box in candidates:
        if all(name != k_name or box.iou(k_box) <= MERGE_IOU for _, k_name, k_box in kept):
            kept.append((score, name, box))
    return tuple(
        DetectedObject(name, score, box, parent=_lineage((parents or {}).get(name, ())))
        for score, name, box in kept
    )


def _lineage(names: Sequence[str]) -> ObjectCategory | None:
    parent: ObjectCategory | None = None
    for name in reversed(names):
        parent = ObjectCategory(name, parent=parent)
    return parent


__all__ = ["DEFAULT_SCALES", "MERGE_IOU", "OVERLAP", "Window", "crops", "finds", "windows"]

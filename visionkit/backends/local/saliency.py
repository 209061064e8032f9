"""Where a photo's subject is: a spectral-residual saliency map, and its area of interest.

The map is Hou & Zhang's spectral residual (CVPR 2007, "Saliency Detection: A
Spectral Residual Approach"): the log amplitude spectrum of a natural image is
close to its local average, and what sticks out of that average (the
*residual*), transformed back with the original phase, marks the parts of the
image that are not like the rest. It needs one FFT and its inverse on a small
grey copy (:data:`GRID_SIDE` pixels on the long side, as in the paper), so it
costs a few milliseconds per photo with NumPy and Pillow only (1.4-10 ms, median
about 2 ms on 2 shared cores, most of it the resize: ``docs/benchmarks/thumbnails.md``).

Three things are added to the paper's map. The grey copy is mirrored outwards
before the FFT (:func:`spectral_residual` says why: measured). A mild centre prior
(photographers frame the subject near the middle; its weight was chosen by eye on
the contact sheet of ``docs/benchmarks/thumbnails.md``, not fitted). And, when the
caller has them, face boxes, weighted heavily: a face is what a viewer looks for
first, and the residual does not know faces (on the astronaut it prefers the
helmet and the mission patch).

The area of interest is the box that holds :data:`MASS_SHARE` of the map's
mass, trimmed from each side along the row and column sums, which are cheap
and stable where a thresholded blob is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.results import BoundingBox

GRID_SIDE: Final = 64
"""Long side of the grey copy the map is computed on (Hou & Zhang use 64)."""

BLUR_SIGMA: Final = 2.5
"""Gaussian smoothing of the map, in grid cells (the paper's sigma of 8 is for 64-px maps
shown at full size; 2.5 cells keeps separate objects apart at this grid)."""

CENTRE_PRIOR: Final = 0.5
"""Weight of the centre prior: the map is multiplied by ``1 - w + w * g`` with ``g`` a
Gaussian of half the image's size centred in it; 0 turns it off."""

FACE_SHARE: Final = 0.5
"""Each face box adds this share of the map's mass, spread evenly over the box: a face
then outweighs any one salient patch of the background, whatever its size."""

MASS_SHARE: Final = 0.8
"""Share of the map's mass the area of interest holds: 10% is trimmed from each side."""

Grid = NDArray[np.float64]


def grey_grid(pixels: Image.Image, side: int = GRID_SIDE) -> Grid:
    """A grey copy with ``side`` pixels on its long side, as floats in [0, 1]."""
    scale = side / max(pixels.width, pixels.height)
    size = (max(1, round(pixels.width * scale)), max(1, round(pixels.height * scale)))
    # reduce() first: a box average of whole factors, far cheaper than filtering a full photo.
    factor = max(1, min(pixels.width // size[0], pixels.height // size[1]) // 2)
    source = pixels.reduce(factor) if factor > 1 else pixels
    small = source.convert("L").resize(size, Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float64) / 255.0


def spectral_residual(grey: Grid, sigma: float = BLUR_SIGMA) -> Grid:
    """Hou & Zhang's saliency map of ``grey`` (same shape), normalised to sum 1.

    The image is mirrored outwards by a quarter of its long side before the FFT:
    the transform treats the image as periodic, so without the margin the jump
    from one edge to the opposite one is the most "salient" thing in every photo
    (bright corners and borders, measured on the benchmark photos).
    """
    pad = max(1, max(grey.shape) // 4)
    rows, cols = grey.shape
    if min(rows, cols) > pad:
        padded = np.pad(grey, pad, mode="reflect")
    else:  # a sliver of an image: too thin to mirror a quarter of its length
        padded = np.pad(grey, pad, mode="edge")
    spectrum = np.fft.fft2(padded)
    log_amplitude = np.log(np.abs(spectrum) + 1e-9)
    phase = np.angle(spectrum)
    residual = log_amplitude - _box3(log_amplitude)
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    saliency = _gaussian(saliency[pad : pad + rows, pad : pad + cols], sigma)
    total = saliency.sum()
    if not np.isfinite(total) or total <= 0:  # a flat image: nothing stands out anywhere
        return np.full_like(grey, 1.0 / grey.size)
    return np.asarray(saliency / total)


def saliency_map(
    pixels: Image.Image,
    faces: Iterable[BoundingBox] = (),
    *,
    centre_prior: float = CENTRE_PRIOR,
) -> Grid:
    """The weighted map of ``pixels`` on the small grid (sum 1): residual, centre, faces.

    ``faces`` are boxes in ``pixels``' coordinates (from the ``faces`` feature,
    when the caller has it).
    """
    grey = grey_grid(pixels)
    weights = spectral_residual(grey)
    if centre_prior:
        weights = weights * (1.0 - centre_prior + centre_prior * _centre(grey.shape))
    mass = weights.sum()
    sx, sy = grey.shape[1] / pixels.width, grey.shape[0] / pixels.height
    for face in faces:
        x1, y1 = int(face.x * sx), int(face.y * sy)
        x2 = max(x1 + 1, int(np.ceil(face.x2 * sx)))
        y2 = max(y1 + 1, int(np.ceil(face.y2 * sy)))
        cells = weights[y1:y2, x1:x2]
        if cells.size:
            cells += FACE_SHARE * mass / cells.size
    return np.asarray(weights / weights.sum())


def area_of_interest(
    weights: Grid, image_width: int, image_height: int, share: float = MASS_SHARE
) -> BoundingBox:
    """The box holding ``share`` of ``weights``' mass, in image pixels."""
    cut = (1.0 - share) / 2
    x1, x2 = _trim(weights.sum(axis=0), cut)
    y1, y2 = _trim(weights.sum(axis=1), cut)
    rows, cols = weights.shape
    sx, sy = image_width / cols, image_height / rows
    return BoundingBox.from_xyxy(x1 * sx, y1 * sy, x2 * sx, y2 * sy).clip(image_width, image_height)


def _trim(profile: Grid, cut: float) -> tuple[int, int]:
    """First and last-plus-one index once ``cut`` of the mass is dropped from each end."""
    cumulative = np.cumsum(profile) / profile.sum()
    start = int(np.searchsorted(cumulative, cut, side="right"))
    stop = int(np.searchsorted(cumulative, 1.0 - cut, side="left")) + 1
    return min(start, len(profile) - 1), max(stop, start + 1)


def _box3(values: Grid) -> Grid:
    """A 3x3 mean filter with edge replication (the paper's local average of the spectrum)."""
    padded = np.pad(values, 1, mode="edge")
    rows, cols = values.shape
    total = np.zeros_like(values)
    for dy in range(3):
        for dx in range(3):
            total += padded[dy : dy + rows, dx : dx + cols]
    return total / 9.0


def _gaussian(values: Grid, sigma: float) -> Grid:
    """Separable Gaussian smoothing with edge replication."""
    radius = max(1, int(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(values, radius, mode="edge")
    rows, cols = values.shape
    across = sum(k * padded[:, i : i + cols] for i, k in enumerate(kernel))
    return np.asarray(sum(k * across[i : i + rows, :] for i, k in enumerate(kernel)))


def _centre(shape: tuple[int, ...]) -> Grid:
    """A Gaussian bump centred in a grid of ``shape``, sigma half of each side, peak 1."""
    rows, cols = shape
    y = (np.arange(rows) + 0.5 - rows / 2) / (rows / 2)
    x = (np.arange(cols) + 0.5 - cols / 2) / (cols / 2)
    return np.asarray(np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * 0.5**2)))


__all__ = [
    "BLUR_SIGMA",
    "CENTRE_PRIOR",
    "FACE_SHARE",
    "GRID_SIDE",
    "MASS_SHARE",
    "area_of_interest",
    "grey_grid",
    "saliency_map",
    "spectral_residual",
]

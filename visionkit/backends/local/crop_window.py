"""The best window of a given shape over a weight map: an integral-image search.

Given the saliency map (:mod:`.saliency`) and the thumbnail's aspect ratio,
the window kept is the largest of that ratio that fits in the image (a
thumbnail keeps as much of the photo as its shape allows, as Azure's does),
placed where it holds the most weight. The summed-area table makes every
placement's weight four lookups, so all placements on the grid are scored at
once with array slicing, with no loop over positions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from visionkit.cropping import window_size
from visionkit.results import BoundingBox


def best_window(
    weights: NDArray[np.float64], image_width: int, image_height: int, aspect: float
) -> BoundingBox:
    """The largest box of ``aspect`` (width / height) in the image that holds the most weight.

    ``weights`` covers the whole image on a coarser grid; the box is in image
    pixels. Ties (a flat map) go to the placement nearest the centre.
    """
    width, height = window_size(image_width, image_height, aspect)
    rows, cols = weights.shape
    sx, sy = cols / image_width, rows / image_height
    # The window on the grid, and how far it can move (in whole cells) along each axis.
    grid_w = min(cols, max(1, round(width * sx)))
    grid_h = min(rows, max(1, round(height * sy)))
    table = np.zeros((rows + 1, cols + 1))
    table[1:, 1:] = weights.cumsum(axis=0).cumsum(axis=1)
    sums = (
        table[grid_h:, grid_w:]
        - table[:-grid_h, grid_w:]
        - table[grid_h:, :-grid_w]
        + table[:-grid_h, :-grid_w]
    )
    # Prefer the centre among (near-)equal placements: a flat map gives the centre crop.
    ys, xs = np.indices(sums.shape)
    centre_y, centre_x = (sums.shape[0] - 1) / 2, (sums.shape[1] - 1) / 2
    distance = (ys - centre_y) ** 2 + (xs - centre_x) ** 2
    best = sums.max()
    ties = np.where(sums >= best - 1e-9 * max(best, 1e-12), distance, np.inf)
    gy, gx = np.unravel_index(int(np.argmin(ties)), sums.shape)
    x = min(max(round(gx / sx), 0), image_width - width)
    y = min(max(round(gy / sy), 0), image_height - height)
    return BoundingBox(x, y, width, height)


__all__ = ["best_window"]

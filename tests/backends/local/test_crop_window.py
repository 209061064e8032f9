"""The integral-image window search, on weight maps of real photos and on known maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from visionkit.backends.local.crop_window import best_window
from visionkit.backends.local.saliency import saliency_map
from visionkit.cropping import centre_window
from visionkit.images import load_image
from visionkit.results import BoundingBox


def test_a_flat_map_gives_the_centre_crop():
    weights = np.full((40, 60), 1 / 2400)
    assert best_window(weights, 600, 400, 1.0) == centre_window(600, 400, 1.0)


def test_the_window_goes_where_the_weight_is():
    weights = np.zeros((40, 60))
    weights[10:20, 50:58] = 1.0  # a bright patch on the right
    box = best_window(weights, 600, 400, 1.0)
    assert box.width == box.height == 400
    assert box.x <= 500 and box.x2 >= 580  # holds the patch
    # Of the placements that hold it (x from 180 to 200), the one nearest the centre.
    assert box.x == 180


def test_it_matches_a_brute_force_search_on_a_real_map(chelsea_png: Path):
    pixels = load_image(chelsea_png).pixels
    weights = saliency_map(pixels)
    cols = weights.shape[1]
    box = best_window(weights, pixels.width, pixels.height, 0.5)
    grid_w = round(box.width * cols / pixels.width)
    sums = [weights[:, x : x + grid_w].sum() for x in range(cols - grid_w + 1)]
    best_x = int(np.argmax(sums))
    assert abs(box.x - round(best_x * pixels.width / cols)) <= 1
    assert box == BoundingBox(box.x, 0, 150, 300)

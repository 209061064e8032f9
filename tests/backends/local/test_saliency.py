"""The spectral-residual saliency map and its area of interest, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from visionkit.backends.local import saliency
from visionkit.images import load_image
from visionkit.results import BoundingBox

#: By eye on the 512x512 astronaut, forehead to chin (as in test_faces.py): scikit-image
#: publishes no box.
ASTRONAUT_FACE = BoundingBox(176, 78, 94, 104)


def test_the_map_is_a_distribution_on_a_small_grid(chelsea_png: Path):
    pixels = load_image(chelsea_png).pixels  # 451x300
    weights = saliency.saliency_map(pixels)
    assert weights.shape == (43, 64)
    assert np.all(weights >= 0) and abs(weights.sum() - 1.0) < 1e-9


def test_mirroring_keeps_the_borders_from_lighting_up(chelsea_png: Path):
    """Without the mirrored margin the FFT's wrap-around makes the edges salient: on the
    cat, the border cells' mean is 2.9 times the map's mean unmirrored, 0.73 mirrored."""
    grey = saliency.grey_grid(load_image(chelsea_png).pixels)
    weights = saliency.spectral_residual(grey)
    border = np.concatenate([weights[0], weights[-1], weights[:, 0], weights[:, -1]])
    assert border.mean() < weights.mean()


def test_a_flat_image_is_uniform_and_its_interest_is_central(chelsea_png: Path):
    flat = Image.new("RGB", (300, 200), (120, 120, 120))
    weights = saliency.saliency_map(flat, centre_prior=0.0)
    assert np.allclose(weights, weights.flat[0])
    box = saliency.area_of_interest(weights, 300, 200)
    assert box.center == (150.0, 100.0)


def test_the_cats_area_of_interest_is_its_face(chelsea_png: Path):
    pixels = load_image(chelsea_png).pixels
    box = saliency.area_of_interest(saliency.saliency_map(pixels), *pixels.size)
    # Chelsea's eyes are at about (180, 110) and (295, 110), her nose at (250, 185).
    for x, y in ((180, 110), (295, 110), (250, 185)):
        assert box.x <= x < box.x2 and box.y <= y < box.y2
    assert box.area < 0.6 * pixels.width * pixels.height


def test_a_face_pulls_the_map_towards_itself(skimage_data_dir: Path):
    pixels = load_image(skimage_data_dir / "astronaut.png").pixels
    plain = saliency.saliency_map(pixels)
    weighted = saliency.saliency_map(pixels, [ASTRONAUT_FACE])
    rows, cols = plain.shape
    sx, sy = cols / 512, rows / 512
    cells = np.s_[int(78 * sy) : int(182 * sy), int(176 * sx) : int(270 * sx)]
    # FACE_SHARE (half the map's mass) is added, then the map is normalised again: a third.
    assert weighted[cells].sum() > plain[cells].sum() + 0.25
    box = saliency.area_of_interest(weighted, 512, 512)
    # The grid's cells are 8 px: the by-eye box may overrun the area by a row of them.
    assert box.intersection(ASTRONAUT_FACE) >= 0.9 * ASTRONAUT_FACE.area

"""Crop geometry and thumbnail rendering (visionkit.cropping), on real photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visionkit.cropping import (
    AZURE_MAX_SIDE,
    MAX_THUMBNAIL_SIDE,
    ThumbnailSizeError,
    centre_window,
    check_size,
    crop_thumbnail,
    expand_to_aspect,
    render,
    sniff_media_type,
    window_size,
)
from visionkit.errors import ConfigError, VisionKitError
from visionkit.images import load_image
from visionkit.results import BoundingBox


@pytest.mark.parametrize(
    ("width", "height", "side"),
    [
        (0, 64, "width"),
        (64, 0, "height"),
        (-1, 64, "width"),
        (64, MAX_THUMBNAIL_SIDE + 1, "height"),
        (1.5, 64, "width"),
        (True, 64, "width"),
        ("64", 64, "width"),
    ],
)
def test_bad_sizes_are_config_errors_naming_the_side(width, height, side):
    with pytest.raises(ThumbnailSizeError) as caught:
        check_size(width, height)
    error = caught.value
    assert isinstance(error, ConfigError) and isinstance(error, VisionKitError)
    assert isinstance(error, ValueError)  # what AzureAnalyzer.thumbnail raised before
    assert f"thumbnail {side}" in str(error)


def test_the_limit_can_be_a_services_own():
    check_size(MAX_THUMBNAIL_SIDE, 1)
    with pytest.raises(ThumbnailSizeError, match=f"between 1 and {AZURE_MAX_SIDE}"):
        check_size(AZURE_MAX_SIDE + 1, 10, limit=AZURE_MAX_SIDE)


@pytest.mark.parametrize(
    ("size", "aspect", "expected"),
    [
        ((600, 400), 1.0, BoundingBox(100, 0, 400, 400)),
        ((600, 400), 3.0, BoundingBox(0, 100, 600, 200)),
        ((600, 400), 1.5, BoundingBox(0, 0, 600, 400)),
        ((600, 462), 1.0, BoundingBox(69, 0, 462, 462)),  # house.jpg, Azure's 64x64 test
    ],
)
def test_centre_window_is_the_largest_centred_box_of_the_shape(size, aspect, expected):
    assert centre_window(*size, aspect) == expected


def test_window_size_never_collapses_below_one_pixel():
    assert window_size(1000, 2, 0.001) == (1, 2)
    assert window_size(2, 1000, 1000.0) == (2, 1)


class TestExpandToAspect:
    def test_grows_the_short_side_around_the_centre(self):
        box = expand_to_aspect(BoundingBox(200, 100, 100, 200), 1.0, 600, 400)
        assert box == BoundingBox(150, 100, 200, 200)

    def test_slides_back_inside_the_image(self):
        box = expand_to_aspect(BoundingBox(0, 0, 100, 50), 1.0, 600, 400)
        assert box == BoundingBox(0, 0, 100, 100)

    def test_too_big_for_the_image_takes_its_full_length(self):
        # Google's whole-image hint on a 600x400 photo, asked for a square: the centre square.
        box = expand_to_aspect(BoundingBox(0, 0, 600, 400), 1.0, 600, 400)
        assert box == BoundingBox(100, 0, 400, 400)

    def test_keeps_the_area_of_interest_whenever_the_shape_allows(self):
        interest = BoundingBox(320, 40, 120, 300)
        box = expand_to_aspect(interest, 0.5, 600, 400)
        assert box.intersection(interest) == interest.area
        assert abs(box.width / box.height - 0.5) < 0.01


def test_crop_thumbnail_resizes_the_callers_pixels(chelsea_png: Path):
    loaded = load_image(chelsea_png)
    thumb = crop_thumbnail(loaded, BoundingBox(100, 20, 200, 200), 64, 32, backend="google")
    assert thumb.image().size == (64, 32)
    assert thumb.crop == BoundingBox(0, 20, 400, 200)  # grown to 2:1 around the box's centre
    assert thumb.smart and thumb.raw == {"area_of_interest": [100, 20, 200, 200]}
    assert thumb.media_type == "image/jpeg" and sniff_media_type(thumb.data) == "image/jpeg"
    centre = crop_thumbnail(loaded, None, 64, 64, backend="google")
    assert centre.crop == centre_window(451, 300, 1.0) and not centre.smart


def test_render_matches_the_pixels_it_kept(chelsea_png: Path):
    pixels = load_image(chelsea_png).pixels
    crop = BoundingBox(150, 50, 150, 150)
    thumb = render(pixels, crop, 150, 150, backend="local", smart=True)
    decoded = np.asarray(Image.open(io.BytesIO(thumb.data)), float)
    original = np.asarray(pixels.crop(crop.xyxy), float)
    assert np.abs(decoded - original).mean() < 3  # JPEG at quality 90, same size: close


def test_sniff_media_type_reads_signatures(chelsea_png: Path, rocket_jpg: Path):
    assert sniff_media_type(chelsea_png.read_bytes()) == "image/png"
    assert sniff_media_type(rocket_jpg.read_bytes()) == "image/jpeg"
    assert sniff_media_type(b"not an image") == "application/octet-stream"

"""Reduced-scale JPEG decoding: smaller pixels for callers that ask, the true size kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from visionkit.images import load_image
from visionkit.images.decode import draft_size

skimage_data = pytest.importorskip("skimage.data")


def _jpeg(img: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, **save)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_photo() -> Image.Image:
    """A real photo (chelsea) upscaled to 3000x2000, the size of a phone camera's."""
    return Image.fromarray(skimage_data.chelsea()).resize((3000, 2000), Image.Resampling.LANCZOS)


def test_a_jpeg_decodes_small_when_asked_and_keeps_its_true_size(big_photo):
    loaded = load_image(_jpeg(big_photo), reduce=(256, 64))

    assert loaded.pixels.size == (375, 250)  # 1/8 scale: both sides still above the asks
    assert loaded.original_size == (3000, 2000)
    meta = loaded.metadata()
    assert (meta.width, meta.height, meta.format) == (3000, 2000, "JPEG")


def test_the_reduced_pixels_are_the_full_decode_shrunk(big_photo):
    data = _jpeg(big_photo)
    reduced = load_image(data, reduce=(256, 64)).pixels
    full = load_image(data).pixels.resize(reduced.size, Image.Resampling.BOX)

    difference = np.abs(np.asarray(reduced, np.int16) - np.asarray(full, np.int16))
    assert difference.mean() < 3.0  # the decoder's DCT scaling is a block average too


def test_no_reduction_below_what_was_asked(big_photo):
    assert load_image(_jpeg(big_photo), reduce=(1400, 64)).pixels.size == (1500, 1000)
    # 1/2 would leave the long side at 1500 < 1600: full size it is.
    assert load_image(_jpeg(big_photo), reduce=(1600, 64)).pixels.size == (3000, 2000)


def test_without_reduce_nothing_changes(big_photo):
    loaded = load_image(_jpeg(big_photo))

    assert loaded.pixels.size == (3000, 2000)
    assert loaded.original_size is None


def test_other_formats_decode_at_full_size(big_photo):
    out = io.BytesIO()
    big_photo.resize((900, 600)).save(out, "PNG")
    loaded = load_image(out.getvalue(), reduce=(256, 64))

    assert loaded.pixels.size == (900, 600)
    assert loaded.metadata().width == 900


def test_exif_rotation_is_applied_and_the_true_size_is_upright(big_photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    loaded = load_image(_jpeg(big_photo, exif=exif), reduce=(256, 64))

    assert loaded.pixels.size == (250, 375)
    assert loaded.original_size == (2000, 3000)
    assert (loaded.metadata().width, loaded.metadata().height) == (2000, 3000)


@pytest.mark.parametrize(
    ("size", "long", "short", "expected"),
    [
        ((4000, 3000), 256, 64, (256, 192)),  # a photo: the long side's ask decides
        ((4000, 100), 256, 64, (2560, 64)),  # a panorama strip: the short side's ask wins
        ((100, 80), 256, 64, (100, 80)),  # never larger than the image
    ],
)
def test_draft_size(size, long, short, expected):
    width, height = draft_size(size, long, short)
    assert max(width, height) >= min(long, max(size))
    assert min(width, height) >= min(short, min(size))
    assert (width, height) == expected

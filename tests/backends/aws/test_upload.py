from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from visionkit.backends.aws.upload import MAX_SIDE, prepare_upload
from visionkit.errors import InvalidImageError
from visionkit.images import load_image


def test_jpeg_under_the_limits_is_sent_untouched(rocket_jpg: Path):
    upload = prepare_upload(load_image(rocket_jpg), resize_to_fit=True)
    assert upload.data == rocket_jpg.read_bytes() and not upload.reencoded


def test_other_formats_are_reencoded_as_png(chelsea_png: Path):
    buffer = io.BytesIO()
    Image.open(chelsea_png).convert("RGB").save(buffer, format="BMP")
    upload = prepare_upload(load_image(buffer.getvalue()), resize_to_fit=False)
    assert upload.reencoded and Image.open(io.BytesIO(upload.data)).format == "PNG"


def test_too_large_a_side_is_downscaled_or_refused():
    image = load_image(Image.new("RGB", (MAX_SIDE + 500, 100), "white"))
    upload = prepare_upload(image, resize_to_fit=True)
    assert upload.width == MAX_SIDE and upload.height == 95
    with pytest.raises(InvalidImageError, match="resize_to_fit"):
        prepare_upload(image, resize_to_fit=False)


def test_too_small_is_an_error_not_an_upscale():
    with pytest.raises(InvalidImageError, match="at least 80") as caught:
        prepare_upload(load_image(Image.new("RGB", (100, 40))), resize_to_fit=True)
    assert caught.value.backend == "aws"

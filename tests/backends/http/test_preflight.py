"""The one preflight under each vendor's limits: what differs is only what the limits say.

Azure may scale up and asks before any change; AWS never scales up and re-encodes
freely; Google never resizes at all. Images are scikit-image's photos (chelsea.png,
rocket.jpg), re-saved in other formats or with an EXIF tag where a case needs it.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from visionkit.backends.aws.upload import LIMITS as AWS
from visionkit.backends.azure.preflight import ANALYZE_LIMITS as AZURE
from visionkit.backends.google.upload import LIMITS as GOOGLE
from visionkit.backends.http.preflight import (
    fit_dimensions,
    prepare_upload,
    rotated_by_exif,
)
from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage, load_image


def _saved(path: Path, fmt: str, size: tuple[int, int] | None = None, **save) -> LoadedImage:
    with Image.open(path) as img:
        img = img.convert("RGB")
        if size is not None:
            img = img.resize(size)
        buffer = io.BytesIO()
        img.save(buffer, format=fmt, **save)
    return load_image(buffer.getvalue())


@pytest.mark.parametrize("limits", [AZURE, AWS, GOOGLE], ids=lambda lim: lim.backend)
def test_a_photo_that_fits_travels_untouched(limits, rocket_jpg):
    upload = prepare_upload(load_image(rocket_jpg), limits, resize_to_fit=False)
    assert upload.data == rocket_jpg.read_bytes()
    assert (upload.mime, upload.reencoded, upload.resized) == ("image/jpeg", False, False)


@pytest.mark.parametrize("limits", [AZURE, AWS, GOOGLE], ids=lambda lim: lim.backend)
def test_an_exif_rotated_jpeg_is_sent_as_the_caller_sees_it(limits, rocket_jpg):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    rotated = _saved(rocket_jpg, "JPEG", exif=exif)
    assert rotated_by_exif(rotated.data)
    upload = prepare_upload(rotated, limits, resize_to_fit=False)
    assert upload.reencoded and not rotated_by_exif(upload.data)
    with Image.open(io.BytesIO(upload.data)) as sent:
        assert sent.size == (rotated.width, rotated.height) == (427, 640)


def test_a_format_change_needs_leave_on_azure_but_not_on_aws_or_google(chelsea_png):
    bmp = _saved(chelsea_png, "BMP")
    with pytest.raises(InvalidImageError, match=r"it is BMP \(allowed: JPEG, PNG\)") as caught:
        prepare_upload(bmp, replace(AZURE, formats=("JPEG", "PNG")), resize_to_fit=False)
    assert caught.value.backend == "azure"
    for limits in (AWS, GOOGLE):
        upload = prepare_upload(bmp, replace(limits, formats=("JPEG", "PNG")), resize_to_fit=False)
        assert upload.reencoded and upload.mime == "image/png"


def test_a_small_image_is_scaled_up_for_azure_and_refused_for_aws(chelsea_png):
    small = _saved(chelsea_png, "PNG", size=(60, 40))
    upload = prepare_upload(small, AZURE, resize_to_fit=True)
    assert (upload.width, upload.height) == (75, 50) and upload.resized
    with pytest.raises(InvalidImageError, match="needs at least 80 pixels a side") as caught:
        prepare_upload(small, AWS, resize_to_fit=True)
    assert caught.value.backend == "aws"
    assert prepare_upload(small, GOOGLE, resize_to_fit=True).data == small.data


def test_google_never_resizes_and_names_its_byte_cap(chelsea_png):
    photo = load_image(chelsea_png)
    assert fit_dimensions((40_000, 20), GOOGLE) == (40_000, 20)
    with pytest.raises(InvalidImageError, match="JSON request limit is 10 MB") as caught:
        prepare_upload(photo, replace(GOOGLE, max_bytes=5_000), resize_to_fit=True)
    assert caught.value.backend == "google" and "shrink" not in str(caught.value)


def test_aws_shrinks_until_under_its_bytes_or_says_which_option_would(chelsea_png):
    photo = load_image(chelsea_png)  # 451x300 PNG, about 200 kB
    quota = replace(AWS, max_bytes=12_000)
    upload = prepare_upload(photo, quota, resize_to_fit=True)
    assert len(upload.data) <= 12_000 and upload.resized
    with pytest.raises(InvalidImageError, match=r"set aws\.resize_to_fit=true to let visionkit"):
        prepare_upload(photo, quota, resize_to_fit=False)


def test_azure_re_encodes_a_small_jpeg_as_jpeg_and_a_small_png_as_png(rocket_jpg, chelsea_png):
    # A CIFAR-sized photo: Azure needs 50 pixels a side, so both are scaled up and re-encoded.
    for path, fmt, mime in ((rocket_jpg, "JPEG", "image/jpeg"), (chelsea_png, "PNG", "image/png")):
        small = _saved(path, fmt, size=(32, 32))
        upload = prepare_upload(small, AZURE, resize_to_fit=True)
        assert (upload.width, upload.height, upload.mime) == (50, 50, mime)
        with Image.open(io.BytesIO(upload.data)) as sent:
            assert (sent.format, sent.size) == (fmt, (50, 50))


def test_a_rotated_jpeg_keeps_its_format_only_where_the_limits_say_so(rocket_jpg):
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = _saved(rocket_jpg, "JPEG", exif=exif)
    for limits in (AZURE, AWS, GOOGLE):
        assert limits.keep_jpeg
        kept = prepare_upload(rotated, limits, resize_to_fit=False)
        assert kept.mime == "image/jpeg" and kept.reencoded
    for limits in (AZURE, AWS, GOOGLE):
        unkept = replace(limits, keep_jpeg=False)
        assert prepare_upload(rotated, unkept, resize_to_fit=False).mime == "image/png"


def test_encode_for_upload_tries_the_preferred_format_first(chelsea_png):
    from visionkit.images.encode import encode_for_upload

    pixels = load_image(chelsea_png).pixels
    image = LoadedImage(pixels=pixels, data=None, format=None, source="chelsea")
    assert encode_for_upload(image, ("JPEG", "PNG"))[1] == "image/png"
    data, mime = encode_for_upload(image, ("JPEG", "PNG"), prefer="jpeg")
    assert mime == "image/jpeg" and data.startswith(b"\xff\xd8")
    # A preference the service does not take is ignored; a byte limit still applies.
    assert encode_for_upload(image, ("PNG",), prefer="JPEG")[1] == "image/png"
    with pytest.raises(InvalidImageError, match="too large to upload"):
        encode_for_upload(image, ("JPEG", "PNG"), max_bytes=1_000, prefer="JPEG")

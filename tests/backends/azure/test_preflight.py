from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image

from visionkit.backends.azure.preflight import (
    ANALYZE_LIMITS,
    READ_LIMITS,
    Upload,
    fit_dimensions,
    lines_to_caller_pixels,
    prepare_upload,
    to_caller_pixels,
)
from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage, load_image
from visionkit.results import (
    AnalysisResult,
    BoundingBox,
    Brand,
    Celebrity,
    DetectedObject,
    Face,
    TextLine,
    Word,
)


def _encoded(img: Image.Image, fmt: str, **save) -> LoadedImage:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **save)
    return load_image(buffer.getvalue())


@pytest.fixture
def photo(satya_jpg) -> Image.Image:
    with Image.open(satya_jpg) as img:
        return img.convert("RGB")


def _decoded_size(upload: Upload) -> tuple[int, int]:
    with Image.open(io.BytesIO(upload.data)) as img:
        return img.size


class TestWithinLimits:
    def test_original_bytes_travel_untouched(self, satya_jpg):
        loaded = load_image(satya_jpg)
        upload = prepare_upload(loaded, ANALYZE_LIMITS, resize_to_fit=True)
        assert upload.data == satya_jpg.read_bytes()
        assert (upload.mime, upload.width, upload.height) == ("image/jpeg", 512, 288)
        assert not upload.resized

    def test_gif_is_fine_for_analyze_but_not_for_read(self, photo):
        loaded = _encoded(photo, "GIF")
        assert prepare_upload(loaded, ANALYZE_LIMITS, resize_to_fit=True).data == loaded.data
        for_read = prepare_upload(loaded, READ_LIMITS, resize_to_fit=True)
        assert for_read.mime == "image/png"
        assert _decoded_size(for_read) == (512, 288) and not for_read.resized

    def test_in_memory_pixels_are_encoded(self, photo):
        upload = prepare_upload(load_image(photo), ANALYZE_LIMITS, resize_to_fit=False)
        assert upload.mime == "image/png"
        assert _decoded_size(upload) == (512, 288)


class TestOutOfLimits:
    def test_too_wide_is_downscaled(self, satya_jpg):
        # Real limits at a fraction of the pixels: the same rule, in milliseconds.
        narrow = replace(ANALYZE_LIMITS, max_side=400)
        upload = prepare_upload(load_image(satya_jpg), narrow, resize_to_fit=True)
        assert (upload.width, upload.height) == (400, 225)
        assert _decoded_size(upload) == (400, 225)
        assert upload.scale_x == pytest.approx(512 / 400)
        assert upload.scale_y == pytest.approx(288 / 225)

    def test_the_published_limits(self):
        assert fit_dimensions((16_400, 200), ANALYZE_LIMITS) == (16_000, 195)
        assert fit_dimensions((12_000, 9_000), READ_LIMITS) == (10_000, 7_500)
        assert fit_dimensions((40, 22), ANALYZE_LIMITS) == (91, 50)

    def test_too_small_is_upscaled(self, photo):
        tiny = _encoded(photo.resize((40, 22)), "PNG")
        upload = prepare_upload(tiny, ANALYZE_LIMITS, resize_to_fit=True)
        assert (upload.width, upload.height) == (91, 50)
        assert min(_decoded_size(upload)) == 50

    def test_wrong_format_is_reencoded(self, photo):
        webp = _encoded(photo, "WEBP")
        upload = prepare_upload(webp, ANALYZE_LIMITS, resize_to_fit=True)
        assert upload.mime in ("image/png", "image/jpeg")
        assert not upload.resized

    def test_too_many_bytes_is_recompressed_then_shrunk_until_it_fits(self, satya_jpg):
        small_quota = replace(ANALYZE_LIMITS, max_bytes=12_000)  # satya.jpg is 26,469 bytes
        upload = prepare_upload(load_image(satya_jpg), small_quota, resize_to_fit=True)
        assert len(upload.data) <= 12_000
        assert upload.mime == "image/jpeg"
        assert upload.resized and upload.width < 512

    def test_too_many_bytes_is_refused_when_resizing_is_off(self, satya_jpg):
        small_quota = replace(ANALYZE_LIMITS, max_bytes=12_000)
        with pytest.raises(InvalidImageError, match=r"26,469 bytes \(allowed: up to 12,000\)"):
            prepare_upload(load_image(satya_jpg), small_quota, resize_to_fit=False)

    @pytest.mark.parametrize(
        ("size", "fmt", "expected"),
        [
            ((16_001, 60), "BMP", "16001x60 pixels (allowed: 50 to 16,000 per side)"),
            ((40, 22), "PNG", "40x22 pixels (allowed: 50 to 16,000 per side)"),
            ((512, 288), "WEBP", "it is WEBP (allowed: JPEG, PNG, GIF, BMP)"),
        ],
    )
    def test_refused_with_the_limit_named_when_resizing_is_off(self, photo, size, fmt, expected):
        loaded = _encoded(photo.resize(size), fmt)
        with pytest.raises(InvalidImageError, match=r"Azure Image Analysis 3\.2") as info:
            prepare_upload(loaded, ANALYZE_LIMITS, resize_to_fit=False)
        assert expected in str(info.value)
        assert "resize_to_fit" in str(info.value)
        assert info.value.source == loaded.source

    def test_an_aspect_ratio_no_resize_can_fit(self, photo):
        with pytest.raises(InvalidImageError, match="Crop it first"):
            fit_dimensions((20, 40_000), ANALYZE_LIMITS)

    def test_fit_keeps_sizes_inside_untouched(self):
        assert fit_dimensions((512, 288), ANALYZE_LIMITS) == (512, 288)
        assert fit_dimensions((50, 16_000), ANALYZE_LIMITS) == (50, 16_000)


def test_exif_rotated_jpeg_is_sent_as_the_caller_sees_it(photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    rotated = _encoded(photo, "JPEG", exif=exif)
    assert (rotated.width, rotated.height) == (288, 512)  # the loader applied it
    upload = prepare_upload(rotated, ANALYZE_LIMITS, resize_to_fit=False)
    assert upload.data != rotated.data
    assert _decoded_size(upload) == (288, 512)
    assert not upload.resized


class TestMappingBack:
    UPLOAD = Upload(b"", "image/png", 100, 50, scale_x=2.0, scale_y=4.0)

    def test_every_box_is_scaled_to_the_callers_image(self):
        box = BoundingBox(10, 5, 20, 10)
        scaled = BoundingBox(20, 20, 40, 40)
        result = AnalysisResult(
            backend="azure",
            objects=(DetectedObject("cat", 0.9, box),),
            faces=(Face(box),),
            brands=(Brand("x", 0.5, box), Brand("y", 0.5, None)),
            celebrities=(Celebrity("z", 0.5, box),),
            text=(TextLine("hi", ((10.0, 5.0), (30.0, 15.0))),),
        )
        mapped = to_caller_pixels(result, self.UPLOAD)
        assert mapped.objects[0].box == scaled
        assert mapped.faces[0].box == scaled
        assert [b.box for b in mapped.brands] == [scaled, None]
        assert mapped.celebrities[0].box == scaled
        assert mapped.text[0].box == scaled
        assert mapped.tags is None and mapped.landmarks is None

    def test_word_polygons_are_scaled_too(self):
        line = TextLine("a", ((1.0, 1.0), (2.0, 2.0)), words=(Word("a", ((1.0, 1.0), (2.0, 2.0))),))
        (mapped,) = lines_to_caller_pixels((line,), self.UPLOAD)
        assert mapped.words[0].polygon == ((2.0, 4.0), (4.0, 8.0))

    def test_unresized_upload_changes_nothing(self):
        result = AnalysisResult(backend="azure", faces=(Face(BoundingBox(1, 2, 3, 4)),))
        assert to_caller_pixels(result, Upload(b"", "image/png", 9, 9)) is result

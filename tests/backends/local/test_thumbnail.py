"""Local smart thumbnails and the area_of_interest feature, through the public API.

Real photos only: scikit-image's astronaut (her face by eye, as in test_faces.py:
scikit-image publishes no box), the cat, the rocket JPEG. Tests that weight faces
in skip, with the reason, when the ``faces`` extra is not installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import visionkit
from visionkit.backends.local import LocalAnalyzer
from visionkit.cropping import centre_window
from visionkit.features import Feature
from visionkit.results import BoundingBox
from visionkit.testing import assert_valid_result

ASTRONAUT_FACE = BoundingBox(176, 78, 94, 104)

needs_cv2 = pytest.mark.skipif(
    importlib.util.find_spec("cv2") is None,
    reason="the 'faces' extra is not installed: pip install 'visionkit[faces]'",
)


@pytest.fixture(scope="module")
def astronaut(skimage_data_dir: Path) -> Path:
    return skimage_data_dir / "astronaut.png"


def _holds(crop: BoundingBox | None, box: BoundingBox) -> bool:
    return crop is not None and crop.intersection(box) == box.area


@pytest.mark.parametrize(("width", "height"), [(64, 128), (100, 300)])
def test_a_portrait_thumbnail_keeps_the_face_from_the_map_alone(astronaut, width, height):
    thumb = visionkit.thumbnail(astronaut, width, height, thumbnail_faces=False)
    assert thumb.image().size == (width, height)
    assert thumb.backend == "local" and thumb.smart and thumb.raw == {"faces": None}
    assert _holds(thumb.crop, ASTRONAUT_FACE)
    assert thumb.crop != centre_window(512, 512, width / height)  # it did move


@needs_cv2
@pytest.mark.parametrize(("width", "height"), [(128, 64), (300, 100)])
def test_a_landscape_thumbnail_keeps_the_face_with_faces_weighted_in(astronaut, width, height):
    thumb = visionkit.thumbnail(astronaut, width, height)
    assert thumb.raw["faces"]  # the detector ran and found her
    assert _holds(thumb.crop, ASTRONAUT_FACE)


def test_smart_false_is_the_centre_crop(chelsea_png):
    thumb = visionkit.thumbnail(chelsea_png, 80, 80, smart=False)
    assert thumb.crop == centre_window(451, 300, 1.0) == BoundingBox(75, 0, 300, 300)
    assert not thumb.smart and thumb.image().size == (80, 80)


async def test_the_async_twin_gives_the_same_crop(chelsea_png):
    sync = visionkit.thumbnail(chelsea_png, 50, 100, thumbnail_faces=False)
    later = await visionkit.thumbnail_async(chelsea_png, 50, 100, thumbnail_faces=False)
    assert later.crop == sync.crop and later.data == sync.data


def test_area_of_interest_is_on_request_only():
    analyzer = LocalAnalyzer()
    assert Feature.AREA_OF_INTEREST in analyzer.supported_features
    assert Feature.AREA_OF_INTEREST not in analyzer.resolve_features(None)


def test_the_area_of_interest_feature_is_a_valid_result(chelsea_png):
    result = visionkit.analyze(chelsea_png, ["area_of_interest", "metadata"])
    assert_valid_result(result, ["area_of_interest", "metadata"])
    box = result.area_of_interest
    assert box is not None and 0 < box.area < 451 * 300
    assert result.tags is None  # nothing else was computed


def test_a_reduced_decode_reports_the_box_in_the_files_pixels(rocket_jpg):
    """area_of_interest decodes JPEGs at reduced scale; the box is in full-size pixels."""
    from PIL import Image

    analyzer = LocalAnalyzer()
    reduced = analyzer.analyze(rocket_jpg, ["area_of_interest", "metadata"])
    with Image.open(rocket_jpg) as opened:  # an in-memory image is never decoded reduced
        full = analyzer.analyze(opened.convert("RGB"), ["area_of_interest", "metadata"])
    assert (reduced.metadata.width, reduced.metadata.height) == (640, 427)
    assert reduced.area_of_interest is not None and full.area_of_interest is not None
    assert reduced.area_of_interest.iou(full.area_of_interest) > 0.8


@needs_cv2
def test_faces_asked_for_in_the_same_analysis_are_weighted_in(astronaut):
    alone = visionkit.analyze(astronaut, ["area_of_interest"]).area_of_interest
    both = visionkit.analyze(astronaut, ["area_of_interest", "faces"])
    assert both.faces and alone is not None and both.area_of_interest is not None
    assert both.area_of_interest.intersection(ASTRONAUT_FACE) >= 0.9 * ASTRONAUT_FACE.area
    assert both.area_of_interest != alone
    for face in both.faces:  # every found face whole, not cut at the hairline
        assert _holds(both.area_of_interest, face.box)


def test_a_batch_computes_it_per_image(chelsea_png, rocket_jpg):
    analyzer = LocalAnalyzer()
    single = [analyzer.analyze(p, ["area_of_interest"]) for p in (chelsea_png, rocket_jpg)]
    batch = analyzer.analyze_batch([chelsea_png, rocket_jpg], ["area_of_interest"])
    assert [r.area_of_interest for r in batch] == [r.area_of_interest for r in single]


@pytest.mark.parametrize(("width", "height"), [(0, 10), (-3, 10), (10, 4097)])
def test_bad_sizes_fail_before_any_work(chelsea_png, width, height):
    with pytest.raises(visionkit.ThumbnailSizeError, match="between 1 and 4096"):
        visionkit.thumbnail(chelsea_png, width, height)


def test_a_large_jpeg_decodes_reduced_and_reports_the_files_pixels(skimage_data_dir):
    """hubble_deep_field.jpg is 1000x872: a 64x64 thumbnail needs a 128 px short side, so
    the decoder's 1/4 scale is used; the crop is still given in the file's pixels."""
    from PIL import Image

    path = skimage_data_dir / "hubble_deep_field.jpg"
    centre = visionkit.thumbnail(path, 64, 64, smart=False)
    assert centre.crop == centre_window(1000, 872, 1.0) == BoundingBox(64, 0, 872, 872)
    reduced = visionkit.thumbnail(path, 64, 64, thumbnail_faces=False)
    with Image.open(path) as opened:  # in memory: never decoded reduced
        full = visionkit.thumbnail(opened.convert("RGB"), 64, 64, thumbnail_faces=False)
    assert reduced.crop is not None and full.crop is not None
    assert reduced.crop.iou(full.crop) > 0.9
    assert reduced.image().size == (64, 64)

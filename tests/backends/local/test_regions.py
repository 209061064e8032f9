"""Region search: the model's classes found inside real photos, as boxes in the photo's pixels."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from visionkit import Feature, UnsupportedFeatureError
from visionkit.backends.local import LocalAnalyzer, LocalOptions, regions
from visionkit.backends.local.taxonomy import DERIVED_TAGS
from visionkit.results import BoundingBox

CAT = Image.fromarray(skimage.data.chelsea()).crop((60, 0, 360, 300))


def scene(background: str, fraction: float) -> tuple[Image.Image, BoundingBox]:
    """Chelsea pasted into the bottom-right corner of another real photo."""
    canvas = Image.fromarray(getattr(skimage.data, background)()).convert("RGB").resize((640, 480))
    side = int(480 * fraction)
    x, y = 640 - side - 10, 480 - side - 10
    canvas.paste(CAT.resize((side, side)), (x, y))
    return canvas, BoundingBox(x, y, side, side)


@pytest.fixture(scope="module")
def analyzer():
    with LocalAnalyzer(regions=True) as a:
        yield a


@pytest.mark.parametrize("size", [(640, 480), (97, 301), (33, 33), (1, 50)])
def test_windows_cover_the_photo_to_its_edges_and_stay_inside(size):
    width, height = size
    found = regions.windows(width, height)
    for scale in regions.DEFAULT_SCALES:
        side = max(1, round(scale * min(width, height)))
        covered = np.zeros((height, width), bool)
        for w in (w for w in found if w.side == side):
            assert w.x >= 0 and w.x + w.side <= width and w.y >= 0 and w.y + w.side <= height
            covered[w.y : w.y + w.side, w.x : w.x + w.side] = True
        assert covered.all()


def test_crops_are_model_inputs_for_any_photo_size():
    for img in (CAT, CAT.resize((1, 40)), CAT.resize((3000, 17))):
        found = regions.windows(img.width, img.height)
        batch = regions.crops(img, found, 32)
        assert batch.shape == (len(found), 32, 32, 3) and batch.dtype == np.float32
        assert batch.min() >= 0 and batch.max() <= 255


def test_overlapping_finds_of_a_class_merge_and_other_classes_stay():
    names = ("cat", "dog")
    found = [regions.Window(0, 0, 100), regions.Window(10, 10, 100), regions.Window(300, 0, 100)]
    probs = np.array([[0.990, 0.01], [0.999, 0.001], [0.002, 0.998]])
    objects = regions.finds(probs, found, names, 0.98, DERIVED_TAGS)
    assert [(o.name, o.box) for o in objects] == [
        ("cat", BoundingBox(10, 10, 100, 100)),  # the more confident of the two overlapping cats
        ("dog", BoundingBox(300, 0, 100, 100)),
    ]
    assert objects[0].lineage == ("cat", "mammal", "animal")
    assert regions.finds(probs, found, names, 0.9995) == ()


@pytest.mark.parametrize(("background", "fraction"), [("coffee", 0.5), ("astronaut", 0.5)])
def test_a_small_cat_in_a_corner_of_a_real_photo_gets_a_box_around_it(
    analyzer, background, fraction
):
    photo, truth = scene(background, fraction)
    result = analyzer.analyze(photo, ["tags", "objects"])
    cats = [o for o in result.objects if o.name == "cat"]
    assert cats and max(o.box.iou(truth) for o in cats) >= 0.5
    assert all(
        o.box.x >= 0 and o.box.x2 <= photo.width and o.box.y2 <= photo.height
        for o in result.objects
    )


def test_a_photo_of_none_of_the_classes_gets_no_box(analyzer):
    result = analyzer.analyze(Image.fromarray(skimage.data.coffee()), ["objects"])
    assert result.objects == ()


def test_the_batch_path_finds_what_single_calls_find(analyzer):
    photos = [scene("coffee", 0.5)[0], Image.fromarray(skimage.data.coffee())]
    batched = analyzer.analyze_batch(photos, ["objects", "colors"])
    single = [analyzer.analyze(p, ["objects", "colors"]) for p in photos]
    assert [b.objects for b in batched] == [s.objects for s in single]
    assert batched[0].tags is None  # not requested


def test_objects_are_opt_in_and_the_error_says_how_to_turn_them_on():
    assert Feature.OBJECTS not in LocalAnalyzer.capabilities_for(LocalOptions())
    assert Feature.OBJECTS in LocalAnalyzer.capabilities_for(LocalOptions(regions=True))
    with LocalAnalyzer() as plain:
        assert Feature.OBJECTS not in plain.resolve_features(None)
        with pytest.raises(UnsupportedFeatureError, match=r"regions=True"):
            plain.analyze(CAT, ["objects"])


def test_region_threshold_is_checked():
    from visionkit.errors import ConfigError

    with pytest.raises(ConfigError, match="region_threshold"):
        LocalOptions(region_threshold=0)

"""assert_valid_result: passes results that keep the model's promises, names each broken one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from visionkit.features import Feature
from visionkit.results import (
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Caption,
    ColorScheme,
    DetectedObject,
    ImageMetadata,
    ObjectCategory,
    Tag,
    TextLine,
    Word,
    iter_feature_fields,
)
from visionkit.testing import InvalidResultError, assert_valid_result
from visionkit.testing.validators import FEATURE_FIELDS

REQUESTED = ["tags", "objects", "caption", "colors", "text", "metadata"]


def good_result() -> AnalysisResult:
    return AnalysisResult(
        backend="azure",
        metadata=ImageMetadata(width=640, height=480, format="Jpeg"),
        # Deliberately not sorted by confidence: the model promises no order.
        tags=(Tag("outdoor", 0.5), Tag("cat", 0.99, hint="mammal")),
        objects=(
            DetectedObject(
                "cat", 0.9, BoundingBox(0, 0, 640, 480), parent=ObjectCategory("mammal", 0.95)
            ),
        ),
        captions=(Caption("a cat on a lawn", 0.8),),
        colors=ColorScheme("green", "gray", ("green", "gray"), "#4D5E2F", False),
        text=(
            TextLine(
                "CAT",
                ((10.0, 10.0), (60.0, 10.0), (60.0, 30.0), (10.0, 30.0)),
                words=(Word("CAT", ((10.0, 10.0), (60.0, 10.0), (60.0, 30.0), (10.0, 30.0)), 0.7),),
            ),
        ),
        raw={"tags": []},
    )


def problems_of(result: AnalysisResult, requested: list[str] | None = REQUESTED) -> list[str]:
    with pytest.raises(InvalidResultError) as caught:
        assert_valid_result(result, requested_features=requested)
    return caught.value.problems


def test_a_good_result_passes_with_and_without_requested_features() -> None:
    assert_valid_result(good_result(), requested_features=REQUESTED)
    assert_valid_result(good_result())
    assert_valid_result(AnalysisResult(backend="local"))  # nothing asked, nothing known


def test_empty_tuples_mean_looked_and_found_nothing() -> None:
    empty = replace(good_result(), objects=(), text=())
    assert_valid_result(empty, requested_features=REQUESTED)


def test_a_requested_feature_must_not_be_none() -> None:
    assert problems_of(replace(good_result(), objects=None)) == [
        "objects: 'objects' was requested but the result has None"
    ]


def test_a_feature_not_requested_must_be_none() -> None:
    problems = problems_of(good_result(), requested=["tags", "metadata"])
    assert problems == [
        "objects: 'objects' was not requested, so it must be None",
        "captions: 'caption' was not requested, so it must be None",
        "colors: 'colors' was not requested, so it must be None",
        "text: 'text' was not requested, so it must be None",
    ]


def test_boxes_and_polygons_must_lie_inside_the_image() -> None:
    spill = DetectedObject("cat", 0.9, BoundingBox(600, 400, 50, 100))
    line = TextLine("X", ((-3.0, 5.0), (20.0, 5.0), (20.0, 490.0)))
    problems = problems_of(replace(good_result(), objects=(spill,), text=(line,)))
    assert problems == [
        "objects[0].box: box (600, 400, 650, 500) (x1, y1, x2, y2) is outside the 640x480 image",
        "text[0].polygon: vertices [(-3.0, 5.0), (20.0, 490.0)] are outside the 640x480 image",
    ]


def test_geometry_is_not_checked_without_the_image_size() -> None:
    spill = DetectedObject("cat", 0.9, BoundingBox(6000, 4000, 50, 100))
    assert_valid_result(replace(good_result(), metadata=None, objects=(spill,)))


def test_confidences_are_checked_even_when_a_mapper_bypassed_the_constructor() -> None:
    """Constructors reject bad confidences; this catches objects patched after construction."""
    tag = Tag("cat", 0.5)
    object.__setattr__(tag, "confidence", 1.7)
    parent = ObjectCategory("mammal", 0.5)
    object.__setattr__(parent, "confidence", float("nan"))
    thing = DetectedObject("cat", 0.5, BoundingBox(0, 0, 1, 1), parent=parent)
    problems = problems_of(replace(good_result(), tags=(tag,), objects=(thing,)))
    assert problems[:2] == [
        "tags[0].confidence: must be a number in [0, 1], got 1.7",
        "objects[0].parent.confidence: must be a number in [0, 1], got nan",
    ]


def test_a_moderation_score_may_be_none_but_a_flag_needs_a_score() -> None:
    not_reported = AdultScores(0.9, None, None, True, False, False, reporting_threshold=0.5)
    assert_valid_result(replace(good_result(), adult=not_reported), [*REQUESTED, "adult"])
    flagged = AdultScores(0.9, 0.8, None, True, True, False)
    object.__setattr__(flagged, "racy", None)  # as a mapper that bypassed the constructor would
    problems = problems_of(replace(good_result(), adult=flagged), [*REQUESTED, "adult"])
    assert problems[0] == "adult.is_racy: True, but adult.racy is None (not reported)"
    assert "does not load back" in problems[1]  # the constructor refuses it too


def test_colours_must_be_the_documented_names_and_accent_hex() -> None:
    colors = ColorScheme("grey", "Green", ("green", "mauve"), "4D5E2F", False)
    assert problems_of(replace(good_result(), colors=colors)) == [
        "colors.dominant_foreground: 'grey' is not one of black, blue, brown, gray, green, "
        "orange, pink, purple, red, teal, white, yellow",
        "colors.dominant_background: 'Green' is not one of black, blue, brown, gray, green, "
        "orange, pink, purple, red, teal, white, yellow",
        "colors.dominant_colors[1]: 'mauve' is not one of black, blue, brown, gray, green, "
        "orange, pink, purple, red, teal, white, yellow",
        "colors.accent_color: '4D5E2F' is not '#RRGGBB'",
    ]


def test_the_result_must_survive_a_json_round_trip() -> None:
    not_json = replace(good_result(), raw={"when": object()})
    assert problems_of(not_json) == [
        "to_json: the result is not JSON-serialisable "
        "(Object of type object is not JSON serializable)"
    ]
    lossy = replace(good_result(), tags=[Tag("cat", 0.9)])  # type: ignore[arg-type]
    assert problems_of(lossy) == [
        "JSON round trip: fields tags differ after to_json/from_dict",
    ]


def test_every_problem_is_reported_at_once() -> None:
    broken = replace(
        good_result(),
        objects=None,
        colors=ColorScheme(None, None, (), "blue", False),
        metadata=ImageMetadata(0, 480),
    )
    with pytest.raises(InvalidResultError, match=r"breaks 3 invariant\(s\)") as caught:
        assert_valid_result(broken, requested_features=REQUESTED)
    assert len(caught.value.problems) == 3


def test_only_results_are_accepted() -> None:
    with pytest.raises(InvalidResultError, match="expected an AnalysisResult, got dict"):
        assert_valid_result({"backend": "azure"})  # type: ignore[arg-type]


def test_every_feature_maps_to_a_result_field() -> None:
    assert sorted(FEATURE_FIELDS.values()) == sorted(iter_feature_fields())
    assert FEATURE_FIELDS[Feature.CAPTION] == "captions"


def test_area_of_interest_must_lie_inside_the_image_and_not_be_empty():
    # The box of Azure's published SuccessfulGetAreaOfInterestWithUrl, in its 1378x951 photo.
    meta = ImageMetadata(width=1378, height=951, format="Jpeg")
    good = AnalysisResult(
        backend="azure", metadata=meta, area_of_interest=BoundingBox(160, 0, 950, 951)
    )
    assert_valid_result(good, ["area_of_interest", "metadata"])
    outside = replace(good, area_of_interest=BoundingBox(600, 0, 950, 951))
    with pytest.raises(InvalidResultError, match=r"area_of_interest: box .* outside the 1378x951"):
        assert_valid_result(outside)
    empty = replace(good, area_of_interest=BoundingBox(160, 0, 0, 951))
    with pytest.raises(InvalidResultError, match=r"area_of_interest: .* is empty"):
        assert_valid_result(empty)
    with pytest.raises(InvalidResultError, match="'area_of_interest' was not requested"):
        assert_valid_result(good, ["metadata"])

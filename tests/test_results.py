import json

import pytest
from factories import full_result

from visionkit.results import (
    SCHEMA_VERSION,
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Caption,
    DetectedObject,
    ImageType,
    Landmark,
    ObjectCategory,
    Tag,
    Word,
)


def test_json_round_trip_is_lossless():
    result = full_result()
    text = result.to_json()
    back = AnalysisResult.from_json(text)
    assert back == result
    assert back.raw == result.raw
    assert back.to_dict() == result.to_dict()
    assert json.loads(text)["schema"] == SCHEMA_VERSION


def test_area_of_interest_round_trips_and_version_1_json_still_loads():
    result = full_result()
    assert result.area_of_interest is not None
    assert AnalysisResult.from_json(result.to_json()).area_of_interest == result.area_of_interest
    # A dict written by visionkit.result/1 has no area_of_interest key: not requested.
    old = result.to_dict()
    del old["area_of_interest"]
    old["schema"] = "visionkit.result/1"
    back = AnalysisResult.from_dict(old)
    assert back.area_of_interest is None
    assert back.tags == result.tags


def test_none_and_empty_survive_round_trip_distinctly():
    result = AnalysisResult(backend="local", tags=(), objects=None)
    data = result.to_dict()
    assert data["tags"] == []
    assert data["objects"] is None
    back = AnalysisResult.from_dict(data)
    assert back.tags == ()
    assert back.objects is None


def test_from_dict_rejects_unknown_keys_and_schema():
    data = full_result().to_dict()
    data["tags"][0]["colour"] = "red"
    with pytest.raises(ValueError, match="Unknown keys for Tag"):
        AnalysisResult.from_dict(data)
    with pytest.raises(ValueError, match="Unsupported result schema"):
        AnalysisResult.from_dict({"schema": "visionkit.result/99", "backend": "x"})


def test_raw_and_timing_are_left_out_of_equality_and_hash():
    a = AnalysisResult(backend="x", tags=(Tag("cat", 0.5),), raw={"a": 1}, elapsed_s=0.1)
    b = AnalysisResult(backend="x", tags=(Tag("cat", 0.5),), raw={"b": 2}, elapsed_s=2.0)
    assert a == b
    assert hash(a) == hash(b)


def test_results_are_frozen():
    result = full_result()
    with pytest.raises(AttributeError):
        result.backend = "local"  # type: ignore[misc]


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan")])
def test_confidence_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ValueError, match="confidence"):
        Tag("cat", bad)


def test_top_tag_tags_above_and_caption():
    result = full_result()
    assert result.top_tag == Tag("person", 0.98979085683822632)
    assert [t.name for t in result.tags_above(0.8)] == ["person"]
    assert result.caption is not None and result.caption.text.startswith("Satya")
    assert AnalysisResult(backend="x").top_tag is None
    assert AnalysisResult(backend="x", tags=()).tags_above(0.1) == ()


def test_summary_mentions_caption_objects_faces_and_size():
    line = full_result().summary()
    assert line.startswith("[azure 1500x1000]")
    assert "Satya Nadella sitting on a bench" in line
    assert "1 object" in line and "1 face" in line and "1 line of text" in line
    assert AnalysisResult(backend="local", tags=()).summary() == "[local] nothing found"


def test_full_text_joins_lines():
    assert full_result().full_text == "Our Tablet"
    assert AnalysisResult(backend="x").full_text is None


def test_object_lineage_follows_parent_chain():
    obj = DetectedObject(
        "dog",
        0.9,
        BoundingBox(1, 2, 3, 4),
        ObjectCategory("mammal", 0.8, ObjectCategory("animal", 0.9)),
    )
    assert obj.lineage == ("dog", "mammal", "animal")


class TestBoundingBox:
    def test_conversions(self):
        box = BoundingBox(10, 20, 30, 40)
        assert box.xyxy == (10, 20, 40, 60)
        assert box.area == 1200
        assert box.center == (25.0, 40.0)
        assert box.normalized(100, 200) == (0.1, 0.1, 0.3, 0.2)
        assert box.normalized_xyxy(100, 200) == (0.1, 0.1, 0.4, 0.3)

    def test_constructors_round_trip(self):
        box = BoundingBox(10, 20, 30, 40)
        assert BoundingBox.from_xyxy(*box.xyxy) == box
        assert BoundingBox.from_normalized(*box.normalized(100, 200), 100, 200) == box
        assert BoundingBox.from_polygon(((10, 20), (40, 20), (40, 60), (10, 60))) == box

    def test_iou(self):
        a = BoundingBox(0, 0, 10, 10)
        assert a.iou(a) == 1.0
        assert a.iou(BoundingBox(20, 20, 5, 5)) == 0.0
        assert a.iou(BoundingBox(5, 0, 10, 10)) == pytest.approx(50 / 150)

    def test_clip_and_validation(self):
        assert BoundingBox(-5, 90, 20, 20).clip(100, 100) == BoundingBox(0, 90, 15, 10)
        with pytest.raises(ValueError, match="negative"):
            BoundingBox(0, 0, -1, 3)
        with pytest.raises(ValueError, match="positive"):
            BoundingBox(0, 0, 1, 1).normalized(0, 10)


def test_image_type_and_adult_ranges_are_checked():
    with pytest.raises(ValueError, match="ImageType out of range"):
        ImageType(4, 0)
    with pytest.raises(ValueError, match=r"AdultScores.adult must be in \[0, 1\]"):
        AdultScores(1.5, 0, 0, True, False, False)
    with pytest.raises(ValueError, match=r"AdultScores.reporting_threshold must be in \[0, 1\]"):
        AdultScores(None, None, None, False, False, False, reporting_threshold=50.0)


def test_a_score_not_reported_is_none_and_cannot_be_flagged():
    below = AdultScores(0.99, None, None, True, False, False, reporting_threshold=0.5)
    assert below.scores() == {"adult": 0.99, "racy": None, "gore": None}
    with pytest.raises(ValueError, match="is_racy is True but racy has no score"):
        AdultScores(0.99, None, None, True, True, False)


def test_none_adult_scores_and_the_threshold_survive_the_round_trip():
    adult = AdultScores(0.99, None, None, True, False, False, reporting_threshold=0.5)
    result = AnalysisResult(backend="aws", adult=adult)
    data = json.loads(result.to_json())
    assert data["schema"] == "visionkit.result/3"
    assert data["adult"]["racy"] is None and data["adult"]["reporting_threshold"] == 0.5
    assert AnalysisResult.from_dict(data) == result


def test_version_1_json_still_loads():
    """A version-1 document: every adult score a number, no reporting_threshold key."""
    data = full_result().to_dict()
    del data["adult"]["reporting_threshold"]
    data["schema"] = "visionkit.result/1"
    back = AnalysisResult.from_dict(data)
    assert back == full_result()
    assert back.adult is not None and back.adult.reporting_threshold is None


@pytest.mark.parametrize("name", [None, 5, b"dog", ["dog"]])
def test_a_name_that_is_not_text_is_refused(name):
    # Mappers build these from services' answers: the model is the last line of defence.
    with pytest.raises(TypeError, match=r"Tag\.name must be a str"):
        Tag(name, 0.5)
    with pytest.raises(TypeError, match=r"Landmark\.name must be a str"):
        Landmark(name, 0.5)


def test_blank_names_are_refused_but_empty_text_is_allowed():
    with pytest.raises(ValueError, match="must not be blank"):
        Tag(" ", 0.5)
    assert Caption("", 0.5).text == ""  # OCR and captions may legitimately be empty
    with pytest.raises(TypeError, match=r"Word\.text"):
        Word(None, ())

from __future__ import annotations

import math

import pytest

from visionkit.backends.aws import mapping
from visionkit.errors import BackendError

from .conftest import load, wire_body

PEOPLE = "carbon-amazon/DetectLabelsResultTests.A.general_labels_and_image_properties.json"
HORSES = "carbon-amazon/DetectLabelsResultTests.CanDeserialize.horses.json"


def test_every_instance_of_every_label_is_an_object_with_its_parent_chain():
    body = wire_body(HORSES)
    objects = mapping.objects(body, 1000, 800)
    assert [o.name for o in objects] == ["Horse", "Horse"]
    assert objects[0].lineage == ("Horse", "Mammal", "Animal")
    people = mapping.objects(wire_body(PEOPLE), 640, 480)
    instances = sum(len(lab.get("Instances", [])) for lab in wire_body(PEOPLE)["Labels"])
    assert len(people) == instances
    for o in people:
        assert 0 <= o.box.x <= o.box.x2 <= 640 and 0 <= o.box.y <= o.box.y2 <= 480


def test_boxes_outside_the_image_are_clipped():
    box = mapping.ratio_box({"Left": -0.1, "Top": 0.5, "Width": 1.3, "Height": 0.7}, 200, 100)
    assert box is not None and box.xyxy == (0, 50, 200, 100)
    assert mapping.ratio_box({"Left": math.nan, "Top": 0, "Width": 1, "Height": 1}, 9, 9) is None


def test_confidences_are_divided_and_validated():
    assert mapping.score(97.5) == pytest.approx(0.975)
    assert mapping.score(100.0004) == 1.0
    assert mapping.score(150) is None and mapping.score(math.nan) is None
    assert mapping.score(True) is None


def test_2017_labels_without_parents_or_instances():
    body = wire_body("cloudy_vision/collie.jpg.rekognition.json")
    assert [t.name for t in mapping.tags(body)] == [
        "Animal",
        "Canine",
        "Collie",
        "Dog",
        "Mammal",
        "Pet",
    ]
    assert mapping.objects(body, 1200, 1600) == ()
    assert mapping.categories(body) == ()


def test_categories_and_colours_from_image_properties():
    body = wire_body(PEOPLE)
    names = [c.name for c in mapping.categories(body)]
    assert names[0] == "Apparel and Accessories" and "Person Description" in names
    colors = mapping.colors(body)
    assert colors is not None
    assert colors.dominant_foreground == "black"
    assert colors.dominant_colors[1] == "black"
    assert colors.accent_color is None and not colors.is_black_and_white


def test_text_lines_hold_their_words_once():
    lines = mapping.text_lines(load("docs-examples/DetectText.response.json"), 1000, 500)
    assert [line.text for line in lines] == ["IT'S", "I", "MONDAY", "but keep", "Smiling"]
    assert [w.text for w in lines[3].words] == ["but", "keep"]
    assert sum(len(line.words) for line in lines) == 6


def test_faces_from_both_captures():
    guide = mapping.faces(load("docs-examples/DetectFaces.response.json"), 600, 400)
    eden = mapping.faces(wire_body("edenai/face_detection_output.json"), 600, 400)
    assert len(guide) == 1 and len(eden) == 1
    assert guide[0].confidence == pytest.approx(0.9999995422363281)


def test_moderation_v6_and_v7_taxonomies():
    v6 = mapping.adult(load("docs-examples/DetectModerationLabels.response.json"), 0.6)
    assert v6.adult == pytest.approx(0.9924723052978516) and v6.is_adult
    # No racy label came back: below the threshold sent, not a measured 0, and not flagged.
    assert v6.racy is None and not v6.is_racy
    assert v6.reporting_threshold == 0.6
    gore = mapping.adult(wire_body("edenai/explicit_content_output.b10a95d3.json"), 0.5)
    assert gore.gore == pytest.approx(0.9282218933105468) and gore.is_gory
    smoking = mapping.adult(load("docs-examples/DetectModerationLabels.v7.response.json"), 0.5)
    assert smoking.scores() == {"adult": None, "racy": None, "gore": None}
    assert not (smoking.is_adult or smoking.is_racy or smoking.is_gory)


def test_celebrities_hand_made():
    body = load("hand-made/RecognizeCelebrities.response.json")["body"]
    found = mapping.celebrities(body, 1000, 500)
    assert [c.name for c in found] == ["Test Person One"]
    assert found[0].box is not None and found[0].box.x2 == 1000


def test_every_field_read_exists_in_the_api_model():
    shapes = load("botocore/service-2.json")["shapes"]
    for shape, members in {
        "Label": ["Name", "Confidence", "Instances", "Parents", "Categories"],
        "Instance": ["BoundingBox", "Confidence"],
        "DominantColor": ["Red", "Green", "Blue", "PixelPercent"],
        "TextDetection": ["DetectedText", "Type", "Id", "ParentId", "Confidence", "Geometry"],
        "ModerationLabel": ["Name", "Confidence", "ParentName"],
        "Celebrity": ["Name", "MatchConfidence", "Face"],
        "FaceDetail": ["BoundingBox", "Confidence"],
    }.items():
        assert set(members) <= set(shapes[shape]["members"]), shape


def test_a_nested_list_of_the_wrong_type_is_a_backend_error_not_found_nothing(caplog):
    from visionkit.backends.aws.mapping import _list

    with pytest.raises(BackendError, match="'Instances' as a str"):
        _list("x", "Instances")
    assert _list(None, "Instances") == []
    with caplog.at_level("WARNING", logger="visionkit.backends.aws"):
        assert _list([{"a": 1}, None, 3], "Parents") == [{"a": 1}]
    assert "Dropped 2 of the 3 entries of Parents" in caplog.text

"""The mapper against real recorded answers, and against answers no service should send."""

from __future__ import annotations

import math

import pytest

from visionkit.backends.google import mapping
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.results import BoundingBox, ImageMetadata
from visionkit.testing import assert_valid_result

from .conftest import CLOUDY_SIZES, bicycle, cloudy, edenai, hand_made, load

F = Feature
_KEY_FEATURES = {
    "labelAnnotations": F.TAGS,
    "localizedObjectAnnotations": F.OBJECTS,
    "faceAnnotations": F.FACES,
    "textAnnotations": F.TEXT,
    "safeSearchAnnotation": F.ADULT,
    "imagePropertiesAnnotation": F.COLORS,
    "logoAnnotations": F.BRANDS,
    "landmarkAnnotations": F.LANDMARKS,
}


def _result(response, features, size):
    meta = ImageMetadata(*size, "JPEG")
    return mapping.analysis_result(response, frozenset(features), metadata=meta, raw=response)


@pytest.mark.parametrize("image", sorted(CLOUDY_SIZES))
def test_every_2017_recording_maps_to_a_valid_result(image):
    response = cloudy(image)
    features = {_KEY_FEATURES[k] for k in response} | {F.METADATA}
    result = _result(response, features, CLOUDY_SIZES[image])
    assert_valid_result(result, features)
    assert [t.name for t in result.tags] == [a["description"] for a in response["labelAnnotations"]]
    assert [t.confidence for t in result.tags] == [a["score"] for a in response["labelAnnotations"]]
    # 2017 answers have no racy: unknown is None for that score alone, never a made-up 0.
    assert "racy" not in response["safeSearchAnnotation"]
    assert result.adult.racy is None and not result.adult.is_racy
    assert result.adult.adult == mapping.likelihood(response["safeSearchAnnotation"]["adult"])
    assert result.adult.gore == mapping.likelihood(response["safeSearchAnnotation"]["violence"])
    if "logoAnnotations" in response:
        assert len(result.brands) == len(response["logoAnnotations"])


def test_logos_without_mid_are_kept_and_boxes_lie_in_the_image():
    response = cloudy("mona_lisa.jpg")
    assert any("mid" not in logo for logo in response["logoAnnotations"])
    brands = mapping.brands(response, CLOUDY_SIZES["mona_lisa.jpg"])
    assert [b.name for b in brands] == [a["description"] for a in response["logoAnnotations"]]
    assert all(b.box is not None and b.box.x2 <= 604 and b.box.y2 <= 900 for b in brands)


def test_a_face_box_is_the_tight_fd_bounding_poly_and_omitted_zeros_are_zero():
    response = edenai("face_detection_output")
    (face,) = mapping.faces(response, (225, 225))
    assert face.box == BoundingBox(77, 29, 127, 136)  # fdBoundingPoly, not boundingPoly
    assert face.confidence == response["faceAnnotations"][0]["detectionConfidence"]
    # boundingPoly's first vertex is {"x": 55}: y = 0 was omitted, not missing.
    loose = mapping.pixel_box(response["faceAnnotations"][0]["boundingPoly"], (225, 225))
    assert loose == BoundingBox(55, 0, 161, 182)


def test_two_faces_of_a_2017_recording():
    response = cloudy("cheering_my_popinlaw.jpg")
    faces = mapping.faces(response, CLOUDY_SIZES["cheering_my_popinlaw.jpg"])
    assert len(faces) == 2
    for face, raw in zip(faces, response["faceAnnotations"], strict=True):
        xs = [v.get("x", 0) for v in raw["fdBoundingPoly"]["vertices"]]
        assert face.box.x == min(xs) and face.box.x2 == max(xs)


def test_safe_search_with_string_enums():
    scores = mapping.adult(edenai("explicit_content_output.f52d7959"))
    # adult VERY_UNLIKELY, racy VERY_UNLIKELY, violence LIKELY
    assert (scores.adult, scores.racy, scores.gore) == (0.1, 0.1, 0.7)
    assert (scores.is_adult, scores.is_racy, scores.is_gory) == (False, False, True)


def test_safe_search_with_proto_int_enums_reads_the_same():
    ints = {
        "safeSearchAnnotation": {"adult": 1, "spoof": 1, "medical": 2, "violence": 4, "racy": 1}
    }
    strings = edenai("explicit_content_output.f52d7959")
    assert mapping.adult(ints) == mapping.adult(strings)


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("UNKNOWN", None),
        (0, None),
        ("VERY_UNLIKELY", 0.1),
        ("UNLIKELY", 0.3),
        ("POSSIBLE", 0.5),
        ("LIKELY", 0.7),
        (5, 0.9),
        (None, None),
        ("SOMEWHAT", None),
        (True, None),
        (9, None),
    ],
)
def test_likelihood_scores_are_the_documented_ones(value, score):
    assert mapping.likelihood(value) == score


def test_an_unknown_likelihood_is_none_for_that_score_only():
    response = {
        "safeSearchAnnotation": {"adult": "UNKNOWN", "racy": "LIKELY", "violence": "LIKELY"}
    }
    scores = mapping.adult(response)
    assert scores.scores() == {"adult": None, "racy": 0.7, "gore": 0.7}
    assert (scores.is_adult, scores.is_racy, scores.is_gory) == (False, True, True)
    assert scores.reporting_threshold is None  # unknown, not "below a threshold"


def test_no_logo_found_is_an_empty_tuple():
    response = edenai("logo_detection_output")
    assert response == {}
    result = _result(response, {F.BRANDS}, (300, 300))
    assert result.brands == ()


def test_landmarks_from_the_client_librarys_snake_case_dicts():
    landmarks = mapping.landmarks(edenai("landmark_detection_output"), (500, 500))
    assert landmarks[0].name == "Saint Basil's Cathedral"
    assert landmarks[0].confidence == pytest.approx(0.92191577)
    assert landmarks[0].box == BoundingBox(73, 175, 337, 229)
    assert len(landmarks) == len(load("edenai/landmark_detection_output.json")["original_response"])


def test_objects_scale_normalised_vertices_by_the_size_sent():
    objects = mapping.objects(bicycle(), (1000, 500))
    assert [o.name for o in objects] == ["Bicycle wheel", "Bicycle wheel"]
    # x 0.31524897..0.44186485, y 0.78658724..0.9692919
    assert objects[0].box == BoundingBox(315, 393, 127, 92)
    assert objects[0].parent is None
    result = _result(bicycle(), {F.TAGS, F.OBJECTS}, (1000, 500))
    assert_valid_result(result, {F.TAGS, F.OBJECTS})
    assert result.top_tag.name == "Bicycle"


def test_ocr_lines_rebuilt_from_full_text_match_googles_own_text():
    response = edenai("ocr_output")
    size = (336, 484)  # fullTextAnnotation.pages[0]
    assert (response["fullTextAnnotation"]["pages"][0]["width"], 484) == size
    result = _result(response, {F.TEXT, F.METADATA}, size)
    assert_valid_result(result, {F.TEXT, F.METADATA})
    google_lines = [
        line.strip() for line in response["fullTextAnnotation"]["text"].split("\n") if line.strip()
    ]
    assert [line.text for line in result.text] == google_lines
    words = sum(len(line.words) for line in result.text)
    assert words == len(response["textAnnotations"]) - 1
    # The first word's vertices have y = -2: clamped into the image.
    assert result.text[0].words[0].polygon[0][1] == 0.0


def test_ocr_without_full_text_falls_back_to_text_annotations():
    response = edenai("ocr_output")
    del response["fullTextAnnotation"]
    lines = mapping.text(response, (336, 484))
    expected = [
        line.strip()
        for line in response["textAnnotations"][0]["description"].split("\n")
        if line.strip()
    ]
    assert [line.text for line in lines] == expected
    assert sum(len(line.words) for line in lines) == len(response["textAnnotations"]) - 1


def test_colours_are_named_from_0_255_channels_with_omitted_zeros():
    (response,) = hand_made("200-image-properties-crop-hints")["body"]["responses"]
    colors = mapping.colors(response)
    assert colors.dominant_foreground is None and colors.dominant_background is None
    # (201, 196, 186) is a light warm grey, (34, 102, 51) green, (120, 120, 120) grey.
    assert colors.dominant_colors[0] in ("white", "gray")
    assert "green" in colors.dominant_colors
    assert colors.accent_color == "#226633"  # the most vivid: score x chroma
    assert colors.is_black_and_white is False
    result = _result(response, {F.COLORS}, (800, 1000))
    assert_valid_result(result, {F.COLORS})


def test_grey_only_colours_are_black_and_white():
    response = {
        "imagePropertiesAnnotation": {
            "dominantColors": {
                "colors": [
                    {
                        "color": {"red": 20, "green": 20, "blue": 20},
                        "score": 0.6,
                        "pixelFraction": 0.6,
                    },
                    {
                        "color": {"red": 230, "green": 230, "blue": 230},
                        "score": 0.4,
                        "pixelFraction": 0.4,
                    },
                ]
            }
        }
    }
    colors = mapping.colors(response)
    assert colors.is_black_and_white is True
    assert colors.dominant_colors == ("black", "white")


def test_crop_hint_with_omitted_zeros():
    (response,) = hand_made("200-image-properties-crop-hints")["body"]["responses"]
    assert mapping.crop_hint(response, (800, 1000)) == BoundingBox(0, 0, 749, 939)
    assert mapping.crop_hint({}, (800, 1000)) is None


def test_looked_and_found_nothing_is_empty_for_every_feature():
    features = frozenset(mapping_features := set(_KEY_FEATURES.values()) | {F.METADATA})
    result = _result({}, mapping_features, (100, 100))
    assert_valid_result(result, features)
    for feature in features - {F.ADULT, F.COLORS, F.METADATA}:
        assert getattr(result, feature.value) == (), feature
    assert result.colors.dominant_colors == ()
    # No likelihoods: asked for, nothing reported; each score unknown, not 0.
    assert result.adult.scores() == {"adult": None, "racy": None, "gore": None}


def test_hostile_answer_maps_to_a_valid_result():
    (response,) = hand_made("200-hostile")["body"]["responses"]
    features = {F.TAGS, F.OBJECTS, F.FACES, F.ADULT, F.BRANDS, F.TEXT, F.METADATA}
    # A section that is no list is a wrong shape, not "found nothing".
    with pytest.raises(BackendError, match="logoAnnotations"):
        _result(response, features, (640, 480))
    response = {**response, "logoAnnotations": []}
    result = _result(response, features, (640, 480))
    assert [t.name for t in result.tags] == ["ok"]
    assert [o.box for o in result.objects] == [BoundingBox(0, 0, 640, 480)]
    assert [f.box for f in result.faces] == [BoundingBox(0, 0, 640, 480)]
    assert result.faces[0].confidence == 1.0  # float noise clamped
    assert None in result.adult.scores().values()  # "SOMEWHAT" is no likelihood
    assert result.brands == ()
    assert result.text == ()
    assert_valid_result(result, features)


def test_nan_and_infinite_numbers_are_dropped():
    response = {
        "labelAnnotations": [
            {"description": "a", "score": math.nan},
            {"description": "b", "score": 0.4},
        ],
        "faceAnnotations": [{"fdBoundingPoly": {"vertices": [{"x": math.inf}, {"x": 3, "y": 3}]}}],
    }
    assert [t.name for t in mapping.tags(response)] == ["b"]
    assert mapping.faces(response, (10, 10)) == ()


def test_objects_cannot_be_placed_without_the_image_size():
    with pytest.raises(ValueError, match="size"):
        mapping.analysis_result(bicycle(), frozenset({F.OBJECTS}), metadata=None)


def test_every_field_the_mapper_reads_is_in_the_discovery_document():
    schemas = load("spec/vision.v1.json")["schemas"]
    read = {
        "GoogleCloudVisionV1p1beta1AnnotateImageResponse": [
            *_KEY_FEATURES,
            "fullTextAnnotation",
            "cropHintsAnnotation",
            "error",
        ],
        "EntityAnnotation": ["description", "score", "topicality", "boundingPoly", "mid"],
        "LocalizedObjectAnnotation": ["name", "score", "boundingPoly"],
        "FaceAnnotation": ["fdBoundingPoly", "boundingPoly", "detectionConfidence"],
        "SafeSearchAnnotation": ["adult", "racy", "violence"],
        "ColorInfo": ["color", "score", "pixelFraction"],
        "Color": ["red", "green", "blue"],
        "BoundingPoly": ["vertices", "normalizedVertices"],
        "Vertex": ["x", "y"],
        "TextAnnotation": ["pages", "text"],
        "Word": ["symbols", "boundingBox", "confidence"],
        "Symbol": ["text", "property"],
        "DetectedBreak": ["type"],
        "CropHint": ["boundingPoly"],
        "AnnotateImageResponse": [*_KEY_FEATURES, "fullTextAnnotation", "error"],
    }
    for schema, names in read.items():
        if schema not in schemas:
            continue  # the v1p1beta1 name is only a fallback check
        missing = [n for n in names if n not in schemas[schema]["properties"]]
        assert not missing, (schema, missing)
    assert "AnnotateImageResponse" in schemas
    breaks = schemas["DetectedBreak"]["properties"]["type"]["enum"]
    assert {"SPACE", "SURE_SPACE", "EOL_SURE_SPACE", "HYPHEN", "LINE_BREAK"} <= set(breaks)
    likelihoods = schemas["SafeSearchAnnotation"]["properties"]["adult"]["enum"]
    assert likelihoods == list(mapping.LIKELIHOOD_SCORES)

from __future__ import annotations

import pytest
from azure.cognitiveservices.vision.computervision.models import ImageAnalysis

from visionkit.backends.azure import from_sdk, mapping
from visionkit.features import Feature
from visionkit.results import AnalysisResult, BoundingBox, ObjectCategory

from .conftest import analyze_bodies, assert_invariants, dotnet_entries, spec_example

ALL = frozenset(Feature) - {Feature.TEXT}


def _map(body) -> AnalysisResult:
    return mapping.analysis_result(mapping.parse_analysis(body), raw=body)


@pytest.mark.parametrize(("name", "body"), list(analyze_bodies()), ids=lambda v: str(v)[:40])
def test_every_recorded_answer_maps_and_holds_the_invariants(name, body):
    result = _map(body)
    returned = {
        Feature.TAGS: "tags",
        Feature.CAPTION: "description",
        Feature.OBJECTS: "objects",
        Feature.COLORS: "color",
        Feature.ADULT: "adult",
        Feature.IMAGE_TYPE: "imageType",
        Feature.FACES: "faces",
        Feature.BRANDS: "brands",
        Feature.CATEGORIES: "categories",
        Feature.CELEBRITIES: "categories",
        Feature.LANDMARKS: "categories",
        Feature.METADATA: "metadata",
    }
    present = {feature for feature, key in returned.items() if key in body}
    meta = body["metadata"]
    assert_invariants(result, present, size=(meta["width"], meta["height"]))
    assert result.raw is body


class TestFullAnswer:
    """Microsoft's published example that exercises every visual feature."""

    @pytest.fixture
    def result(self) -> AnalysisResult:
        return _map(spec_example("SuccessfulAnalyzeImageWithUrl"))

    def test_tags_keep_their_hint(self, result):
        assert result.tags is not None and len(result.tags) == 5
        assert result.tags[0].name == "person"
        assert result.tags[0].confidence == pytest.approx(0.98979085683822632)
        assert result.tags[-1].hint == "mammal"
        assert result.tags[0].hint is None

    def test_captions(self, result):
        assert result.caption is not None
        assert result.caption.text == "Satya Nadella sitting on a bench"

    def test_objects_with_their_parent_chain(self, result):
        (tree,) = result.objects or ()
        assert tree.box == BoundingBox(0, 0, 50, 50)
        assert tree.parent == ObjectCategory("plant", 0.95)
        assert tree.lineage == ("tree", "plant")

    def test_colours_are_lower_case_and_accent_is_hex(self, result):
        colors = result.colors
        assert colors is not None
        assert colors.dominant_foreground == "brown"
        assert colors.dominant_colors == ("brown", "black")
        assert colors.accent_color == "#873B59"
        assert colors.is_black_and_white is False

    def test_adult_scores_and_verdicts(self, result):
        adult = result.adult
        assert adult is not None
        assert adult.adult == pytest.approx(0.0934349000453949)
        assert adult.gore == pytest.approx(0.012872257380997575)
        assert (adult.is_adult, adult.is_racy, adult.is_gory) == (False, False, False)

    def test_image_type_faces_brands(self, result):
        assert (result.image_type.clip_art, result.image_type.line_drawing) == (0, 0)
        (face,) = result.faces or ()
        assert face.box == BoundingBox(593, 160, 250, 250)
        assert (face.age, face.gender) == (44, "male")
        assert [(b.name, b.box) for b in result.brands or ()] == [
            ("Pepsi", BoundingBox(489, 79, 161, 177)),
            ("Coca-Cola", BoundingBox(216, 55, 171, 372)),
        ]

    def test_categories_celebrities_and_landmarks_from_details(self, result):
        assert [c.name for c in result.categories or ()] == ["abstract_", "people_", "building_"]
        (satya,) = result.celebrities or ()
        assert (satya.name, satya.box) == ("Satya Nadella", BoundingBox(597, 162, 248, 248))
        (city,) = result.landmarks or ()
        assert (city.name, city.box) == ("Forbidden City", None)

    def test_metadata_request_id_model_version(self, result):
        assert (result.metadata.width, result.metadata.height) == (1500, 1000)
        assert result.metadata.format == "JPEG"
        assert result.request_id == "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d"
        assert result.model_version == "2021-04-01"

    def test_round_trips_through_visionkit_json(self, result):
        assert AnalysisResult.from_json(result.to_json()) == result


class TestRealServiceQuirks:
    def test_is_bw_img_spelling_of_the_live_service_is_read(self):
        body = {"color": {"dominantColors": [], "isBwImg": True}}
        parsed = mapping.parse_analysis(body)
        assert parsed.color.is_bw_img is None  # what the SDK model drops...
        assert mapping.colors(parsed.color).is_black_and_white is True  # ...and we keep

    def test_documented_spelling_wins_when_both_are_sent(self):
        body = {"color": {"dominantColors": [], "isBWImg": False, "isBwImg": False}}
        assert mapping.colors(mapping.parse_analysis(body).color).is_black_and_white is False

    def test_docs_capture_grey_and_empty_landmark_detail(self):
        from .conftest import pair

        result = _map(pair("javascript-analyze__Shaki_waterfall"))
        assert result.colors.dominant_foreground == "gray"
        assert result.colors.accent_color == "#4D5E2F"
        assert result.landmarks == ()  # looked, found nothing
        assert result.celebrities == ()
        assert result.tags is None  # not in this answer

    def test_the_same_celebrity_under_two_categories_is_reported_once(self):
        satya = {
            "name": "Satya Nadella",
            "confidence": 0.99,
            "faceRectangle": {"left": 1, "top": 2, "width": 3, "height": 4},
        }
        body = {
            "categories": [
                {"name": "people_", "score": 0.5, "detail": {"celebrities": [satya]}},
                {"name": "people_portrait", "score": 0.4, "detail": {"celebrities": [satya]}},
            ]
        }
        assert len(mapping.celebrities(mapping.parse_analysis(body)) or ()) == 1

    def test_read_model_version_spelling_of_the_live_service(self):
        body = {"status": "succeeded", "analyzeResult": {"model-version": "2022-04-30"}}
        assert mapping.read_model_version(mapping.parse_read(body)) == "2022-04-30"


class TestRead:
    def test_lines_words_and_polygons(self):
        operation = mapping.parse_read(spec_example("SuccessfulGetReadResult"))
        assert mapping.read_status(operation) == "succeeded"
        lines = mapping.text_lines(operation)
        assert [line.text for line in lines] == [
            "Our greatest glory is not",
            "but in rising every time we fall",
            "Viva la vida",
            "in never failing ,",
        ]
        first = lines[0]
        assert first.polygon == ((202, 618), (2047, 643), (2046, 840), (200, 813))
        assert first.box == BoundingBox(200, 618, 1847, 222)
        assert first.confidence is None
        assert [w.text for w in first.words] == ["Our", "greatest", "glory", "is", "not"]
        assert first.words[0].confidence == pytest.approx(0.164)
        assert mapping.read_model_version(operation) == "2021-04-12"

    def test_status_casing_of_the_recorded_service(self):
        running = dotnet_entries("BatchReadFileInStreamTest")[1]["ResponseBody"]
        import json

        assert mapping.read_status(mapping.parse_read(json.loads(running))) == "running"

    def test_no_result_yet_means_no_lines(self):
        assert mapping.text_lines(mapping.parse_read({"status": "running"})) == ()


class TestFromSdk:
    def test_same_result_as_the_json_path(self):
        body = spec_example("SuccessfulAnalyzeImageWithUrl")
        analysis = mapping.parse_analysis(body)
        assert isinstance(analysis, ImageAnalysis)
        assert from_sdk(analysis) == _map(body)

    def test_raw_is_the_service_json_again(self):
        body = spec_example("SuccessfulAnalyzeImageWithUrl")
        raw = from_sdk(mapping.parse_analysis(body)).raw["analyze"]
        assert raw["brands"] == body["brands"]
        assert raw["categories"][1] == body["categories"][1]

    def test_a_hand_built_sdk_object(self):
        from azure.cognitiveservices.vision.computervision.models import ImageTag

        result = from_sdk(ImageAnalysis(tags=[ImageTag(name="cat", confidence=0.9)]))
        assert [(t.name, t.confidence) for t in result.tags or ()] == [("cat", 0.9)]
        assert result.objects is None and result.backend == "azure"


def test_confidence_float_noise_is_clamped():
    body = {"tags": [{"name": "x", "confidence": 1.0000001}]}
    assert mapping.tags(mapping.parse_analysis(body))[0].confidence == 1.0

from __future__ import annotations

import json

import pytest

from visionkit.backends.azure.requests import (
    AUTH_HEADER,
    CAPABILITIES,
    analyze_request,
    area_of_interest_request,
    auth_headers,
    describe_request,
    details,
    needs_analyze,
    read_request,
    read_result_request,
    thumbnail_request,
    visual_features,
)
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.options import Secret

from .conftest import BASE, ENDPOINT, OPERATION_URL

F = Feature


class TestFeatureMapping:
    @pytest.mark.parametrize(
        ("feature", "value"),
        [
            (F.TAGS, "Tags"),
            (F.CAPTION, "Description"),
            (F.OBJECTS, "Objects"),
            (F.COLORS, "Color"),
            (F.ADULT, "Adult"),
            (F.IMAGE_TYPE, "ImageType"),
            (F.FACES, "Faces"),
            (F.BRANDS, "Brands"),
            (F.CATEGORIES, "Categories"),
        ],
    )
    def test_each_visual_feature(self, feature, value):
        assert visual_features([feature]) == (value,)
        assert details([feature]) == ()

    @pytest.mark.parametrize(
        ("feature", "detail"), [(F.CELEBRITIES, "Celebrities"), (F.LANDMARKS, "Landmarks")]
    )
    def test_domain_models_are_details_and_bring_categories(self, feature, detail):
        assert details([feature]) == (detail,)
        assert visual_features([feature]) == ("Categories",)

    def test_text_and_metadata_are_not_visual_features(self):
        assert visual_features([F.TEXT, F.METADATA]) == ()

    def test_order_is_stable_whatever_the_input_order(self):
        assert visual_features([F.TAGS, F.COLORS]) == visual_features([F.COLORS, F.TAGS])

    def test_every_feature_is_a_capability(self):
        assert frozenset(Feature) == CAPABILITIES

    def test_metadata_alone_needs_a_call_only_when_unknown(self):
        assert needs_analyze([F.METADATA], metadata_known=False)
        assert not needs_analyze([F.METADATA], metadata_known=True)
        assert not needs_analyze([F.TEXT], metadata_known=False)
        assert needs_analyze([F.TEXT, F.TAGS], metadata_known=True)


class TestAnalyzeRequest:
    def test_url_input_is_sent_as_json_and_never_downloaded(self):
        request = analyze_request(ENDPOINT, "https://img.example/cat.jpg", [F.TAGS, F.CELEBRITIES])
        assert request.method == "POST"
        assert request.url == f"{BASE}/analyze"
        assert request.headers == {"Content-Type": "application/json"}
        assert json.loads(request.content or b"") == {"url": "https://img.example/cat.jpg"}
        assert dict(request.params) == {
            "visualFeatures": "Categories,Tags",
            "details": "Celebrities",
        }

    def test_bytes_input_is_sent_as_octet_stream(self):
        request = analyze_request(ENDPOINT, b"\xff\xd8jpeg", [F.COLORS])
        assert request.headers == {"Content-Type": "application/octet-stream"}
        assert request.content == b"\xff\xd8jpeg"

    def test_language_and_model_version(self):
        request = analyze_request(
            ENDPOINT, b"x", [F.TAGS], language="es", model_version="2021-04-01"
        )
        assert dict(request.params) == {
            "visualFeatures": "Tags",
            "language": "es",
            "model-version": "2021-04-01",
        }

    def test_metadata_only_leaves_visual_features_to_the_service(self):
        assert analyze_request(ENDPOINT, "https://x.test/a.png", [F.METADATA]).params == ()

    @pytest.mark.parametrize(
        "endpoint",
        [
            "https://vk-test.cognitiveservices.azure.com",
            "https://vk-test.cognitiveservices.azure.com/",
        ],
    )
    def test_endpoint_with_or_without_slash(self, endpoint):
        assert analyze_request(endpoint, b"x", [F.TAGS]).url == f"{BASE}/analyze"

    def test_repr_leaves_out_the_image(self):
        assert "jpeg-bytes" not in repr(analyze_request(ENDPOINT, b"jpeg-bytes", [F.TAGS]))


class TestOtherOperations:
    def test_describe(self):
        request = describe_request(ENDPOINT, b"x", max_candidates=3, language="ja")
        assert request.url == f"{BASE}/describe"
        assert dict(request.params) == {"maxCandidates": "3", "language": "ja"}

    def test_read_submit_and_poll(self):
        submit = read_request(ENDPOINT, "https://x.test/menu.png", model_version="latest")
        assert (submit.method, submit.url) == ("POST", f"{BASE}/read/analyze")
        assert dict(submit.params) == {"model-version": "latest"}
        poll = read_result_request(ENDPOINT, OPERATION_URL)
        assert (poll.method, poll.url, poll.content) == ("GET", OPERATION_URL, None)

    @pytest.mark.parametrize(
        "location",
        [
            "https://attacker.example/vision/v3.2/read/analyzeResults/1",
            "http://vk-test.cognitiveservices.azure.com/vision/v3.2/read/analyzeResults/1",
        ],
    )
    def test_poll_refuses_another_host_or_scheme(self, location):
        with pytest.raises(BackendError, match="refusing to send the key"):
            read_result_request(ENDPOINT, location)

    def test_thumbnail(self):
        request = thumbnail_request(ENDPOINT, b"x", width=64, height=48, smart_crop=False)
        assert request.url == f"{BASE}/generateThumbnail"
        assert dict(request.params) == {"width": "64", "height": "48", "smartCropping": "false"}

    def test_area_of_interest(self):
        request = area_of_interest_request(ENDPOINT, "https://x.test/a.jpg")
        assert request.url == f"{BASE}/areaOfInterest"


def test_auth_header_is_the_only_place_the_key_is_revealed():
    assert auth_headers(Secret("k3y")) == {AUTH_HEADER: "k3y"}
    assert AUTH_HEADER == "Ocp-Apim-Subscription-Key"

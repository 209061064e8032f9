"""What is sent: feature lists, image payloads, limits, and no credential anywhere."""

from __future__ import annotations

import base64
import json

import pytest

from visionkit.backends.google import requests as rq
from visionkit.features import Feature

F = Feature


def test_each_feature_maps_to_its_google_type_in_a_stable_order():
    assert rq.feature_types({F.LANDMARKS, F.TAGS, F.ADULT}) == (
        "LABEL_DETECTION",
        "SAFE_SEARCH_DETECTION",
        "LANDMARK_DETECTION",
    )
    everything = rq.feature_types(rq.CAPABILITIES)
    assert set(everything) == set(rq.FEATURE_TYPES.values())


def test_metadata_alone_needs_no_call():
    assert rq.feature_types({F.METADATA}) == ()
    assert not rq.needs_call({F.METADATA})
    assert rq.needs_call({F.METADATA, F.TAGS})


def test_document_text_mode():
    settings = rq.FeatureSettings(text_mode="document")
    assert rq.feature_types({F.TEXT}, settings) == ("DOCUMENT_TEXT_DETECTION",)


def test_max_results_and_model_apply_where_google_reads_them():
    settings = rq.FeatureSettings(max_results=7, model="builtin/latest")
    features = rq.features_json(["LABEL_DETECTION", "TEXT_DETECTION", "IMAGE_PROPERTIES"], settings)
    assert features == [
        {"type": "LABEL_DETECTION", "maxResults": 7, "model": "builtin/latest"},
        {"type": "TEXT_DETECTION", "model": "builtin/latest"},
        {"type": "IMAGE_PROPERTIES", "model": "builtin/latest"},
    ]


def test_bytes_go_as_base64_content_and_uris_as_image_uri():
    assert rq.image_json(b"\x89PNG") == {"content": base64.b64encode(b"\x89PNG").decode()}
    assert rq.image_json("gs://bucket/cat.jpg") == {"source": {"imageUri": "gs://bucket/cat.jpg"}}


def test_language_hints_only_when_text_is_asked_for():
    settings = rq.FeatureSettings(language_hints=("en", "ja"))
    with_text = rq.annotate_body([b"x"], ["TEXT_DETECTION"], settings)
    assert with_text["requests"][0]["imageContext"] == {"languageHints": ["en", "ja"]}
    without = rq.annotate_body([b"x"], ["LABEL_DETECTION"], settings)
    assert "imageContext" not in without["requests"][0]


def test_one_request_carries_1_to_16_images():
    settings = rq.FeatureSettings()
    body = rq.annotate_body([b"a"] * 16, ["LABEL_DETECTION"], settings)
    assert len(body["requests"]) == 16
    with pytest.raises(ValueError, match="1 to 16"):
        rq.annotate_body([b"a"] * 17, ["LABEL_DETECTION"], settings)
    with pytest.raises(ValueError, match="1 to 16"):
        rq.annotate_body([], ["LABEL_DETECTION"], settings)


def test_the_request_is_json_to_images_annotate_without_credentials():
    request = rq.annotate_request(
        "https://eu-vision.googleapis.com/", [b"img"], ["LABEL_DETECTION"], rq.FeatureSettings()
    )
    assert request.method == "POST"
    assert request.url == "https://eu-vision.googleapis.com/v1/images:annotate"
    assert request.headers == {"Content-Type": "application/json"}
    assert json.loads(request.content)["requests"][0]["image"]["content"] == "aW1n"
    assert "content" not in repr(request)


def test_encoded_size_counts_base64():
    assert rq.encoded_size(b"x" * 300) == 400 + 64


def test_batches_split_at_16_images_and_at_the_body_limit():
    assert rq.chunk_sizes([100] * 40) == [16, 16, 8]
    three_mb = 3 * 2**20
    assert rq.chunk_sizes([three_mb] * 7) == [3, 3, 1]
    assert rq.chunk_sizes([rq.MAX_REQUEST_BYTES + 1, 10]) == [1, 1]
    assert rq.chunk_sizes([]) == []

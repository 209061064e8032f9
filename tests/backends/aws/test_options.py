from __future__ import annotations

import pytest

from visionkit.backends.aws import AwsOptions
from visionkit.backends.aws.requests import operations_for, request_body
from visionkit.errors import ConfigError
from visionkit.features import Feature


@pytest.mark.parametrize(
    "bad",
    [
        {"region": "Europe"},
        {"access_key_id": "AKIAVKFAKE"},
        {"moderation_min_confidence": 50},
        {"max_dominant_colors": 0},
        {"endpoint_url": "http://rekognition.example"},
    ],
)
def test_bad_options_are_config_errors(bad):
    from visionkit.options import build_options

    with pytest.raises(ConfigError):
        build_options(AwsOptions, bad, backend="aws")


def test_features_need_only_their_operations_and_label_features():
    assert operations_for({Feature.TAGS, Feature.COLORS, Feature.METADATA}) == ("DetectLabels",)
    assert operations_for({Feature.METADATA}) == ()
    body = request_body("DetectLabels", b"x", {Feature.COLORS})
    assert body["Features"] == ["IMAGE_PROPERTIES"] and "MinConfidence" not in body
    moderation = request_body("DetectModerationLabels", b"x", set(), moderation_min_confidence=0.6)
    assert moderation["MinConfidence"] == 60.0

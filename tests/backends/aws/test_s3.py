"""``s3://bucket/key`` inputs: Rekognition reads the object; nothing is downloaded or measured."""

from __future__ import annotations

import json
from typing import Any

import pytest

import visionkit
from visionkit.backends.aws import AwsAnalyzer
from visionkit.backends.aws.s3 import NEEDS_SIZE
from visionkit.errors import BackendError, ConfigError, InvalidImageError
from visionkit.testing import assert_valid_result

from .conftest import URL, load, ok, raw_http, target, wire_body

HORSES = "carbon-amazon/DetectLabelsResultTests.CanDeserialize.horses.json"
PEOPLE = "carbon-amazon/DetectLabelsResultTests.A.general_labels_and_image_properties.json"
URI = "s3://vk-test-bucket/photos/horses.jpg"


def _routes(respx_mock: Any, labels: str = HORSES) -> dict[str, Any]:
    return {
        "DetectLabels": respx_mock.post(URL, headers=target("DetectLabels")).mock(
            return_value=ok(wire_body(labels))
        ),
        "DetectModerationLabels": respx_mock.post(
            URL, headers=target("DetectModerationLabels")
        ).mock(return_value=ok(load("docs-examples/DetectModerationLabels.response.json"))),
    }


def test_an_s3_uri_is_sent_as_an_s3_object_not_bytes(analyzer: AwsAnalyzer, respx_mock: Any):
    routes = _routes(respx_mock)
    result = analyzer.analyze(URI, ["tags", "adult"])
    for route in routes.values():
        sent = json.loads(route.calls.last.request.content)
        assert sent["Image"] == {
            "S3Object": {"Bucket": "vk-test-bucket", "Name": "photos/horses.jpg"}
        }
    assert [t.name for t in result.tags][:3] == ["Animal", "Mammal", "Horse"]
    assert result.adult is not None and result.adult.is_adult
    assert result.metadata is None
    assert_valid_result(result, ["tags", "adult"])


async def test_everything_for_an_s3_object_leaves_out_what_needs_the_size(
    analyzer: AwsAnalyzer, respx_mock: Any
):
    routes = _routes(respx_mock, PEOPLE)  # with IMAGE_PROPERTIES, as colours ask for
    result = await analyzer.analyze_async(URI)
    # Only the two operations that need no size were called: no faces, text or celebrities.
    assert len(respx_mock.calls) == 2 and all(r.call_count == 1 for r in routes.values())
    assert result.objects is None and result.faces is None and result.metadata is None
    assert result.tags and result.categories is not None and result.adult is not None
    assert result.colors is not None and result.colors.dominant_colors
    assert_valid_result(result, analyzer.supported_features - NEEDS_SIZE)


@pytest.mark.parametrize("feature", ["objects", "faces", "text", "celebrities", "metadata"])
def test_a_feature_that_needs_the_size_is_refused_before_any_call(
    analyzer: AwsAnalyzer, respx_mock: Any, feature: str
):
    with pytest.raises(ConfigError, match="need the size of the image in pixels"):
        analyzer.analyze(URI, ["tags", feature])
    assert not respx_mock.calls


def test_an_s3_uri_without_a_key_is_refused(analyzer: AwsAnalyzer, respx_mock: Any):
    with pytest.raises(InvalidImageError, match=r"s3://<bucket>/<key>"):
        analyzer.analyze("s3://vk-test-bucket", ["tags"])
    assert not respx_mock.calls


def test_an_object_aws_cannot_read_is_awss_error(analyzer: AwsAnalyzer, respx_mock: Any):
    respx_mock.post(URL, headers=target("DetectLabels")).mock(
        return_value=raw_http("docs-examples/error.InvalidS3ObjectException.http.txt")
    )
    with pytest.raises(BackendError, match="Unable to get object metadata from S3") as caught:
        analyzer.analyze(URI, ["tags"])
    assert caught.value.code == "InvalidS3ObjectException"


def test_other_backends_say_which_backend_reads_s3():
    with pytest.raises(InvalidImageError, match="use backend='aws', which reads s3:// itself"):
        visionkit.analyze(URI, ["colors"], backend="local")

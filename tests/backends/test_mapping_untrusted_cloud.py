"""Arbitrary JSON through the Google and AWS mappers: a valid result or a BackendError.

The answer is served through an :class:`httpx.MockTransport`, so it takes the
whole way a real one takes (decoding, scrubbing, mapping, clipping). Shapes
are right and wrong at random: the real section names with values of any
JSON type, numbers far out of range, ``NaN``. Nothing else may come out.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from backends.untrusted_json import json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from visionkit.errors import BackendError
from visionkit.testing import assert_valid_result

number = st.one_of(st.floats(-2, 2), st.integers(-500, 100_000), json_values)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((128, 96)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


IMAGE = _png()
FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _served(body: Any) -> httpx.MockTransport:
    content = json.dumps(body).encode()
    return httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=content, headers={"Content-Type": "application/json"}
        )
    )


def _outcome(analyzer: Any, features: list[str]) -> None:
    with analyzer:
        try:
            result = analyzer.analyze(IMAGE, features)
        except BackendError:
            return
    assert_valid_result(result, features)


# -- Google ---------------------------------------------------------------------------------

_vertex = st.fixed_dictionaries({}, optional={"x": number, "y": number})
_poly = st.fixed_dictionaries(
    {}, optional={"vertices": st.lists(_vertex, max_size=5), "normalizedVertices": json_values}
)
_annotation = st.fixed_dictionaries(
    {},
    optional={
        "description": st.one_of(st.text(max_size=6), json_values),
        "name": st.one_of(st.text(max_size=6), json_values),
        "score": number,
        "confidence": number,
        "detectionConfidence": number,
        "boundingPoly": st.one_of(_poly, json_values),
        "fdBoundingPoly": st.one_of(_poly, json_values),
        "mid": json_values,
        "locale": json_values,
    },
)
_sections = st.one_of(st.lists(_annotation, max_size=3), json_values)
google_answer = st.fixed_dictionaries(
    {},
    optional={
        name: _sections
        for name in (
            "labelAnnotations",
            "localizedObjectAnnotations",
            "faceAnnotations",
            "logoAnnotations",
            "landmarkAnnotations",
            "textAnnotations",
            "fullTextAnnotation",
            "safeSearchAnnotation",
            "imagePropertiesAnnotation",
            "cropHintsAnnotation",
            "webDetection",
        )
    },
)
GOOGLE_FEATURES = ["tags", "objects", "faces", "brands", "landmarks", "text", "adult", "colors"]


@FAST
@given(answer=st.one_of(google_answer, json_values))
def test_google_maps_any_json_to_a_valid_result_or_a_backend_error(answer):
    from visionkit.backends.google import GoogleAnalyzer

    analyzer = GoogleAnalyzer(
        api_key="AIzaSyVK-hypothesis", transport=_served({"responses": [answer]}), max_retries=0
    )
    # adult is required like every feature: an unknown likelihood is None for that score only.
    _outcome(analyzer, GOOGLE_FEATURES)


# -- AWS ------------------------------------------------------------------------------------

_box = st.fixed_dictionaries({}, optional={k: number for k in ("Left", "Top", "Width", "Height")})
_item = st.fixed_dictionaries(
    {},
    optional={
        "Name": st.one_of(st.text(max_size=6), json_values),
        "Confidence": st.one_of(st.floats(-5, 105), json_values),
        "BoundingBox": st.one_of(_box, json_values),
        "Instances": st.one_of(
            st.lists(
                st.fixed_dictionaries({}, optional={"BoundingBox": _box, "Confidence": number}),
                max_size=2,
            ),
            json_values,
        ),
        "Parents": json_values,
        "Categories": json_values,
        "DetectedText": json_values,
        "Type": st.one_of(st.sampled_from(["LINE", "WORD"]), json_values),
        "Geometry": st.one_of(
            st.fixed_dictionaries({}, optional={"BoundingBox": _box}), json_values
        ),
        "AgeRange": json_values,
        "Face": json_values,
        "ParentName": json_values,
    },
)
_list = st.one_of(st.lists(_item, max_size=3), json_values)
aws_answer = st.fixed_dictionaries(
    {},
    optional={
        "Labels": _list,
        "ModerationLabels": _list,
        "FaceDetails": _list,
        "TextDetections": _list,
        "CelebrityFaces": _list,
        "ImageProperties": json_values,
        "LabelModelVersion": json_values,
    },
)
AWS_FEATURES = ["tags", "objects", "categories", "faces", "text", "adult", "celebrities"]


@FAST
@given(answer=st.one_of(aws_answer, json_values))
def test_aws_maps_any_json_to_a_valid_result_or_a_backend_error(answer):
    pytest.importorskip("botocore")
    from botocore.credentials import Credentials

    from visionkit.backends.aws import AwsAnalyzer
    from visionkit.backends.aws.signing import AwsIdentity

    identity = AwsIdentity(Credentials("AKIAVKFAKEHYPO", "vkfake/hypothesis"), "eu-west-1")
    analyzer = AwsAnalyzer(identity=identity, transport=_served(answer), max_retries=0)
    _outcome(analyzer, AWS_FEATURES)


@pytest.mark.parametrize("depth", [300, 900, 5000])
@pytest.mark.parametrize("cloud", ["google", "aws"])
def test_json_nested_deep_is_a_backend_error_or_a_valid_result(cloud, depth):
    nested = "[" * depth + "]" * depth
    if cloud == "google":
        from visionkit.backends.google import GoogleAnalyzer

        body = '{"responses": [{"labelAnnotations": ' + nested + "}]}"
        analyzer: Any = GoogleAnalyzer(
            api_key="AIzaSyVK-hypothesis", transport=_raw(body), max_retries=0
        )
        features = ["tags"]
    else:
        pytest.importorskip("botocore")
        from botocore.credentials import Credentials

        from visionkit.backends.aws import AwsAnalyzer
        from visionkit.backends.aws.signing import AwsIdentity

        identity = AwsIdentity(Credentials("AKIAVKFAKEHYPO", "vkfake/deep"), "eu-west-1")
        body = '{"Labels": [{"Name": "x", "Confidence": 90, "Parents": ' + nested + "}]}"
        analyzer = AwsAnalyzer(identity=identity, transport=_raw(body), max_retries=0)
        features = ["tags"]
    _outcome(analyzer, features)


def _raw(body: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body.encode()))

"""The Azure mappers (3.2 and 4.0) against answers of every wrong shape.

Property: whatever JSON comes in, a result that passes visionkit.testing's
validators comes out, or a BackendError; nothing else. Named cases pin the
ones the issues reported. All bodies here are hand-made.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from backends.untrusted_json import json_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visionkit.backends.azure import imageanalysis4, mapping
from visionkit.errors import BackendError
from visionkit.results import AnalysisResult
from visionkit.testing import assert_valid_result


def _box_v3() -> st.SearchStrategy[Any]:
    number = st.one_of(st.integers(-500, 100_000), json_values)
    return st.fixed_dictionaries({"x": number, "y": number, "w": number, "h": number})


v3_bodies = st.fixed_dictionaries(
    {},
    optional={
        "tags": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {"name": st.one_of(st.text(max_size=5), json_values), "confidence": json_values}
                ),
                max_size=3,
            ),
        ),
        "objects": st.lists(
            st.fixed_dictionaries(
                {"rectangle": _box_v3(), "object": st.text(max_size=5), "confidence": json_values}
            ),
            max_size=3,
        ),
        "metadata": st.fixed_dictionaries(
            {"width": st.one_of(st.integers(1, 2000), json_values), "height": st.integers(1, 2000)}
        ),
        "color": json_values,
        "adult": json_values,
        "imageType": json_values,
        "faces": json_values,
        "description": json_values,
        "categories": json_values,
        "brands": json_values,
    },
)

v4_box = st.fixed_dictionaries(
    {},
    optional={k: st.one_of(st.integers(-500, 100_000), json_values) for k in ("x", "y", "w", "h")},
)
v4_bodies = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.fixed_dictionaries(
            {"width": st.integers(1, 2000), "height": st.integers(1, 2000)}
        ),
        "tagsResult": st.one_of(json_values, st.fixed_dictionaries({"values": json_values})),
        "captionResult": json_values,
        "objectsResult": st.fixed_dictionaries(
            {
                "values": st.lists(
                    st.fixed_dictionaries(
                        {
                            "boundingBox": v4_box,
                            "tags": st.lists(
                                st.fixed_dictionaries(
                                    {"name": json_values, "confidence": json_values}
                                ),
                                max_size=2,
                            ),
                        }
                    ),
                    max_size=3,
                )
            }
        ),
        "readResult": json_values,
        "modelVersion": json_values,
    },
)


def _check(outcome: AnalysisResult) -> None:
    # The round trip inside assert_valid_result needs JSON-safe raw; the mapper leaves raw out.
    assert_valid_result(outcome)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v3_bodies)
def test_any_v32_answer_maps_to_a_valid_result_or_a_backend_error(body):
    try:
        result = mapping.map_analysis(body, request_id="req-1")
    except BackendError as exc:
        failure = exc
    else:
        _check(result)
        return
    assert failure.request_id == "req-1"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v4_bodies)
def test_any_v40_answer_maps_to_a_valid_result_or_a_backend_error(body):
    try:
        result = imageanalysis4.analysis_result(body, request_id="req-4")
    except BackendError as exc:
        failure = exc
    else:
        _check(result)
        return
    assert failure.request_id == "req-4"


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_read_answer_maps_or_fails_cleanly(body):
    if not isinstance(body, dict):
        body = {"status": "succeeded", "analyzeResult": {"readResults": body}}
    try:
        _, lines = mapping.map_read(body, request_id="r")
    except BackendError:
        return
    _check(AnalysisResult(backend="azure", text=lines))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tags": [{"name": "dog", "confidence": "abc"}]}, "tags"),
        ({"tags": {"name": "dog"}}, "tags"),
        ({"tags": [1, 2]}, "tags"),
        ({"tags": [None]}, "tags"),
        ({"tags": [{"name": None, "confidence": 0.5}]}, "tags"),
        ({"tags": [{"confidence": 0.5}]}, "tags"),
        ({"tags": [{"name": "  ", "confidence": 0.5}]}, "tags"),
        ({"description": {"captions": [{"text": None, "confidence": 0.5}]}}, "description"),
        ({"tags": [{"name": "dog", "confidence": math.nan}]}, "tags"),
        ({"faces": [{"age": "old", "faceRectangle": {}}]}, "faces"),
        ({"color": {"dominantColors": "red"}}, "color"),
        ({"adult": {"adultScore": math.nan}}, "adult"),
        ({"imageType": {"clipArtType": 5, "lineDrawingType": 0}}, "imageType"),
        ({"objects": [{"rectangle": {"x": 0, "y": 0, "w": -3, "h": 4}, "object": "a"}]}, "objects"),
    ],
)
def test_each_reported_wrong_shape_is_a_backend_error_naming_the_field(body, field):
    with pytest.raises(BackendError) as info:
        mapping.map_analysis(body, request_id="req-9")
    assert field in str(info.value) and "req-9" in str(info.value)


def test_a_confidence_a_hair_over_one_is_clamped():
    result = mapping.map_analysis({"tags": [{"name": "dog", "confidence": 1.0000001}]})
    assert result.tags is not None and result.tags[0].confidence == 1.0


def test_boxes_far_outside_the_image_are_clipped_or_dropped():
    body = {
        "metadata": {"width": 64, "height": 48, "format": "Png"},
        "objects": [
            {"rectangle": {"x": -478, "y": 2, "w": 95045, "h": 10}, "object": "wide"},
            {"rectangle": {"x": 10**30, "y": 0, "w": 5, "h": 5}, "object": "gone"},
        ],
    }
    result = mapping.map_analysis(body)
    assert result.objects is not None
    assert [(o.name, o.box.xywh) for o in result.objects] == [("wide", (0, 2, 64, 10))]
    assert_valid_result(result)


def test_a_deep_parent_chain_is_cut_and_the_result_stays_printable():
    node: dict[str, Any] = {"object": "root"}
    for depth in range(40):
        node = {"object": f"level{depth}", "parent": node}
    body = {
        "metadata": {"width": 10, "height": 10},
        "objects": [{"rectangle": {"x": 0, "y": 0, "w": 5, "h": 5}, "object": "o", "parent": node}],
    }
    result = mapping.map_analysis(body)
    assert result.objects is not None
    assert len(result.objects[0].lineage) == 33
    assert repr(result)
    assert_valid_result(result)


@pytest.mark.parametrize(
    "body",
    [
        {"objectsResult": {"values": [{"boundingBox": {"x": 1, "y": 1, "h": 2}, "tags": [{}]}]}},
        {"readResult": {"blocks": [{"lines": [{"boundingPolygon": [{"x": 1}]}]}]}},
        {"tagsResult": {"values": 7}},
        {"tagsResult": {"values": [{"name": "a", "confidence": "x"}]}},
        {"objectsResult": {"values": [{"boundingBox": {"x": 0, "y": 0, "w": "abc", "h": 1}}]}},
        {"captionResult": {"text": "a", "confidence": math.nan}},
        {"captionResult": {"text": 5, "confidence": 0.5}},
        {"tagsResult": {"values": [None, {"name": "a", "confidence": 0.5}]}},
        {"tagsResult": {"values": [{"name": 5, "confidence": 0.5}]}},
        {"tagsResult": {"values": [{"name": None, "confidence": 0.5}]}},
        {"readResult": {"blocks": [{"lines": [{"text": 7, "boundingPolygon": []}]}]}},
    ],
)
def test_v40_wrong_shapes_are_backend_errors(body):
    with pytest.raises(BackendError):
        imageanalysis4.analysis_result(body, request_id="r")


def test_json_nested_thousands_deep_is_refused_before_mapping():
    import httpx

    from visionkit.backends.azure.flow import json_body

    deep = "[" * 5000 + "]" * 5000
    response = httpx.Response(200, content=b'{"tags": [], "x": ' + deep.encode() + b"}")
    with pytest.raises(BackendError, match="nested deeper"):
        json_body(response, "Analyze Image")

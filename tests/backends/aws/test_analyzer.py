from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from visionkit.backends.aws import AwsAnalyzer
from visionkit.errors import AuthenticationError, InvalidImageError
from visionkit.testing import assert_valid_result

from .conftest import URL, ok, target, wire_body

HORSES = "carbon-amazon/DetectLabelsResultTests.CanDeserialize.horses.json"


def test_tags_for_one_image_end_to_end(analyzer: AwsAnalyzer, respx_mock: Any, chelsea_png: Path):
    route = respx_mock.post(URL, headers=target("DetectLabels")).mock(
        return_value=ok(wire_body(HORSES))
    )

    result = analyzer.analyze(chelsea_png, features=["tags"])

    assert route.call_count == 1
    sent = json.loads(route.calls.last.request.content)
    assert base64.b64decode(sent["Image"]["Bytes"]) == chelsea_png.read_bytes()
    assert sent["Features"] == ["GENERAL_LABELS"]
    assert [t.name for t in result.tags][:3] == ["Animal", "Mammal", "Horse"]
    assert result.tags[2].confidence == pytest.approx(0.9850152587890625)
    assert result.tags[3].hint == "Horse"  # Stallion's nearest parent
    assert result.raw == {"DetectLabels": wire_body(HORSES)}
    assert result.request_id == "req-1"
    assert result.model_version == "DetectLabels 3.0"
    assert_valid_result(result, ["tags"])


def _all_routes(respx_mock: Any, faces: httpx.Response | None = None) -> None:
    from .conftest import load

    respx_mock.post(URL, headers=target("DetectLabels")).mock(
        return_value=ok(wire_body(PEOPLE), "req-labels")
    )
    respx_mock.post(URL, headers=target("DetectModerationLabels")).mock(
        return_value=ok(load("docs-examples/DetectModerationLabels.v7.response.json"))
    )
    respx_mock.post(URL, headers=target("DetectFaces")).mock(
        return_value=faces or ok(load("docs-examples/DetectFaces.response.json"))
    )
    respx_mock.post(URL, headers=target("DetectText")).mock(
        return_value=ok(load("docs-examples/DetectText.response.json"))
    )
    respx_mock.post(URL, headers=target("RecognizeCelebrities")).mock(
        return_value=ok(load("hand-made/RecognizeCelebrities.response.json")["body"])
    )


PEOPLE = "carbon-amazon/DetectLabelsResultTests.A.general_labels_and_image_properties.json"


def test_everything_is_one_call_per_operation(
    analyzer: AwsAnalyzer, respx_mock: Any, rocket_jpg: Path
):
    _all_routes(respx_mock)
    result = analyzer.analyze(rocket_jpg)
    assert len(respx_mock.calls) == 5
    assert set(result.raw) == {
        "DetectLabels",
        "DetectModerationLabels",
        "DetectFaces",
        "DetectText",
        "RecognizeCelebrities",
    }
    assert result.metadata is not None and (result.metadata.width, result.metadata.height) == (
        640,
        427,
    )
    assert result.image_type is None and result.captions is None and result.brands is None
    assert_valid_result(result, analyzer.supported_features)


async def test_async_fails_naming_the_operation(
    analyzer: AwsAnalyzer, respx_mock: Any, rocket_jpg: Path
):
    from .conftest import hand_made

    _all_routes(respx_mock, faces=hand_made("400-access-denied"))
    with pytest.raises(AuthenticationError, match="DetectFaces"):
        await analyzer.analyze_async(rocket_jpg, features=["tags", "faces"])


async def test_async_matches_sync(analyzer: AwsAnalyzer, respx_mock: Any, rocket_jpg: Path):
    _all_routes(respx_mock)
    sync = analyzer.analyze(rocket_jpg, features=["objects", "text", "adult"])
    asynchronous = await analyzer.analyze_async(rocket_jpg, features=["objects", "text", "adult"])
    assert sync == asynchronous


def test_the_moderation_threshold_sent_is_the_one_recorded(
    respx_mock: Any, identity: Any, clock: Any, rocket_jpg: Path
):
    """MinConfidence in the request is ``adult.reporting_threshold``: None means below it."""
    from .conftest import load

    route = respx_mock.post(URL, headers=target("DetectModerationLabels")).mock(
        return_value=ok(load("docs-examples/DetectModerationLabels.v7.response.json"))
    )
    with AwsAnalyzer(identity=identity, clock=clock, moderation_min_confidence=0.8) as aws:
        result = aws.analyze(rocket_jpg, features=["adult"])
    assert json.loads(route.calls.last.request.content)["MinConfidence"] == 80
    assert result.adult.reporting_threshold == 0.8
    # The v7 example's only label is about smoking: no adult, racy or gore label reached 80 %.
    assert result.adult.scores() == {"adult": None, "racy": None, "gore": None}
    assert_valid_result(result, ["adult"])


def test_too_small_image_fails_before_any_call(analyzer: AwsAnalyzer, respx_mock: Any):
    from PIL import Image

    with pytest.raises(InvalidImageError, match="at least 80"):
        analyzer.analyze(Image.new("RGB", (79, 200)), features=["tags"])
    assert not respx_mock.calls


def test_urls_are_downloaded_then_sent_as_bytes(
    analyzer: AwsAnalyzer, respx_mock: Any, chelsea_png: Path
):
    respx_mock.get("https://images.example.org/cat.png").mock(
        return_value=httpx.Response(200, content=chelsea_png.read_bytes())
    )
    route = respx_mock.post(URL, headers=target("DetectLabels")).mock(
        return_value=ok(wire_body(HORSES))
    )
    analyzer.analyze("https://images.example.org/cat.png", features=["tags"])
    sent = json.loads(route.calls.last.request.content)
    assert base64.b64decode(sent["Image"]["Bytes"]) == chelsea_png.read_bytes()


def test_registered_and_without_botocore_at_import():
    import subprocess
    import sys

    from visionkit.backends.registry import get_backend_class

    assert get_backend_class("aws") is AwsAnalyzer
    code = "import sys, visionkit; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

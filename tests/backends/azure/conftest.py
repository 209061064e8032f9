"""Fixtures for the Azure backend: published and recorded answers, a mocked service, invariants.

No test here reaches the network: respx intercepts every httpx request and
fails any that no route expects. Time never really passes either: the
analyzer's retries and OCR polling wait on a :class:`ManualClock`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from visionkit.backends.azure import AzureAnalyzer
from visionkit.backends.http import ManualClock
from visionkit.features import Feature
from visionkit.results import AnalysisResult, BoundingBox

FIXTURES = Path(__file__).parent / "fixtures"
IMAGES = FIXTURES / "images"

ENDPOINT = "https://vk-test.cognitiveservices.azure.com/"
BASE = "https://vk-test.cognitiveservices.azure.com/vision/v3.2"
KEY = "3f6c0a1e9b7d4c2a8e5f1b0d7a6c9e21"
OPERATION_ID = "e56ffa6e-1ee4-4042-bc07-993db706c95f"
OPERATION_URL = f"{BASE}/read/analyzeResults/{OPERATION_ID}"


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def spec_example(name: str, status: str = "200") -> Any:
    """The response body of one of Microsoft's published v3.2 examples."""
    return _load(FIXTURES / "spec-examples" / "v3.2" / f"{name}.json")["responses"][status]["body"]


def pair(name: str) -> Any:
    return _load(FIXTURES / "pairs" / f"{name}.json")


def dotnet_entries(name: str) -> list[dict[str, Any]]:
    """The ``Entries`` of a .NET SDK session record."""
    return list(pair(name)["Entries"])


def dotnet_response(entry: dict[str, Any]) -> httpx.Response:
    """A recorded .NET entry as the httpx response it was."""
    headers = {k: v[0] for k, v in entry["ResponseHeaders"].items() if k != "Content-Length"}
    body = entry["ResponseBody"]
    content = (
        base64.b64decode(body)
        if headers.get("Content-Type", "").startswith("image/")
        else body.encode()
    )
    return httpx.Response(int(entry["StatusCode"]), headers=headers, content=content)


def hand_made(name: str) -> httpx.Response:
    """A hand-made answer from ``fixtures/hand-made`` as an httpx response."""
    data = _load(FIXTURES / "hand-made" / f"{name}.json")
    return httpx.Response(data["status"], headers=data["headers"], json=data["body"])


def analyze_bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Analyze Image answer in the fixtures, published or recorded."""
    for name in (
        "SuccessfulAnalyzeImageWithUrl",
        "SuccessfulAnalyzeImageWithStream",
        "SuccessfulDetectObjectsWithUrl",
        "SuccessfulTagImageWithUrl",
    ):
        yield name, spec_example(name)
    yield "Shaki_waterfall (docs capture)", pair("javascript-analyze__Shaki_waterfall")


def read_submitted() -> httpx.Response:
    """The 202 of the published Read example, its location on the test endpoint."""
    example = _load(FIXTURES / "spec-examples" / "v3.2" / "SuccessfulReadWithUrl.json")
    location = example["responses"]["202"]["header"]["Operation-Location"]
    operation_id = location.rsplit("/", 1)[1]
    assert operation_id == OPERATION_ID
    return httpx.Response(
        202, headers={"Operation-Location": OPERATION_URL, "apim-request-id": "read-req-1"}
    )


def read_succeeded() -> httpx.Response:
    return httpx.Response(200, json=spec_example("SuccessfulGetReadResult"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def analyzer(respx_mock: Any, clock: ManualClock) -> Iterator[AzureAnalyzer]:
    """An analyzer on the test endpoint; every request it makes must be mocked."""
    with AzureAnalyzer(endpoint=ENDPOINT, key=KEY, clock=clock) as azure:
        yield azure


@pytest.fixture
def satya_jpg() -> Path:
    return IMAGES / "satya.jpg"


# -- invariants over any result --------------------------------------------------------


def _field(feature: Feature) -> str:
    return "captions" if feature is Feature.CAPTION else feature.value


def assert_invariants(
    result: AnalysisResult,
    requested: frozenset[Feature] | set[Feature],
    *,
    size: tuple[int, int] | None = None,
) -> None:
    """Validators, not snapshots: what must hold for any answer Azure could give.

    * every feature that was not requested is ``None``;
    * every confidence is in [0, 1] (the model's own checks, re-asserted here);
    * with ``size``, every box lies inside the image.
    """
    for feature in Feature:
        value = getattr(result, _field(feature))
        if feature not in requested:
            assert value is None, f"{feature} was not requested but is {value!r}"
    for item in _walk(result):
        confidence = getattr(item, "confidence", None)
        if isinstance(confidence, float):
            assert 0.0 <= confidence <= 1.0, item
    if size is not None:
        width, height = size
        for box in _boxes(result):
            assert 0 <= box.x <= box.x2 <= width and 0 <= box.y <= box.y2 <= height, box


def _walk(value: Any) -> Iterator[Any]:
    if isinstance(value, tuple):
        for item in value:
            yield from _walk(item)
    elif hasattr(value, "__dataclass_fields__"):
        yield value
        for name in value.__dataclass_fields__:
            if name != "raw":
                yield from _walk(getattr(value, name))


def _boxes(result: AnalysisResult) -> Iterator[BoundingBox]:
    for item in _walk(result):
        if isinstance(item, BoundingBox):
            yield item

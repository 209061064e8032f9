from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from visionkit.backends.aws import AwsAnalyzer
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

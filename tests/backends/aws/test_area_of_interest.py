"""AWS Rekognition has no area of interest and no thumbnail operation: clear errors, no call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import visionkit
from visionkit.analyzers import use_analyzer
from visionkit.backends.aws import AwsAnalyzer
from visionkit.errors import UnsupportedFeatureError
from visionkit.features import Feature
from visionkit.thumbnails import ThumbnailUnsupportedError


def test_area_of_interest_is_not_a_capability(analyzer: AwsAnalyzer, respx_mock: Any):
    assert Feature.AREA_OF_INTEREST not in AwsAnalyzer.capabilities
    with pytest.raises(UnsupportedFeatureError, match="area_of_interest") as caught:
        analyzer.analyze("https://images.example.org/a.jpg", ["area_of_interest"])
    assert "azure" in caught.value.supported_by and "google" in caught.value.supported_by
    assert not respx_mock.calls


def test_a_smart_thumbnail_is_refused_naming_who_can(
    analyzer: AwsAnalyzer, respx_mock: Any, chelsea_png: Path
):
    with use_analyzer(analyzer), pytest.raises(ThumbnailUnsupportedError) as caught:
        visionkit.thumbnail(chelsea_png, 64, 64, backend="aws")
    message = str(caught.value)
    assert "'aws' backend cannot make smart thumbnails" in message
    assert "local" in message and "smart=False" in message
    assert isinstance(caught.value, UnsupportedFeatureError)
    assert not respx_mock.calls


def test_smart_false_needs_no_service(analyzer: AwsAnalyzer, respx_mock: Any, chelsea_png: Path):
    with use_analyzer(analyzer):
        thumb = visionkit.thumbnail(chelsea_png, 64, 64, smart=False, backend="aws")
    assert thumb.image().size == (64, 64) and not thumb.smart
    assert not respx_mock.calls

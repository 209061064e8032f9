"""CROP_HINTS as the area_of_interest feature, and visionkit.thumbnail through Google.

No real CROP_HINTS answer is available: the answer is the hand-made fixture
``hand-made/200-image-properties-crop-hints.json`` (it says so; its crop hint is the
real entry the shared fixtures README quotes). The photo is a real one,
scikit-image's 1000x872 Hubble picture, in which the hint (749x939) is clipped.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

import visionkit
from visionkit.analyzers import use_analyzer
from visionkit.cropping import expand_to_aspect
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.results import BoundingBox
from visionkit.testing import assert_valid_result

from .conftest import ANNOTATE, hand_made, sent_body

HINT_IN_HUBBLE = BoundingBox(0, 0, 749, 872)
"""The fixture's hint (0, 0) to (749, 939), clipped to the 1000x872 photo."""


@pytest.fixture
def hubble(skimage_data_dir: Path) -> Path:
    return skimage_data_dir / "hubble_deep_field.jpg"


@pytest.fixture
def crop_hints(respx_mock):
    body = hand_made("200-image-properties-crop-hints")["body"]
    return respx_mock.post(ANNOTATE).mock(return_value=httpx.Response(200, json=body))


def test_it_rides_in_the_same_annotate_request(analyzer, crop_hints, hubble):
    result = analyzer.analyze(hubble, ["colors", "area_of_interest", "metadata"])
    assert crop_hints.call_count == 1
    types = [f["type"] for f in sent_body(crop_hints)["requests"][0]["features"]]
    assert sorted(types) == ["CROP_HINTS", "IMAGE_PROPERTIES"]
    assert result.area_of_interest == HINT_IN_HUBBLE
    assert result.colors is not None
    assert_valid_result(result, ["colors", "area_of_interest", "metadata"])


async def test_the_async_path_maps_it_too(analyzer, crop_hints, hubble):
    result = await analyzer.analyze_async(hubble, ["area_of_interest"])
    assert result.area_of_interest == HINT_IN_HUBBLE
    assert result.colors is None


def test_it_is_offered_but_not_part_of_everything(analyzer):
    assert Feature.AREA_OF_INTEREST in analyzer.supported_features
    assert Feature.AREA_OF_INTEREST not in analyzer.resolve_features(None)


def test_an_answer_without_a_hint_is_an_error_not_an_empty_box(analyzer, respx_mock, hubble):
    respx_mock.post(ANNOTATE).mock(return_value=httpx.Response(200, json={"responses": [{}]}))
    with pytest.raises(BackendError, match="without a crop hint"):
        analyzer.analyze(hubble, ["area_of_interest"])


def test_thumbnail_crops_the_callers_pixels_at_the_hint(analyzer, crop_hints, hubble):
    with use_analyzer(analyzer):
        thumb = visionkit.thumbnail(hubble, 120, 60, backend="google")
    types = [f["type"] for f in sent_body(crop_hints)["requests"][0]["features"]]
    assert types == ["CROP_HINTS"]
    # The sent image is the caller's file, untouched (no re-encoding for the hint).
    sent = sent_body(crop_hints)["requests"][0]["image"]["content"]
    assert base64.b64decode(sent) == hubble.read_bytes()
    assert thumb.crop == expand_to_aspect(HINT_IN_HUBBLE, 2.0, 1000, 872)
    assert thumb.crop == BoundingBox(0, 186, 1000, 500)
    assert thumb.backend == "google" and thumb.smart
    assert thumb.image().size == (120, 60)


async def test_thumbnail_smart_false_asks_google_nothing(analyzer, respx_mock, hubble):
    route = respx_mock.post(ANNOTATE)
    with use_analyzer(analyzer):
        thumb = await visionkit.thumbnail_async(hubble, 50, 50, smart=False, backend="google")
    assert not route.called
    assert thumb.crop == BoundingBox(64, 0, 872, 872) and not thumb.smart

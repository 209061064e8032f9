"""Azure's 403 "Out of call volume quota": a spent quota, not a bad key, and not worth a retry.

The answer is the hand-made ``403-quota`` fixture (see its ``_comment``).
"""

from __future__ import annotations

import httpx
import pytest
from PIL import Image

import visionkit
from visionkit.backends.azure.errors import error_from_response
from visionkit.errors import AuthenticationError, QuotaExceededError, RateLimitError
from visionkit.features import Feature

from .conftest import BASE, ENDPOINT, KEY, hand_made

URL = "https://images.example.org/satya.jpg"


def test_the_quota_answer_is_a_quota_error_not_an_authentication_error():
    response = hand_made("403-quota")
    error = error_from_response(
        response.status_code, response.content, response.headers, operation="Analyze Image"
    )
    assert isinstance(error, QuotaExceededError)
    assert isinstance(error, RateLimitError)  # throttling handlers and fallback see it too
    assert not isinstance(error, AuthenticationError)
    assert error.status == 403
    text = str(error)
    assert "Out of call volume quota for ComputerVision F0 pricing tier" in text
    assert "paid pricing tier" in text
    assert "retrying now will not help" in text


def test_a_403_about_something_else_is_still_an_authentication_error():
    body = {"error": {"code": "403", "message": "Access denied due to invalid subscription key."}}
    response = httpx.Response(403, json=body)
    error = error_from_response(
        response.status_code, response.content, response.headers, operation="Analyze Image"
    )
    assert type(error) is AuthenticationError
    assert "quota" not in str(error)


def test_the_quota_answer_is_not_retried(analyzer, respx_mock, clock):
    route = respx_mock.post(f"{BASE}/analyze").mock(return_value=hand_made("403-quota"))
    with pytest.raises(QuotaExceededError):
        analyzer.analyze(URL, [Feature.TAGS])
    assert route.call_count == 1
    assert clock.sleeps == []


def test_a_spent_quota_falls_back(respx_mock, tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo)
    respx_mock.post(f"{BASE}/analyze").mock(return_value=hand_made("403-quota"))
    result = visionkit.analyze(
        photo, ["colors"], backend="azure", fallback=["local"], endpoint=ENDPOINT, key=KEY
    )
    assert result.backend == "local"
    assert (result.fallback_reason or "").startswith("azure failed: QuotaExceededError")

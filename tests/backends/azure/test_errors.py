from __future__ import annotations

import json

import pytest

from visionkit.backends.azure.errors import decode_json, error_from_response
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidImageError,
    QuotaExceededError,
    RateLimitError,
)

from .conftest import hand_made


def _map(name: str, **kwargs):
    response = hand_made(name)
    return error_from_response(
        response.status_code,
        response.content,
        response.headers,
        operation="Analyze Image",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("fixture", "cls", "code"),
    [
        ("401-invalid-key", AuthenticationError, "401"),
        ("403-quota", QuotaExceededError, "403"),
        ("429-rate-limit", RateLimitError, "429"),
        ("400-invalid-image-format", InvalidImageError, "InvalidImageFormat"),
        ("400-invalid-image-url", InvalidImageError, "InvalidImageUrl"),
        ("400-v2-flat", InvalidImageError, "InvalidImageSize"),
        ("400-not-supported-language", BackendError, "NotSupportedLanguage"),
        ("404-resource-not-found", BackendError, "404"),
        ("500-internal", BackendUnavailableError, "InternalServerError"),
        ("500-timeout", BackendTimeoutError, "Timeout"),
        ("503-unavailable", BackendUnavailableError, "ServiceUnavailable"),
    ],
)
def test_each_answer_gets_its_class_status_and_code(fixture, cls, code):
    error = _map(fixture)
    assert type(error) is cls
    assert error.backend == "azure"
    assert error.status == hand_made(fixture).status_code
    assert error.code == code


def test_both_codes_and_the_inner_message_are_in_the_message():
    error = _map("400-invalid-image-format", source="cat.webp")
    assert isinstance(error, InvalidImageError)
    assert error.source == "cat.webp"
    text = str(error)
    assert "InvalidRequest/InvalidImageFormat" in text
    assert "Input data is not a valid image." in text
    assert "cat.webp" in text


def test_request_id_from_the_header_first_then_the_body():
    assert _map("400-invalid-image-format").request_id == "a7c0b8a4-0000-4000-8000-000000000400"
    assert _map("400-not-supported-language").request_id == "b1c2d3e4-0000-4000-8000-000000000401"
    assert _map("400-v2-flat").request_id == "b1c2d3e4-0000-4000-8000-000000000402"


def test_rate_limit_keeps_retry_after():
    error = _map("429-rate-limit")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 2.0
    assert "Wait 2s" in str(error)


def test_authentication_message_says_what_to_check():
    text = str(_map("401-invalid-key"))
    assert "AZURE_VISION_KEY" in text and "AZURE_VISION_ENDPOINT" in text
    assert "Access denied" in text


def test_a_code_that_repeats_the_status_or_itself_is_said_once():
    assert "HTTP 401: Access denied" in str(_map("401-invalid-key"))
    assert "HTTP 500 InternalServerError: An internal" in str(_map("500-internal"))


def test_not_found_points_at_the_endpoint():
    assert "AZURE_VISION_ENDPOINT" in str(_map("404-resource-not-found"))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, b"<html><body>Bad gateway</body></html>", "not Azure's error JSON"),
        (500, b"", "empty body"),
        (400, b'{"error": {"code": "InvalidRequest", "mess', "not Azure's error JSON"),
        (400, b"[1, 2]", "not Azure's error JSON"),
    ],
)
def test_non_json_or_truncated_bodies_still_give_a_clear_error(status, body, expected):
    error = error_from_response(status, body, {}, operation="Read")
    assert isinstance(error, BackendError)
    assert expected in str(error)
    assert f"HTTP {status}" in str(error)


class TestDecodeJson:
    def test_object(self):
        assert decode_json(200, b'{"a": 1}', {}, operation="Analyze Image") == {"a": 1}

    def test_truncated_success_body(self):
        with pytest.raises(BackendError, match="not valid JSON") as info:
            decode_json(200, b'{"tags": [', {"apim-request-id": "r1"}, operation="Analyze Image")
        assert info.value.request_id == "r1"
        assert isinstance(info.value.__cause__, json.JSONDecodeError)

    def test_not_utf8(self):
        with pytest.raises(BackendError, match="not UTF-8"):
            decode_json(200, b"\xff\xfe\x00", {}, operation="Analyze Image")

    def test_json_that_is_not_an_object(self):
        with pytest.raises(BackendError, match="JSON list"):
            decode_json(200, b"[]", {}, operation="Analyze Image")

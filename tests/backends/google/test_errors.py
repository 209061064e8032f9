"""Google's error answers, whole-request and per-image, as visionkit errors."""

from __future__ import annotations

import json

import pytest

from visionkit.backends.google.errors import decode_json, error_from_response, error_from_status
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidImageError,
    RateLimitError,
)

from .conftest import KEY, hand_made


def _mapped(name, **kwargs):
    data = hand_made(name)
    body = json.dumps(data["body"]).encode()
    return error_from_response(data["status"], body, data["headers"], **kwargs)


@pytest.mark.parametrize(
    ("name", "cls", "code"),
    [
        ("400-api-key-invalid", AuthenticationError, "API_KEY_INVALID"),
        ("403-service-disabled", AuthenticationError, "SERVICE_DISABLED"),
        ("429-resource-exhausted", RateLimitError, "RATE_LIMIT_EXCEEDED"),
        ("400-payload-too-large", InvalidImageError, "INVALID_ARGUMENT"),
        ("500-internal", BackendUnavailableError, "INTERNAL"),
        ("503-unavailable", BackendUnavailableError, "UNAVAILABLE"),
        ("504-deadline", BackendTimeoutError, "DEADLINE_EXCEEDED"),
    ],
)
def test_each_http_error_maps_to_its_class(name, cls, code):
    error = _mapped(name, source="cat.jpg")
    assert type(error) is cls
    assert error.backend == "google"
    assert error.code == code
    assert error.status == hand_made(name)["status"]
    assert hand_made(name)["body"]["error"]["message"].rstrip(".") in str(error)


def test_a_bad_key_says_where_to_fix_it():
    message = str(_mapped("400-api-key-invalid"))
    assert "GOOGLE_API_KEY" in message and "Vision API" in message


def test_rate_limit_honours_retry_after_when_google_sends_one():
    data = hand_made("429-resource-exhausted")
    error = error_from_response(429, json.dumps(data["body"]).encode(), {"Retry-After": "7"})
    assert isinstance(error, RateLimitError) and error.retry_after == 7.0
    assert _mapped("429-resource-exhausted").retry_after is None


def test_a_body_that_is_not_googles_json():
    error = error_from_response(502, b"<html>Bad Gateway</html>", {})
    assert isinstance(error, BackendUnavailableError)
    assert "<html>Bad Gateway" in str(error)
    assert "empty body" in str(error_from_response(418, b"", {}))


def test_secrets_are_scrubbed_from_messages():
    body = json.dumps({"error": {"code": 400, "message": f"bad key {KEY}"}}).encode()
    error = error_from_response(400, body, {}, secrets=[KEY])
    assert KEY not in str(error) and "**********" in str(error)
    raw = error_from_response(418, f"teapot {KEY} teapot".encode(), {}, secrets=[KEY])
    assert KEY not in str(raw)
    assert KEY[:10] not in str(
        error_from_response(418, b"x" * 70 + KEY.encode(), {}, secrets=[KEY])
    )


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (3, InvalidImageError),
        (4, BackendTimeoutError),
        (7, AuthenticationError),
        (8, RateLimitError),
        (13, BackendUnavailableError),
        (14, BackendUnavailableError),
        (16, AuthenticationError),
        (12, BackendError),
    ],
)
def test_per_image_status_codes(code, cls):
    error = error_from_status({"code": code, "message": "Something."}, source="a.png")
    assert type(error) is cls
    assert "a.png" in str(error)


def test_the_real_per_image_error():
    (response,) = hand_made("200-per-image-error")["body"]["responses"]
    error = error_from_status(response["error"], source="broken.jpg")
    assert isinstance(error, InvalidImageError)
    assert error.source == "broken.jpg" and error.code == "INVALID_ARGUMENT"
    assert "Bad image data" in str(error)


def test_a_per_image_error_of_the_wrong_shape():
    assert type(error_from_status("boom")) is BackendError
    assert type(error_from_status({"code": True})) is BackendError


def test_decode_json_refuses_what_is_not_an_object():
    with pytest.raises(BackendError, match="not JSON"):
        decode_json(200, b"{truncated")
    with pytest.raises(BackendError, match="JSON list"):
        decode_json(200, b"[]")
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(BackendError, match="not JSON"):
        decode_json(200, deep)


def test_raw_answers_are_scrubbed_of_secrets():
    from visionkit.backends.google.errors import scrubbed

    answer = {"labelAnnotations": [{"description": f"x{KEY}y", "score": 0.5}]}
    assert scrubbed(answer, [KEY]) == {
        "labelAnnotations": [{"description": "x**********y", "score": 0.5}]
    }
    assert scrubbed(answer, []) is answer

"""Pure mapping from an Azure error answer to the visionkit error tree.

Azure Computer Vision answers errors as
``{"error": {"code", "message", "innererror": {"code", "message"}}}``; the
outer code is coarse (``InvalidRequest``) and the inner one says what was
wrong (``InvalidImageFormat``), so the inner code is the one kept in
``error.code`` and both appear in the message. Older API versions and the API
gateway in front of the service use a flat ``{"code", "message"}``, and a
proxy may answer HTML or nothing at all; every shape gives a clear error.

The class is chosen from the status first and the code second:

* 403 whose message or code speaks of the call quota ("Out of call volume
  quota for ComputerVision F0 pricing tier") -> :class:`QuotaExceededError`:
  the key is valid, the tier's allowance is spent; 403 is never retried
* 401/403 -> :class:`AuthenticationError`
* 429 -> :class:`RateLimitError` (reached only after the retries ran out)
* 4xx with an image code -> :class:`InvalidImageError`
* code ``Timeout`` -> :class:`BackendTimeoutError`
* 5xx -> :class:`BackendUnavailableError`
* any other 4xx -> :class:`BackendError`
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from visionkit.backends.http import parse_retry_after
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidImageError,
    QuotaExceededError,
    RateLimitError,
    VisionKitError,
)

BACKEND = "azure"
SERVICE = "Azure Computer Vision"
REQUEST_ID_HEADER = "apim-request-id"

IMAGE_ERROR_CODES = frozenset(
    {
        "InvalidImageUrl",
        "InvalidImageFormat",
        "InvalidImageSize",
        "InvalidImageDimension",
        "NotSupportedImage",
        "FailedToProcess",
        "UnsupportedMediaType",
    }
)
"""Inner codes that blame the image, not the request."""


def decode_json(
    status: int, body: bytes, headers: Mapping[str, str], *, operation: str
) -> dict[str, Any]:
    """The JSON object of a successful answer, or a :class:`BackendError` saying what came."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendError(
            f"{SERVICE} answered {operation} with HTTP {status} but the body is not valid JSON "
            f"({exc.msg if isinstance(exc, json.JSONDecodeError) else 'not UTF-8'}; "
            f"{len(body):,} bytes, starting {_excerpt(body)}). The answer was cut short or came "
            f"from a proxy; try again, and check any proxy between you and Azure.",
            backend=BACKEND,
            status=status,
            request_id=headers.get(REQUEST_ID_HEADER),
        ) from exc
    if not isinstance(data, dict):
        raise BackendError(
            f"{SERVICE} answered {operation} with a JSON {type(data).__name__}, not an object.",
            backend=BACKEND,
            status=status,
            request_id=headers.get(REQUEST_ID_HEADER),
        )
    return data


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    operation: str,
    source: str | None = None,
) -> VisionKitError:
    """The visionkit error for a non-2xx Azure answer.

    ``operation`` ("Analyze Image", "Read", ...) and ``source`` (the image, as
    the loader named it) only make the message point at the right thing.
    """
    outer_code, inner_code, message, body_request_id = _parse_error_body(body)
    code = inner_code or outer_code
    request_id = headers.get(REQUEST_ID_HEADER) or body_request_id
    said = _what_azure_said(status, outer_code, inner_code, message, body)
    where = f" for {source}" if source else ""
    common: dict[str, Any] = {
        "backend": BACKEND,
        "status": status,
        "code": code,
        "request_id": request_id,
    }
    ticket = f" (request id {request_id})" if request_id else ""

    if status == 403 and _is_quota(code, outer_code, message):
        return QuotaExceededError(
            f"{SERVICE} refused {operation} because the resource's call quota is used up: "
            f"{said}. The key is valid and retrying now will not help: switch the resource to "
            f"a paid pricing tier in the Azure portal, use another resource's key, or wait "
            f"until the quota renews; a configured fallback backend answers meanwhile.{ticket}",
            retry_after=parse_retry_after(headers.get("Retry-After")),
            **common,
        )
    if status in (401, 403):
        return AuthenticationError(
            f"{SERVICE} rejected the credentials for {operation}: {said}. Check that "
            f"AZURE_VISION_KEY and AZURE_VISION_ENDPOINT come from the same Computer Vision "
            f"resource (Keys and Endpoint page in the Azure portal) and that the key was not "
            f"regenerated.",
            **common,
        )
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = f"Wait {retry_after:g}s as Azure asks" if retry_after is not None else "Wait"
        return RateLimitError(
            f"{SERVICE} is still throttling {operation} after the configured retries: {said}. "
            f"{wait}, then send fewer requests at once (the free tier allows 20 calls a "
            f"minute), or raise max_retries or max_retry_time_s to wait longer automatically.",
            retry_after=retry_after,
            **common,
        )
    if 400 <= status < 500 and code in IMAGE_ERROR_CODES:
        return InvalidImageError(
            f"{SERVICE} could not use the image{where} in {operation}: {said}. Azure takes "
            f"JPEG, PNG, GIF or BMP under 4 MB, 50 to 16,000 pixels per side; an image URL "
            f"must be publicly reachable.",
            source=source,
            **common,
        )
    if code == "Timeout" or status == 408:
        return BackendTimeoutError(
            f"{SERVICE} timed out on {operation}{where}: {said}. Try again, or send a smaller "
            f"image.{ticket}",
            **common,
        )
    if status >= 500:
        return BackendUnavailableError(
            f"{SERVICE} failed on {operation} and kept failing after the configured retries: "
            f"{said}. Try again later; Azure's status page lists outages.{ticket}",
            **common,
        )
    if status == 404:
        return BackendError(
            f"{SERVICE} has no {operation} at this endpoint: {said}. Check AZURE_VISION_ENDPOINT "
            f"(it should look like https://<resource>.cognitiveservices.azure.com/) and that the "
            f"resource is a Computer Vision or multi-service resource.",
            **common,
        )
    return BackendError(
        f"{SERVICE} refused {operation}{where}: {said}.{ticket}",
        **common,
    )


def _is_quota(code: str | None, outer_code: str | None, message: str | None) -> bool:
    """Whether a 403 is about the call quota rather than the credentials."""
    said = " ".join(part for part in (code, outer_code, message) if part)
    return "quota" in said.lower()


def _parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None, str | None]:
    """``(code, inner code, message, request id)`` from any error body shape Azure uses."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, None, None, None
    if not isinstance(data, dict):
        return None, None, None, None
    error = data.get("error", data)
    if not isinstance(error, dict):
        return None, None, str(error), _str(data.get("requestId"))
    inner = error.get("innererror")
    inner = inner if isinstance(inner, dict) else {}
    message = _str(inner.get("message")) or _str(error.get("message"))
    return (
        _str(error.get("code")),
        _str(inner.get("code")),
        message,
        _str(data.get("requestId")) or _str(error.get("requestId")),
    )


def _what_azure_said(
    status: int, code: str | None, inner: str | None, message: str | None, body: bytes
) -> str:
    # The gateway repeats the status as the code ("401"); say each thing once.
    codes = "/".join(dict.fromkeys(c for c in (code, inner) if c and c != str(status)))
    message = message.strip().rstrip(".") if message else None
    if message:
        return f"HTTP {status} {codes}: {message}" if codes else f"HTTP {status}: {message}"
    if codes:
        return f"HTTP {status} {codes}"
    if not body:
        return f"HTTP {status} with an empty body"
    return f"HTTP {status} with a body that is not Azure's error JSON ({_excerpt(body)})"


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _excerpt(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > limit else ""))


__all__ = ["IMAGE_ERROR_CODES", "REQUEST_ID_HEADER", "decode_json", "error_from_response"]

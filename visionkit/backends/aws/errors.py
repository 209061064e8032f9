"""Pure mapping from a Rekognition error answer to the visionkit error tree.

Rekognition (JSON 1.1 protocol) answers errors as ``{"__type": "<Code>",
"Message" | "message": "..."}``. The code, not the status, says what happened:
throttling arrives as HTTP 400 *or* 500, and a 400 can be worth retrying. So
the class is chosen from the code first (botocore's own sets, see
:data:`THROTTLING_CODES`), and from the status only when the body names none
(a proxy's HTML, an empty 503):

* auth codes (``AccessDeniedException``, ``UnrecognizedClientException``,
  ``InvalidSignatureException``, ``ExpiredTokenException``, ...) and 401/403
  -> :class:`AuthenticationError`
* throttling codes -> :class:`RateLimitError` (reached only after the retries ran out)
* ``InvalidImageFormatException``, ``ImageTooLargeException`` -> :class:`InvalidImageError`
* ``InternalServerError``, other 5xx -> :class:`BackendUnavailableError`
* timeouts -> :class:`BackendTimeoutError`
* anything else -> :class:`BackendError`

Nothing here sees a request, so no signature or key can reach a message.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import httpx

from visionkit.backends.http.retry import parse_retry_after
from visionkit.backends.http.shapes import MAX_JSON_DEPTH, too_deep
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidImageError,
    RateLimitError,
    VisionKitError,
)

BACKEND = "aws"
SERVICE = "AWS Rekognition"
REQUEST_ID_HEADER = "x-amzn-RequestId"

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""botocore's standard retry mode's throttling codes (``retries/standard.py``)."""

TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "InternalServerError"})
"""Codes worth another attempt besides throttling (with HTTP 500, 502, 503 and 504)."""

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})

AUTH_CODES = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignature",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "SignatureDoesNotMatch",
    }
)

IMAGE_CODES = frozenset({"InvalidImageFormatException", "ImageTooLargeException"})

_TIMEOUT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException"})


def error_code(body: bytes, headers: Mapping[str, str] | None = None) -> str | None:
    """The short error code of an answer, as botocore reads it, or ``None``.

    ``__type`` may carry a namespace (``com.amazon.coral.service#Unrecognized
    ClientException``) and a suffix after ``:``; only the name between is kept.
    ``x-amzn-ErrorType`` is the fallback when the body names nothing.
    """
    code = _parse_body(body)[0]
    if code is None and headers is not None:
        code = headers.get("x-amzn-ErrorType")
    if not code:
        return None
    return code.rsplit("#", 1)[-1].split(":", 1)[0].strip() or None


def is_retryable(response: httpx.Response) -> bool:
    """botocore's standard-mode rule: throttling and transient codes, and 5xx answers.

    Given to the shared retry loop (:class:`~visionkit.backends.http.RetryPolicy`),
    so Rekognition's HTTP 400 throttling is retried there, once, like any 429.
    """
    if response.is_success:
        return False
    code = error_code(response.content, response.headers)
    if code in THROTTLING_CODES or code in TRANSIENT_CODES:
        return True
    if code in AUTH_CODES or code in IMAGE_CODES:
        return False
    return response.status_code in TRANSIENT_STATUSES or response.status_code == 429


def decode_json(
    status: int, body: bytes, headers: Mapping[str, str], *, operation: str
) -> dict[str, Any]:
    """The JSON object of a successful answer, or a :class:`BackendError` saying what came."""
    request_id = headers.get(REQUEST_ID_HEADER)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 JSON"
        raise BackendError(
            f"{SERVICE} answered {operation} with HTTP {status} but the body is not valid JSON "
            f"({reason}; {len(body):,} bytes, starting {_excerpt(body)}). The answer was cut "
            f"short or came from a proxy; try again, and check any proxy between you and AWS.",
            backend=BACKEND,
            status=status,
            request_id=request_id,
        ) from exc
    if not isinstance(data, dict):
        raise BackendError(
            f"{SERVICE} answered {operation} with a JSON {type(data).__name__}, not an object.",
            backend=BACKEND,
            status=status,
            request_id=request_id,
        )
    if too_deep(data):
        raise BackendError(
            f"{SERVICE} answered {operation} with JSON nested deeper than {MAX_JSON_DEPTH} "
            f"levels; no real answer does. Check any proxy between you and AWS.",
            backend=BACKEND,
            status=status,
            request_id=request_id,
        )
    return data


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    operation: str,
    source: str | None = None,
    redact: Collection[str] = (),
) -> VisionKitError:
    """The visionkit error for a non-2xx Rekognition answer to ``operation``.

    ``redact`` lists secrets to blank out of AWS's message: an
    ``InvalidSignatureException`` quotes the canonical request it expected,
    signed headers included, and the session token is one of them.
    """
    code = error_code(body, headers)
    message = _scrub(_parse_body(body)[1], redact)
    request_id = headers.get(REQUEST_ID_HEADER)
    said = _redact(_what_aws_said(status, code, message, body), redact)
    where = f" for {source}" if source else ""
    ticket = f" (request id {request_id})" if request_id else ""
    common: dict[str, Any] = {
        "backend": BACKEND,
        "status": status,
        "code": code,
        "request_id": request_id,
    }

    if code in AUTH_CODES or (code is None and status in (401, 403)):
        return AuthenticationError(
            f"{SERVICE} rejected the credentials for {operation}: {said}. {_auth_hint(code)}",
            **common,
        )
    if code in THROTTLING_CODES or (code is None and status == 429):
        return RateLimitError(
            f"{SERVICE} is still throttling {operation} after the configured retries: {said}. "
            f"Send fewer requests at once (the quota is per account, region and operation; "
            f"see Service Quotas in the AWS console), or raise aws.max_retries or "
            f"aws.max_retry_time_s to wait longer automatically.",
            retry_after=parse_retry_after(headers.get("Retry-After")),
            **common,
        )
    if code in IMAGE_CODES:
        return InvalidImageError(
            f"{SERVICE} could not use the image{where} in {operation}: {said}. Rekognition "
            f"takes JPEG or PNG, at most 5 MB as bytes, 80 to 10,000 pixels a side; keep "
            f"aws.resize_to_fit on to let visionkit fit it.",
            source=source,
            **common,
        )
    if code in _TIMEOUT_CODES or status == 408:
        return BackendTimeoutError(
            f"{SERVICE} timed out on {operation}{where}: {said}. Try again, or send a smaller "
            f"image.{ticket}",
            **common,
        )
    if status >= 500 or code == "InternalServerError":
        return BackendUnavailableError(
            f"{SERVICE} failed on {operation} and kept failing after the configured retries: "
            f"{said}. Try again later; the AWS Health Dashboard lists outages.{ticket}",
            **common,
        )
    if code == "InvalidParameterException":
        return BackendError(
            f"{SERVICE} refused a parameter of {operation}{where}: {said}. Rekognition also "
            f"answers this for images under 80 pixels a side or with no usable content.{ticket}",
            **common,
        )
    return BackendError(f"{SERVICE} refused {operation}{where}: {said}.{ticket}", **common)


_MAX_MESSAGE = 300


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**********")
    return text


def _scrub(message: str | None, secrets: Iterable[str]) -> str | None:
    if message is None:
        return None
    message = _redact(message, secrets)
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE].rstrip() + "..."
    return message


def _auth_hint(code: str | None) -> str:
    if code == "ExpiredTokenException":
        return (
            "The session token has expired: refresh the credentials (aws sso login, or a new "
            "assume-role), then try again."
        )
    if code == "AccessDeniedException":
        return (
            "The credentials are valid but their IAM policy does not allow this Rekognition "
            "action (e.g. rekognition:DetectLabels); ask an administrator to grant it."
        )
    return (
        "Check the access key (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
        "~/.aws/credentials), that the secret matches the key, that the session token belongs "
        "to them, and that this machine's clock is right (signatures expire after 5 minutes)."
    )


def _parse_body(body: bytes) -> tuple[str | None, str | None]:
    """``(__type, message)`` from any error body, or ``(None, None)`` for non-JSON."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = data.get("__type") or data.get("code") or data.get("Code")
    message = data.get("Message") or data.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )


def _what_aws_said(status: int, code: str | None, message: str | None, body: bytes) -> str:
    message = message.strip().rstrip(".") if message else None
    if message:
        return f"HTTP {status} {code}: {message}" if code else f"HTTP {status}: {message}"
    if code:
        return f"HTTP {status} {code}"
    if not body:
        return f"HTTP {status} with an empty body"
    return f"HTTP {status} with a body that is not AWS's error JSON ({_excerpt(body)})"


def _excerpt(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > limit else ""))


__all__ = [
    "AUTH_CODES",
    "IMAGE_CODES",
    "REQUEST_ID_HEADER",
    "SERVICE",
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "decode_json",
    "error_code",
    "error_from_response",
    "is_retryable",
]

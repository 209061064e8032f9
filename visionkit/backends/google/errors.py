"""Pure mapping from Cloud Vision's error answers to the visionkit error tree.

Google fails in two places, and both are mapped here:

* the whole request, with an HTTP error status and
  ``{"error": {"code": <http>, "message", "status": "PERMISSION_DENIED", "details":
  [{"reason": "API_KEY_INVALID", ...}]}}``; a bad key is a *400* whose reason
  says so, so the class is chosen from ``status`` and ``reason``, not from the
  HTTP code alone;
* one image of a successful (HTTP 200) answer, as a ``google.rpc.Status``
  ``{"code": 3, "message": "Bad image data."}`` in that image's response; it
  fails only that image.

Classes: bad or missing credentials, API not enabled, billing off ->
:class:`AuthenticationError`; ``RESOURCE_EXHAUSTED`` / 429 ->
:class:`RateLimitError` (reached only once the retries ran out);
``INVALID_ARGUMENT`` about the image -> :class:`InvalidImageError`;
``DEADLINE_EXCEEDED`` -> :class:`BackendTimeoutError`; ``INTERNAL`` /
``UNAVAILABLE`` / 5xx -> :class:`BackendUnavailableError`; anything else ->
:class:`BackendError`. Every text taken from the answer has the caller's
secrets removed first, in case a message echoes one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from visionkit.backends.http import parse_retry_after
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

BACKEND = "google"
SERVICE = "Google Cloud Vision"

RPC_CODES: Mapping[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}
"""``google.rpc.Code``: per-image errors carry the number, whole-request ones the name."""

TRANSIENT_IMAGE_CODES = frozenset({4, 13, 14})
"""Per-image codes worth sending that image again (deadline, internal, unavailable)."""

_AUTH_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
        "SERVICE_DISABLED",
        "BILLING_DISABLED",
        "ACCESS_TOKEN_EXPIRED",
        "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        "CREDENTIALS_MISSING",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "IAM_PERMISSION_DENIED",
        "USER_PROJECT_DENIED",
    }
)
_AUTH_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
_IMAGE_WORDS = ("image", "payload", "too large", "exceeds")

_AUTH_FIX = (
    "Check GOOGLE_API_KEY (or google.api_key) is a key of a project with the Cloud Vision "
    "API enabled and billing on, and that its API restrictions allow the Vision API; with a "
    "service account (GOOGLE_APPLICATION_CREDENTIALS), that it may use the API in its project."
)


def decode_json(status: int, body: bytes, *, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object of a successful answer, or a :class:`BackendError` saying what came."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BackendError(
            f"{SERVICE} answered HTTP {status} but the body is not JSON it can read "
            f"({len(body):,} bytes, starting {_excerpt(body, secrets)}). The answer was cut "
            f"short or came from a proxy; try again, and check any proxy between you and Google.",
            backend=BACKEND,
            status=status,
        ) from exc
    if not isinstance(data, dict):
        raise BackendError(
            f"{SERVICE} answered with a JSON {type(data).__name__}, not an object.",
            backend=BACKEND,
            status=status,
        )
    if too_deep(data):
        raise BackendError(
            f"{SERVICE} answered with JSON nested deeper than {MAX_JSON_DEPTH} levels; no real "
            f"answer does. Check any proxy between you and Google.",
            backend=BACKEND,
            status=status,
        )
    return data


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    source: str | None = None,
    secrets: Iterable[str] = (),
) -> VisionKitError:
    """The visionkit error for a non-2xx ``images:annotate`` answer."""
    secrets = tuple(secrets)
    rpc_status, reason, message = _parse_error_body(body)
    said = _scrub(_what_google_said(status, rpc_status, reason, message, body, secrets), secrets)
    code = reason or rpc_status
    common: dict[str, Any] = {"backend": BACKEND, "status": status, "code": code}
    where = f" for {source}" if source else ""

    if (
        status in (401, 403)
        or rpc_status in _AUTH_STATUSES
        or reason in _AUTH_REASONS
        or (message is not None and "api key" in message.lower())
    ):
        return AuthenticationError(
            f"{SERVICE} refused the credentials: {said}. {_AUTH_FIX}", **common
        )
    if status == 429 or rpc_status == "RESOURCE_EXHAUSTED":
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = f"Wait {retry_after:g}s as Google asks" if retry_after is not None else "Wait"
        return RateLimitError(
            f"{SERVICE} is still refusing requests over quota after the configured retries: "
            f"{said}. {wait}, then send fewer requests at once (quotas are per project per "
            f"minute; see IAM & Admin > Quotas), or raise max_retries or max_retry_time_s.",
            retry_after=retry_after,
            **common,
        )
    if status == 504 or rpc_status == "DEADLINE_EXCEEDED":
        return BackendTimeoutError(
            f"{SERVICE} ran out of time{where}: {said}. Try again, or send a smaller image.",
            **common,
        )
    if status >= 500:
        return BackendUnavailableError(
            f"{SERVICE} failed and kept failing after the configured retries: {said}. Try "
            f"again later; status.cloud.google.com lists outages.",
            **common,
        )
    if status == 413 or (
        status == 400 and message is not None and any(w in message.lower() for w in _IMAGE_WORDS)
    ):
        return InvalidImageError(
            f"{SERVICE} could not use the image{where}: {said}. Google takes images up to "
            f"20 MB, and at most 10 MB of JSON per request (about 7 MB of image once base64).",
            source=source,
            **common,
        )
    if status == 404:
        return BackendError(
            f"{SERVICE} has no images:annotate at this address: {said}. Check google.endpoint "
            f"(default https://vision.googleapis.com).",
            **common,
        )
    return BackendError(f"{SERVICE} refused the request{where}: {said}.", **common)


def error_from_status(
    status: Any, *, source: str | None = None, secrets: Iterable[str] = ()
) -> VisionKitError:
    """The visionkit error for one image's ``error`` (a ``google.rpc.Status``) in a 200 answer."""
    secrets = tuple(secrets)
    raw_code = status.get("code") if isinstance(status, Mapping) else None
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    name = RPC_CODES.get(code, "UNKNOWN") if code is not None else "UNKNOWN"
    message = status.get("message") if isinstance(status, Mapping) else None
    text = _scrub(str(message).strip().rstrip("."), secrets) if message else "no message"
    said = f"{name} ({code}): {text}" if code is not None else text
    where = f" for {source}" if source else " for one image"
    common: dict[str, Any] = {"backend": BACKEND, "code": name}
    if code == 3:
        return InvalidImageError(
            f"{SERVICE} could not use the image{where}: {said}. Check that the file is a whole "
            f"JPEG, PNG, GIF, BMP, WEBP, ICO or TIFF image under 20 MB (an image URL must be "
            f"publicly reachable; visionkit downloads URLs itself unless url_mode='pass').",
            source=source,
            **common,
        )
    if code == 4:
        return BackendTimeoutError(
            f"{SERVICE} ran out of time{where}: {said}. Try again.", **common
        )
    if code in (7, 16):
        return AuthenticationError(
            f"{SERVICE} refused access{where}: {said}. {_AUTH_FIX}", **common
        )
    if code == 8:
        return RateLimitError(
            f"{SERVICE} is over quota{where}: {said}. Send fewer requests at once.",
            status=None,
            **common,
        )
    if code in (13, 14):
        return BackendUnavailableError(
            f"{SERVICE} failed{where} and kept failing after the configured retries: {said}. "
            f"Try again later.",
            **common,
        )
    return BackendError(f"{SERVICE} could not analyse the image{where}: {said}.", **common)


def _parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """``(status name, first details reason, message)`` from Google's error JSON, if any."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None, None, None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, str):  # OAuth endpoints answer {"error": "invalid_grant", ...}
        return None, error, _str(data.get("error_description"))
    if not isinstance(error, dict):
        return None, None, None
    reason = None
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            reason = detail["reason"]
            break
    return _str(error.get("status")), reason, _str(error.get("message"))


def _what_google_said(
    status: int,
    rpc_status: str | None,
    reason: str | None,
    message: str | None,
    body: bytes,
    secrets: tuple[str, ...],
) -> str:
    codes = "/".join(c for c in (rpc_status, reason) if c)
    message = message.strip().rstrip(".") if message else None
    if message:
        return f"HTTP {status} {codes}: {message}" if codes else f"HTTP {status}: {message}"
    if codes:
        return f"HTTP {status} {codes}"
    if not body:
        return f"HTTP {status} with an empty body"
    return f"HTTP {status} with a body that is not Google's error JSON ({_excerpt(body, secrets)})"


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**********")
    return text


def scrubbed(answer: Any, secrets: Iterable[str]) -> Any:
    """``answer`` with any secret value replaced, should the service ever echo one."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return answer
    try:
        text = json.dumps(answer)
    except (TypeError, ValueError, RecursionError):
        return None
    for secret in secrets:
        text = text.replace(json.dumps(secret)[1:-1], "**********")
    return json.loads(text)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _excerpt(body: bytes, secrets: Iterable[str], limit: int = 80) -> str:
    # Scrub before cutting, so a secret straddling the cut cannot leave a visible half.
    text = _scrub(body[: limit + 4096].decode("utf-8", "replace"), secrets)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


__all__ = [
    "BACKEND",
    "RPC_CODES",
    "SERVICE",
    "TRANSIENT_IMAGE_CODES",
    "decode_json",
    "error_from_response",
    "error_from_status",
    "scrubbed",
]

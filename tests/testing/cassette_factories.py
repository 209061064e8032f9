"""Building interactions by hand, the way a person writes a cassette file."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from visionkit.testing.cassette import Interaction, RecordedRequest, RecordedResponse

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
"""The first bytes of a PNG: a binary body that is not valid UTF-8."""


def exchange(
    method: str,
    target: str,
    body: Any = None,
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
    request_body: bytes | None = None,
    comment: str | None = None,
) -> Interaction:
    """One interaction: ``target`` is ``/path?query``; a ``body`` other than a string is JSON."""
    url = httpx.URL("https://recorded.example" + target)
    if isinstance(body, str):
        response = RecordedResponse(status, headers, body, "text")
    else:
        json_headers = (("content-type", "application/json"), *headers)
        response = RecordedResponse(status, json_headers, body, "json")
    return Interaction(
        request=RecordedRequest(
            method=method,
            path=url.path,
            query=tuple(sorted(url.params.multi_items())),
            body_sha256=None if request_body is None else hashlib.sha256(request_body).hexdigest(),
            body_length=None if request_body is None else len(request_body),
        ),
        response=response,
        recorded_at="2026-11-29T10:00:00Z",
        comment=comment,
    )

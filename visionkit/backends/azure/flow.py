"""What every Azure flow shares: where it is going, what it sends, how it reads the answer.

A flow (:mod:`visionkit.backends.http.flow`) is a generator that yields the
requests to send and the waits to make and receives the responses; the analyzer
runs it with the sync or the async client. :class:`FlowContext` is everything a
flow may read from its analyzer, so flows are functions, testable without one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import httpx

from visionkit.backends.azure.errors import (
    REQUEST_ID_HEADER,
    SERVICE,
    decode_json,
    error_from_response,
)
from visionkit.backends.azure.options import AzureOptions
from visionkit.backends.azure.preflight import Upload, UploadLimits, lines_to_caller_pixels
from visionkit.backends.azure.requests import AzureRequest, ImageRef
from visionkit.backends.base import only_requested
from visionkit.backends.http import Clock, Flow, Scrubber
from visionkit.backends.http.shapes import (
    MAX_JSON_DEPTH,
    clip_result,
    may_nest_too_deep,
    too_deep,
)
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.images import LoadedImage
from visionkit.results import AnalysisResult, TextLine

_T = TypeVar("_T")

AzureFlow = Flow[AzureRequest, _T]


@dataclass(frozen=True)
class FlowContext:
    """The analyzer's settings a flow reads: endpoint, options, upload limits, clock."""

    backend: str
    endpoint: str
    options: AzureOptions
    analyze_limits: UploadLimits
    read_limits: UploadLimits
    v4: bool
    clock: Clock
    scrubber: Scrubber = field(default_factory=Scrubber)


@dataclass(frozen=True)
class Target:
    """The image as it travels: a URL Azure fetches, or the loaded image and its uploads."""

    url: str | None = None
    image: LoadedImage | None = None
    uploads: dict[UploadLimits, Upload] = field(default_factory=dict)

    def ref(self, limits: UploadLimits) -> ImageRef:
        return self.url if self.url is not None else self.uploads[limits].data

    @property
    def source(self) -> str | None:
        return self.image.source if self.image is not None else self.url


def call(
    request: AzureRequest, operation: str, target: Target, scrubber: Scrubber | None = None
) -> AzureFlow[httpx.Response]:
    """Yield ``request`` to the driver; return its 2xx response or raise the mapped error.

    An error answer is scrubbed of every configured secret (body and headers)
    before it is read, so an echoed key cannot reach the exception.
    """
    response = yield request
    if not isinstance(response, httpx.Response):
        raise TypeError("a flow driver must answer every request with a response")
    if not response.is_success:
        scrub = scrubber or Scrubber()
        raise error_from_response(
            response.status_code,
            scrub.body(response.content),
            scrub.headers(response.headers),
            operation=operation,
            source=target.source,
        )
    return response


def caller_lines(
    ctx: FlowContext, lines: tuple[TextLine, ...], target: Target
) -> tuple[TextLine, ...]:
    if target.image is None:
        return lines
    return lines_to_caller_pixels(lines, target.uploads[ctx.read_limits])


def finish(
    result: AnalysisResult, raw: dict[str, Any], target: Target, features: frozenset[Feature]
) -> AnalysisResult:
    """The final touches every analysis gets, whichever API answered it: the caller's
    image size as metadata, every box clipped to it, ``raw``, and ``None`` for every
    feature not asked for."""
    # The caller's image, not the (possibly resized) upload Azure measured.
    size = target.image.metadata() if target.image is not None else result.metadata
    result = clip_result(result, *(size.width, size.height) if size else (None, None))
    return only_requested(replace(result, metadata=size, raw=raw), features)


def json_body(
    response: httpx.Response, operation: str, scrubber: Scrubber | None = None
) -> dict[str, Any]:
    """The answer's JSON object, depth-checked and scrubbed of every configured secret.

    Everything kept from an answer (the result's fields, ``raw``, and so the
    cache and cassettes) is read from this, never from the bytes.
    """
    request_id = response.headers.get(REQUEST_ID_HEADER)
    scrub = scrubber or Scrubber()
    content = scrub.binary(response.content)
    try:
        data = decode_json(response.status_code, content, response.headers, operation=operation)
    except RecursionError:
        data = None
    if data is None or (may_nest_too_deep(content) and too_deep(data)):
        raise BackendError(
            f"{SERVICE} answered {operation} with JSON nested deeper than {MAX_JSON_DEPTH} "
            f"levels; no real answer does. Check any proxy between you and Azure.",
            backend="azure",
            status=response.status_code,
            request_id=request_id,
        )
    if _plain_utf8(content) and not scrub.found_in(content):
        # Every decoded string is then a piece of ``content``, in which no secret is left:
        # walking the decoded answer again would change nothing.
        return data
    return cast(dict[str, Any], scrub.json(data))


def _plain_utf8(content: bytes) -> bool:
    """UTF-8 JSON without a backslash: no escape can spell a string that is not in the bytes."""
    return b"\\" not in content and json.detect_encoding(content) == "utf-8"


__all__ = [
    "AzureFlow",
    "FlowContext",
    "Target",
    "call",
    "caller_lines",
    "finish",
    "json_body",
]

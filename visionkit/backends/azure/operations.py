"""Azure's single-purpose operations: Describe, Read (text only), Thumbnail, Area of Interest.

Each flow works with either API version where the service offers it: 4.0 answers
Describe and Read within its one call and has smart crops for the area of
interest, but no thumbnail operation.
"""

from __future__ import annotations

from visionkit.backends.azure import imageanalysis4, mapping
from visionkit.backends.azure.analyze import area_of_interest_call, read_flow
from visionkit.backends.azure.analyze4 import v4_call
from visionkit.backends.azure.errors import REQUEST_ID_HEADER, SERVICE
from visionkit.backends.azure.flow import (
    AzureFlow,
    FlowContext,
    Target,
    call,
    caller_lines,
    json_body,
)
from visionkit.backends.azure.requests import describe_request, thumbnail_request
from visionkit.backends.http.shapes import section
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.results import BoundingBox, Caption, TextLine


def text_flow(ctx: FlowContext, target: Target) -> AzureFlow[tuple[TextLine, ...]]:
    if ctx.v4:
        body, _ = yield from v4_call(ctx, target, frozenset({Feature.TEXT}))
        lines = imageanalysis4.analysis_result(body).text or ()
    else:
        body, _ = yield from read_flow(ctx, target)
        lines = mapping.map_read(body)[1]
    return caller_lines(ctx, lines, target)


def describe_flow(
    ctx: FlowContext, target: Target, max_candidates: int
) -> AzureFlow[tuple[Caption, ...]]:
    if ctx.v4:  # 4.0 gives one caption, whatever max_candidates says
        body, _ = yield from v4_call(ctx, target, frozenset({Feature.CAPTION}))
        return imageanalysis4.analysis_result(body).captions or ()
    request = describe_request(
        ctx.endpoint,
        target.ref(ctx.analyze_limits),
        max_candidates=max_candidates,
        language=ctx.options.language,
        model_version=ctx.options.model_version,
    )
    response = yield from call(request, "Describe Image", target, ctx.scrubber)
    body = json_body(response, "Describe Image", ctx.scrubber)
    with section("description", service=SERVICE, backend=ctx.backend):
        found = mapping.captions(mapping.parse_description(body)) or ()
    return tuple(sorted(found, key=lambda c: c.confidence, reverse=True))


def thumbnail_flow(
    ctx: FlowContext, target: Target, width: int, height: int, smart_crop: bool
) -> AzureFlow[bytes]:
    request = thumbnail_request(
        ctx.endpoint,
        target.ref(ctx.analyze_limits),
        width=width,
        height=height,
        smart_crop=smart_crop,
        model_version=ctx.options.model_version,
    )
    response = yield from call(request, "Generate Thumbnail", target, ctx.scrubber)
    if not response.headers.get("Content-Type", "").startswith("image/"):
        raise BackendError(
            f"{SERVICE} answered Generate Thumbnail with "
            f"{response.headers.get('Content-Type') or 'no content type'}, not an image.",
            backend=ctx.backend,
            status=response.status_code,
            request_id=response.headers.get(REQUEST_ID_HEADER),
        )
    return response.content


def area_of_interest_flow(ctx: FlowContext, target: Target) -> AzureFlow[BoundingBox]:
    """The box around the image's subject, in the caller's pixels (one call)."""
    box, _ = yield from area_of_interest_call(ctx, target)
    return box


__all__ = [
    "area_of_interest_flow",
    "describe_flow",
    "text_flow",
    "thumbnail_flow",
]

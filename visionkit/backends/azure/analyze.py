"""Image Analysis 3.2: the Analyze Image call and the operations it is merged with.

Text (``features=["text"]``) is a separate, asynchronous Read operation in 3.2:
submitted, then polled with growing waits until it ends; its lines are merged
into the Analyze result so the caller sees one answer. The area of interest
(``features=["area_of_interest"]``) is the separate Get Area of Interest call,
merged the same way; a failure of either fails the analysis, named by its operation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from visionkit.backends.azure import imageanalysis4, mapping
from visionkit.backends.azure.analyze4 import v4_call
from visionkit.backends.azure.errors import REQUEST_ID_HEADER, SERVICE
from visionkit.backends.azure.flow import (
    AzureFlow,
    FlowContext,
    Target,
    call,
    caller_lines,
    finish,
    json_body,
)
from visionkit.backends.azure.preflight import to_caller_pixels
from visionkit.backends.azure.requests import (
    analyze_request,
    area_of_interest_request,
    needs_analyze,
    read_request,
    read_result_request,
)
from visionkit.backends.http import DeadlineExceeded, Wait
from visionkit.backends.http.shapes import section
from visionkit.errors import BackendError, BackendTimeoutError
from visionkit.features import Feature
from visionkit.results import AnalysisResult, BoundingBox

AREA_OF_INTEREST = "Get Area of Interest"
"""How messages name the ``areaOfInterest`` operation (the v3.2 reference's name)."""

MAX_POLL_INTERVAL_S = 5.0
"""Read polling waits grow by half each time up to this, so long documents cost few polls."""


def analyze_flow(
    ctx: FlowContext, target: Target, features: frozenset[Feature]
) -> AzureFlow[AnalysisResult]:
    """Analyze Image for the visual features, Read for text, merged into one result."""
    raw: dict[str, Any] = {}
    result = AnalysisResult(backend=ctx.backend)
    # Metadata comes free with a local image, or with Read's page size.
    metadata_known = target.image is not None or Feature.TEXT in features
    if needs_analyze(features, metadata_known=metadata_known):
        request = analyze_request(
            ctx.endpoint,
            target.ref(ctx.analyze_limits),
            features,
            language=ctx.options.language,
            model_version=ctx.options.model_version,
        )
        response = yield from call(request, "Analyze Image", target, ctx.scrubber)
        body = json_body(response, "Analyze Image", ctx.scrubber)
        raw["analyze"] = body
        result = mapping.map_analysis(body, request_id=response.headers.get(REQUEST_ID_HEADER))
        if target.image is not None:
            result = to_caller_pixels(result, target.uploads[ctx.analyze_limits])
    if Feature.TEXT in features:
        body, request_id = yield from read_flow(ctx, target)
        raw["read"] = body
        operation, lines = mapping.map_read(body, request_id=request_id)
        result = replace(
            result,
            text=caller_lines(ctx, lines, target),
            metadata=result.metadata or mapping.read_metadata(operation),
            model_version=result.model_version or mapping.read_model_version(operation),
            request_id=result.request_id or request_id,
        )
    if Feature.AREA_OF_INTEREST in features:
        # After Analyze and Read: a flow sends one request at a time. The async analyzer
        # runs area_of_interest_call beside this flow instead (AzureAnalyzer._analyze_async).
        box, raw["areaOfInterest"] = yield from area_of_interest_call(ctx, target)
        result = replace(result, area_of_interest=box)
    return finish(result, raw, target, features)


def read_flow(ctx: FlowContext, target: Target) -> AzureFlow[tuple[dict[str, Any], str | None]]:
    """Submit a Read operation, then poll it with growing waits until it ends."""
    request = read_request(
        ctx.endpoint,
        target.ref(ctx.read_limits),
        language=ctx.options.language,
        model_version=ctx.options.model_version,
    )
    submitted = yield from call(request, "Read", target, ctx.scrubber)
    request_id = submitted.headers.get(REQUEST_ID_HEADER)
    location = submitted.headers.get("Operation-Location")
    if not location:
        raise BackendError(
            f"{SERVICE} accepted the Read request but named no Operation-Location to "
            f"fetch the result from (HTTP {submitted.status_code}).",
            backend=ctx.backend,
            status=submitted.status_code,
            request_id=request_id,
        )
    poll = read_result_request(ctx.endpoint, location)
    clock = ctx.clock
    deadline = clock.now() + ctx.options.read_max_wait_s
    interval = ctx.options.read_poll_interval_s
    status = "notStarted"
    while True:
        try:
            yield Wait(max(min(interval, deadline - clock.now()), 0.0))
        except DeadlineExceeded as exc:
            raise BackendTimeoutError(
                f"{SERVICE}'s Read operation (OCR) was still {status or 'pending'} when the "
                f"call's {exc.deadline_s:g}s deadline came. Raise deadline_s for large "
                f"documents, or try again later.",
                backend=ctx.backend,
                request_id=request_id,
            ) from None
        response = yield from call(poll, "Get Read Result", target, ctx.scrubber)
        body = json_body(response, "Get Read Result", ctx.scrubber)
        status = mapping.read_status(mapping.map_read(body, request_id=request_id)[0])
        if status == "succeeded":
            return body, request_id
        if status == "failed":
            raise BackendError(
                f"{SERVICE} could not read the text in {target.source or 'the image'}: "
                f"the Read operation failed. Check the image is a document or photo with "
                f"legible text, then try again.",
                backend=ctx.backend,
                status=response.status_code,
                code="failed",
                request_id=request_id,
            )
        if clock.now() >= deadline:
            raise BackendTimeoutError(
                f"{SERVICE}'s Read operation was still {status or 'pending'} after "
                f"{ctx.options.read_max_wait_s:g}s. Raise read_max_wait_s for large "
                f"images, or try again later.",
                backend=ctx.backend,
                request_id=request_id,
            )
        interval = min(interval * 1.5, MAX_POLL_INTERVAL_S)


def area_of_interest_call(
    ctx: FlowContext, target: Target
) -> AzureFlow[tuple[BoundingBox, dict[str, Any]]]:
    """Get Area of Interest (3.2) or the first smart crop (4.0): the box around the image's
    subject in the caller's pixels, and the answer's JSON for ``raw``."""
    if ctx.v4:
        body, request_id = yield from v4_call(
            ctx, target, extra_features=(imageanalysis4.SMART_CROPS,)
        )
        with section("smartCropsResult", service=SERVICE, backend=ctx.backend):
            box = imageanalysis4.smart_crop(body)
    else:
        request = area_of_interest_request(
            ctx.endpoint,
            target.ref(ctx.analyze_limits),
            model_version=ctx.options.model_version,
        )
        response = yield from call(request, AREA_OF_INTEREST, target, ctx.scrubber)
        request_id = response.headers.get(REQUEST_ID_HEADER)
        body = json_body(response, AREA_OF_INTEREST, ctx.scrubber)
        with section("areaOfInterest", service=SERVICE, backend=ctx.backend):
            box = mapping.bounding_rect(mapping.parse_area_of_interest(body).area_of_interest)
    if box is None:
        raise BackendError(
            f"{SERVICE} answered {AREA_OF_INTEREST} without an area of interest.",
            backend=ctx.backend,
            request_id=request_id,
        )
    if target.image is None:
        return box, body
    upload = target.uploads[ctx.analyze_limits]
    scaled = BoundingBox.from_xyxy(
        box.x * upload.scale_x,
        box.y * upload.scale_y,
        box.x2 * upload.scale_x,
        box.y2 * upload.scale_y,
    )
    return scaled.clip(target.image.width, target.image.height), body


__all__ = [
    "AREA_OF_INTEREST",
    "MAX_POLL_INTERVAL_S",
    "analyze_flow",
    "area_of_interest_call",
    "read_flow",
]

"""Image Analysis 4.0 (``api="4.0"``): one call for every feature it offers.

The request building and response mapping are pure functions in
:mod:`.imageanalysis4`; this module is the flow that sends the call.
"""

from __future__ import annotations

from typing import Any

from visionkit.backends.azure import imageanalysis4
from visionkit.backends.azure.errors import REQUEST_ID_HEADER
from visionkit.backends.azure.flow import AzureFlow, FlowContext, Target, call, finish, json_body
from visionkit.backends.azure.preflight import to_caller_pixels
from visionkit.features import Feature
from visionkit.results import AnalysisResult


def analyze_v4_flow(
    ctx: FlowContext, target: Target, features: frozenset[Feature]
) -> AzureFlow[AnalysisResult]:
    raw: dict[str, Any] = {}
    result = AnalysisResult(backend=ctx.backend)
    if needs_v4_call(features, metadata_known=target.image is not None):
        body, request_id = yield from v4_call(ctx, target, features)
        raw["analyze"] = body
        result = imageanalysis4.analysis_result(body, request_id=request_id)
        if target.image is not None:
            result = to_caller_pixels(result, target.uploads[ctx.analyze_limits])
    return finish(result, raw, target, features)


def v4_call(
    ctx: FlowContext,
    target: Target,
    features: frozenset[Feature] = frozenset(),
    extra_features: tuple[str, ...] = (),
) -> AzureFlow[tuple[dict[str, Any], str | None]]:
    request = imageanalysis4.analyze_request(
        ctx.endpoint,
        target.ref(ctx.analyze_limits),
        features,
        extra_features=extra_features,
        language=ctx.options.language,
        model_version=ctx.options.model_version,
    )
    response = yield from call(request, "Analyze Image (4.0)", target, ctx.scrubber)
    return json_body(response, "Analyze Image (4.0)", ctx.scrubber), response.headers.get(
        REQUEST_ID_HEADER
    )


def needs_v4_call(features: frozenset[Feature], *, metadata_known: bool) -> bool:
    """Whether any requested feature needs a call (metadata alone may be known locally)."""
    if features & imageanalysis4.FEATURES.keys():
        return True
    return Feature.METADATA in features and not metadata_known


__all__ = ["analyze_v4_flow", "needs_v4_call", "v4_call"]

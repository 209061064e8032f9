"""Pure translation to and from Image Analysis 4.0 (REST ``api-version=2023-10-01``).

Selected with ``api="4.0"``. One call,
``POST {endpoint}/computervision/imageanalysis:analyze``, answers every
feature, OCR included, so there is no polling. 4.0 has no faces, colours,
adult scores, image type, brands, categories, celebrities or landmarks; its
people, dense captions and smart crops have no visionkit feature and stay in
``raw`` (smart crops serve :meth:`AzureAnalyzer.area_of_interest`).

There are no msrest models for 4.0 in the 3.2 SDK, so the JSON is read
directly, defensively: a section missing from the answer is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from visionkit.backends.azure.errors import SERVICE
from visionkit.backends.azure.requests import AzureRequest, ImageRef, image_body
from visionkit.backends.http.shapes import clip_result, finite, section, unit
from visionkit.features import Feature
from visionkit.results import (
    AnalysisResult,
    BoundingBox,
    Caption,
    DetectedObject,
    ImageMetadata,
    Point,
    Tag,
    TextLine,
    Word,
)

API_VERSION = "2023-10-01"

FEATURES: Mapping[Feature, str] = {
    Feature.CAPTION: "caption",
    Feature.OBJECTS: "objects",
    Feature.TAGS: "tags",
    Feature.TEXT: "read",
}
"""visionkit feature -> 4.0 ``features`` value."""

CAPABILITIES: frozenset[Feature] = frozenset({*FEATURES, Feature.METADATA})

SMART_CROPS = "smartCrops"


def analyze_request(
    endpoint: str,
    image: ImageRef,
    features: Iterable[Feature] = (),
    *,
    extra_features: Iterable[str] = (),
    language: str | None = None,
    model_version: str | None = None,
) -> AzureRequest:
    """``POST /computervision/imageanalysis:analyze`` for ``features``.

    Metadata comes with every answer. With nothing else asked for, ``tags``
    (the cheapest feature) is requested, because 4.0 refuses an empty list;
    :func:`analysis_result` callers drop what was not asked for.
    """
    names = [value for feature, value in FEATURES.items() if feature in set(features)]
    names += list(extra_features)
    params = [("api-version", API_VERSION), ("features", ",".join(names or ["tags"]))]
    if language:
        params.append(("language", language))
    if model_version:
        params.append(("model-version", model_version))
    headers, body = image_body(image)
    return AzureRequest(
        "POST",
        f"{endpoint.rstrip('/')}/computervision/imageanalysis:analyze",
        params=tuple(params),
        headers=headers,
        content=body,
    )


def _values(body: Mapping[str, Any], section: str) -> list[dict[str, Any]] | None:
    result = body.get(section)
    if not isinstance(result, dict):
        return None
    values = result.get("values", result.get("blocks"))
    if values is None:
        return []
    if not isinstance(values, list):
        raise TypeError(f"values is a {type(values).__name__}, not a list")
    for value in values:
        if not isinstance(value, dict):
            raise TypeError(f"an entry of values is a {type(value).__name__}, not an object")
    return values


def _text(data: Mapping[str, Any], key: str) -> str:
    """``data[key]`` when it is text (missing: empty); a number or null is a wrong shape."""
    value = data.get(key, "")
    if not isinstance(value, str):
        raise TypeError(f"{key} is a {type(value).__name__}, not text")
    return value


def _unit(value: Any) -> float:
    return unit(value)


def _int(data: Mapping[str, Any], key: str) -> int:
    if key not in data:
        raise KeyError(f"box without {key!r}")
    return round(finite(data[key], key))


def _box(data: Mapping[str, Any] | None) -> BoundingBox | None:
    if not isinstance(data, dict):
        return None
    return BoundingBox(_int(data, "x"), _int(data, "y"), _int(data, "w"), _int(data, "h"))


def _polygon(points: Iterable[Mapping[str, Any]] | None) -> tuple[Point, ...]:
    if points is not None and not isinstance(points, list):
        raise TypeError(f"boundingPolygon is a {type(points).__name__}, not a list")
    return tuple((finite(p["x"], "x"), finite(p["y"], "y")) for p in points or ())


def captions(body: Mapping[str, Any]) -> tuple[Caption, ...] | None:
    caption = body.get("captionResult")
    if not isinstance(caption, dict):
        return None
    return (Caption(_text(caption, "text"), _unit(caption.get("confidence"))),)


def tags(body: Mapping[str, Any]) -> tuple[Tag, ...] | None:
    values = _values(body, "tagsResult")
    if values is None:
        return None
    return tuple(Tag(_text(v, "name"), _unit(v.get("confidence"))) for v in values)


def objects(body: Mapping[str, Any]) -> tuple[DetectedObject, ...] | None:
    """One object per box, named by its most confident tag (4.0 sends one per box today)."""
    values = _values(body, "objectsResult")
    if values is None:
        return None
    found = []
    for value in values:
        box = _box(value.get("boundingBox"))
        labels = [t for t in value.get("tags") or () if isinstance(t, dict)]
        if box is None or not labels:
            continue
        best = max(labels, key=lambda t: _unit(t.get("confidence")))
        found.append(DetectedObject(_text(best, "name"), _unit(best.get("confidence")), box))
    return tuple(found)


def text_lines(body: Mapping[str, Any]) -> tuple[TextLine, ...] | None:
    blocks = _values(body, "readResult")
    if blocks is None:
        return None
    return tuple(
        TextLine(
            text=_text(line, "text"),
            polygon=_polygon(line.get("boundingPolygon")),
            words=tuple(
                Word(
                    _text(word, "text"),
                    _polygon(word.get("boundingPolygon")),
                    None if word.get("confidence") is None else _unit(word["confidence"]),
                )
                for word in line.get("words") or ()
            ),
        )
        for block in blocks
        for line in block.get("lines") or ()
    )


def smart_crop(body: Mapping[str, Any]) -> BoundingBox | None:
    """The first smart crop's box: the region 4.0 judges most important."""
    for value in _values(body, "smartCropsResult") or ():
        box = _box(value.get("boundingBox"))
        if box is not None:
            return box
    return None


def metadata(body: Mapping[str, Any]) -> ImageMetadata | None:
    meta = body.get("metadata")
    if not isinstance(meta, dict) or "width" not in meta or "height" not in meta:
        return None
    width, height = _int(meta, "width"), _int(meta, "height")
    if width <= 0 or height <= 0:
        raise ValueError(f"image size {width}x{height}")
    return ImageMetadata(width, height)


def analysis_result(
    body: Mapping[str, Any], *, raw: Any = None, request_id: str | None = None
) -> AnalysisResult:
    """Every section of a 4.0 answer that has a visionkit field.

    Each is read under :func:`~visionkit.backends.http.shapes.section` (a wrong
    shape is a BackendError naming it); boxes are clipped to the reported size.
    """

    def read(field: str, mapper: Any) -> Any:
        with section(field, service=SERVICE, backend="azure", request_id=request_id):
            return mapper(body)

    meta = read("metadata", metadata)
    version = body.get("modelVersion")
    result = AnalysisResult(
        backend="azure",
        model_version=None if version is None else str(version),
        metadata=meta,
        tags=read("tagsResult", tags),
        objects=read("objectsResult", objects),
        captions=read("captionResult", captions),
        text=read("readResult", text_lines),
        request_id=request_id,
        raw=raw,
    )
    return clip_result(result, *(meta.width, meta.height) if meta else (None, None))


__all__ = [
    "API_VERSION",
    "CAPABILITIES",
    "FEATURES",
    "SMART_CROPS",
    "analysis_result",
    "analyze_request",
    "captions",
    "metadata",
    "objects",
    "smart_crop",
    "tags",
    "text_lines",
]

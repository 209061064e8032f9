"""Pure transforms from one Cloud Vision ``AnnotateImageResponse`` to an AnalysisResult.

Every answer is treated as untrusted JSON: a key can be missing, of the wrong
type, ``NaN`` or outside the image, and none of that may raise anything but a
visionkit error or produce an invalid result. The rules the real responses
demand (``tests/backends/google/fixtures/README.md`` names each source):

* proto3 JSON omits zeros: a vertex ``{"y": 10}`` has ``x = 0``, a colour
  without ``blue`` has blue 0;
* object boxes are *normalised* vertices (0-1), scaled by the size of the image
  that was sent; face, text, logo and landmark boxes are pixel vertices that
  can be negative or past the edge; everything is clipped into the image;
* a face's box is the tight ``fdBoundingPoly`` (the skin box, comparable to
  other backends' face rectangles); the looser ``boundingPoly`` stays in raw;
* SafeSearch likelihoods are strings (REST) or ints (proto clients); a missing
  or ``UNKNOWN`` likelihood is unknown, never 0;
* a feature that ran and found nothing has no key at all, so a requested
  feature whose key is absent is an empty tuple ("looked, found nothing").

Keys are read in REST camelCase, and also in the snake_case of proto-plus
dicts (``bounding_poly``), which is what code using Google's client library
has at hand. The reading helpers are in :mod:`.reading`, colours in
:mod:`.colors` and text in :mod:`.ocr`; this module holds the rest and puts
one result together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from visionkit.backends.google.colors import colors
from visionkit.backends.google.ocr import text_lines as text
from visionkit.backends.google.reading import (
    Size,
    clamp_polygon,
    dropped,
    get,
    list_of,
    logger,
    normalized_box,
    pixel_box,
    text_of,
    unit,
    vertices,
)
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.results import (
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Brand,
    DetectedObject,
    Face,
    ImageMetadata,
    Landmark,
    Tag,
)

BACKEND = "google"

LIKELIHOOD_SCORES: Mapping[str, float | None] = {
    "UNKNOWN": None,
    "VERY_UNLIKELY": 0.1,
    "UNLIKELY": 0.3,
    "POSSIBLE": 0.5,
    "LIKELY": 0.7,
    "VERY_LIKELY": 0.9,
}
"""SafeSearch likelihood -> visionkit score: the middle of five equal bands of [0, 1]."""

_LIKELIHOOD_NAMES = tuple(LIKELIHOOD_SCORES)  # proto enum order: 0 = UNKNOWN ... 5
FLAG_THRESHOLD: float = 0.7
"""A SafeSearch verdict is True at LIKELY or above."""


# -- per feature -----------------------------------------------------------------------


def tags(response: Mapping[str, Any]) -> tuple[Tag, ...]:
    """``labelAnnotations``: name = ``description``, confidence = ``score`` (else topicality)."""
    found = []
    for label in list_of(response, "labelAnnotations"):
        name = text_of(get(label, "description"))
        score = unit(get(label, "score"))
        score = unit(get(label, "topicality")) if score is None else score
        if name is None or score is None:
            dropped("label", label)
            continue
        found.append(Tag(name, score))
    return tuple(found)


def objects(response: Mapping[str, Any], size: Size) -> tuple[DetectedObject, ...]:
    """``localizedObjectAnnotations``: one object each, normalised vertices -> pixels."""
    found = []
    for item in list_of(response, "localizedObjectAnnotations"):
        name = text_of(get(item, "name"))
        score = unit(get(item, "score"))
        box = normalized_box(get(item, "boundingPoly"), size)
        if name is None or score is None or box is None:
            dropped("object", item)
            continue
        found.append(DetectedObject(name, score, box))
    return tuple(found)


def faces(response: Mapping[str, Any], size: Size | None) -> tuple[Face, ...]:
    """``faceAnnotations``: the tight ``fdBoundingPoly`` (``boundingPoly`` if it is missing)."""
    found = []
    for item in list_of(response, "faceAnnotations"):
        box = pixel_box(get(item, "fdBoundingPoly"), size) or pixel_box(
            get(item, "boundingPoly"), size
        )
        if box is None:
            dropped("face", item)
            continue
        found.append(Face(box, confidence=unit(get(item, "detectionConfidence"))))
    return tuple(found)


def _entities(
    response: Mapping[str, Any], key: str, size: Size | None
) -> Iterator[tuple[str, float, BoundingBox | None]]:
    for item in list_of(response, key):
        name = text_of(get(item, "description"))
        score = unit(get(item, "score"))
        if name is None or score is None:
            dropped(key, item)
            continue
        yield name, score, pixel_box(get(item, "boundingPoly"), size)


def brands(response: Mapping[str, Any], size: Size | None) -> tuple[Brand, ...]:
    """``logoAnnotations`` (``mid`` is optional on logos and not needed)."""
    return tuple(Brand(*e) for e in _entities(response, "logoAnnotations", size))


def landmarks(response: Mapping[str, Any], size: Size | None) -> tuple[Landmark, ...]:
    """``landmarkAnnotations``; their latitude/longitude has no field and stays in raw."""
    return tuple(Landmark(*e) for e in _entities(response, "landmarkAnnotations", size))


def likelihood(value: Any) -> float | None:
    """A SafeSearch likelihood (name or proto int) as a score; unknown or missing -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value < len(_LIKELIHOOD_NAMES):
        value = _LIKELIHOOD_NAMES[value]
    return LIKELIHOOD_SCORES.get(value) if isinstance(value, str) else None


def adult(response: Mapping[str, Any]) -> AdultScores:
    """``safeSearchAnnotation``: adult, racy, and gore from ``violence``.

    A likelihood that is missing or ``UNKNOWN`` (2017 answers have no ``racy``)
    is ``None`` for that score alone, never a made-up 0, and is not flagged;
    the likelihoods stay in raw. An answer with no ``safeSearchAnnotation`` at
    all has every score ``None``: asked for and not reported, which is what the
    one rule of :class:`AdultScores` says for every backend.
    """
    annotation = get(response, "safeSearchAnnotation")
    adult_score = likelihood(get(annotation, "adult"))
    racy = likelihood(get(annotation, "racy"))
    gore = likelihood(get(annotation, "violence"))
    if annotation is not None and None in (adult_score, racy, gore):
        logger.info("Google's SafeSearch answer lacks a known likelihood: %.200r", annotation)
    return AdultScores(
        adult=adult_score,
        racy=racy,
        gore=gore,
        is_adult=_flagged(adult_score),
        is_racy=_flagged(racy),
        is_gory=_flagged(gore),
    )


def _flagged(score: float | None) -> bool:
    return score is not None and score >= FLAG_THRESHOLD


# -- whole results ---------------------------------------------------------------------


def analysis_result(
    response: Mapping[str, Any],
    features: frozenset[Feature],
    *,
    metadata: ImageMetadata | None,
    model_version: str | None = None,
    raw: Any = None,
) -> AnalysisResult:
    """The result for one image: every requested feature, the others ``None``.

    ``metadata`` is the size of the image *sent* (Google measures nothing it
    returns); without it, objects (normalised boxes) cannot be placed and
    pixel boxes are not clipped.
    """
    size = (metadata.width, metadata.height) if metadata is not None else None
    wanted = features.__contains__
    if wanted(Feature.OBJECTS) and size is None:
        raise ValueError("objects need the size of the image sent to place normalised boxes")
    return AnalysisResult(
        backend=BACKEND,
        model_version=model_version,
        metadata=metadata if wanted(Feature.METADATA) else None,
        tags=tags(response) if wanted(Feature.TAGS) else None,
        objects=objects(response, size) if wanted(Feature.OBJECTS) and size else None,
        colors=colors(response) if wanted(Feature.COLORS) else None,
        adult=adult(response) if wanted(Feature.ADULT) else None,
        faces=faces(response, size) if wanted(Feature.FACES) else None,
        text=text(response, size) if wanted(Feature.TEXT) else None,
        brands=brands(response, size) if wanted(Feature.BRANDS) else None,
        landmarks=landmarks(response, size) if wanted(Feature.LANDMARKS) else None,
        area_of_interest=area_of_interest(response, size)
        if wanted(Feature.AREA_OF_INTEREST)
        else None,
        raw=raw,
    )


def crop_hint(response: Mapping[str, Any], size: Size | None) -> BoundingBox | None:
    """The first (most confident) ``cropHintsAnnotation.cropHints`` box, in pixels."""
    hints = list_of(get(response, "cropHintsAnnotation"), "cropHints")
    return pixel_box(get(hints[0], "boundingPoly"), size) if hints else None


def area_of_interest(response: Mapping[str, Any], size: Size | None) -> BoundingBox:
    """``CROP_HINTS`` as the area of interest: the first hint's box.

    Google answers every image it could read with at least one hint, so an
    answer without one is malformed, not "found nothing" (a box cannot be empty).
    """
    box = crop_hint(response, size)
    if box is None or box.area == 0:
        raise BackendError(
            "Google Cloud Vision answered CROP_HINTS without a crop hint, so there is no area of "
            "interest to report. Try again; if it persists, leave area_of_interest out.",
            backend=BACKEND,
        )
    return box


__all__ = [
    "BACKEND",
    "FLAG_THRESHOLD",
    "LIKELIHOOD_SCORES",
    "adult",
    "analysis_result",
    "area_of_interest",
    "brands",
    "clamp_polygon",
    "colors",
    "crop_hint",
    "faces",
    "get",
    "landmarks",
    "likelihood",
    "normalized_box",
    "objects",
    "pixel_box",
    "tags",
    "text",
    "unit",
    "vertices",
]

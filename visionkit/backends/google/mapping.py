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
has at hand.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from visionkit.backends.local.colors import (
    ACCENT_MIN_CHROMA,
    BW_CHROMA,
    BW_MAX_COLOURFUL_SHARE,
    DOMINANT_SHARE,
    name_pixels,
    srgb_to_lab,
)
from visionkit.features import Feature
from visionkit.results import (
    COLOR_NAMES,
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Brand,
    ColorScheme,
    DetectedObject,
    Face,
    ImageMetadata,
    Landmark,
    Point,
    Tag,
    TextLine,
    Word,
)

BACKEND = "google"
logger = logging.getLogger("visionkit.backends.google")

Size = tuple[int, int]

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

_LINE_ENDS = frozenset({"LINE_BREAK", "EOL_SURE_SPACE", "HYPHEN"})
_SPACES = frozenset({"SPACE", "SURE_SPACE"})
_TOLERANCE = 1e-6


# -- reading untrusted JSON ------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def get(node: Any, key: str) -> Any:
    """``node[key]`` in camelCase or snake_case; ``None`` when absent or not an object."""
    if not isinstance(node, Mapping):
        return None
    value = node.get(key)
    return node.get(_snake(key)) if value is None else value


def _list(node: Any, key: str) -> list[Any]:
    value = get(node, key)
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _number(value: Any, default: float | None = None) -> float | None:
    """A finite number, or ``default`` when absent; ``None`` when present but unusable."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def unit(value: Any) -> float | None:
    """A score in [0, 1] (float noise clamped), or ``None`` when missing or out of range."""
    number = _number(value)
    if number is None or not -_TOLERANCE <= number <= 1 + _TOLERANCE:
        return None
    return min(max(number, 0.0), 1.0)


def vertices(poly: Any, key: str = "vertices") -> tuple[Point, ...] | None:
    """The polygon's points with omitted coordinates as 0; ``None`` if any is unusable."""
    points = []
    for vertex in _list(poly, key):
        x, y = _number(get(vertex, "x"), 0.0), _number(get(vertex, "y"), 0.0)
        if x is None or y is None:
            return None
        points.append((x, y))
    return tuple(points) if points else None


def clamp_polygon(points: tuple[Point, ...], size: Size | None) -> tuple[Point, ...]:
    if size is None:
        return points
    width, height = size
    return tuple((min(max(x, 0.0), width), min(max(y, 0.0), height)) for x, y in points)


def pixel_box(poly: Any, size: Size | None) -> BoundingBox | None:
    """The box around a pixel polygon, clipped into the image when its size is known."""
    points = vertices(poly)
    if points is None:
        return None
    box = BoundingBox.from_polygon(points)
    return box.clip(*size) if size is not None else box


def normalized_box(poly: Any, size: Size) -> BoundingBox | None:
    """The pixel box of a normalised (0-1) polygon on an image of ``size``."""
    points = vertices(poly, "normalizedVertices")
    if points is None:
        return None
    width, height = size
    scaled = [(min(max(x, 0.0), 1.0) * width, min(max(y, 0.0), 1.0) * height) for x, y in points]
    return BoundingBox.from_polygon(tuple(scaled)).clip(width, height)


def _dropped(feature: str, item: Any) -> None:
    logger.warning("Ignoring a %s entry Google sent in an unusable shape: %.200r", feature, item)


# -- per feature -----------------------------------------------------------------------


def tags(response: Mapping[str, Any]) -> tuple[Tag, ...]:
    """``labelAnnotations``: name = ``description``, confidence = ``score`` (else topicality)."""
    found = []
    for label in _list(response, "labelAnnotations"):
        name = _text(get(label, "description"))
        score = unit(get(label, "score"))
        score = unit(get(label, "topicality")) if score is None else score
        if name is None or score is None:
            _dropped("label", label)
            continue
        found.append(Tag(name, score))
    return tuple(found)


def objects(response: Mapping[str, Any], size: Size) -> tuple[DetectedObject, ...]:
    """``localizedObjectAnnotations``: one object each, normalised vertices -> pixels."""
    found = []
    for item in _list(response, "localizedObjectAnnotations"):
        name = _text(get(item, "name"))
        score = unit(get(item, "score"))
        box = normalized_box(get(item, "boundingPoly"), size)
        if name is None or score is None or box is None:
            _dropped("object", item)
            continue
        found.append(DetectedObject(name, score, box))
    return tuple(found)


def faces(response: Mapping[str, Any], size: Size | None) -> tuple[Face, ...]:
    """``faceAnnotations``: the tight ``fdBoundingPoly`` (``boundingPoly`` if it is missing)."""
    found = []
    for item in _list(response, "faceAnnotations"):
        box = pixel_box(get(item, "fdBoundingPoly"), size) or pixel_box(
            get(item, "boundingPoly"), size
        )
        if box is None:
            _dropped("face", item)
            continue
        found.append(Face(box, confidence=unit(get(item, "detectionConfidence"))))
    return tuple(found)


def _entities(
    response: Mapping[str, Any], key: str, size: Size | None
) -> Iterator[tuple[str, float, BoundingBox | None]]:
    for item in _list(response, key):
        name = _text(get(item, "description"))
        score = unit(get(item, "score"))
        if name is None or score is None:
            _dropped(key, item)
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


def adult(response: Mapping[str, Any]) -> AdultScores | None:
    """``safeSearchAnnotation``: adult, racy, and gore from ``violence``.

    :class:`AdultScores` holds three known scores, so when any of the three
    likelihoods is missing or ``UNKNOWN`` (2017 answers have no ``racy``)
    the result is ``None`` rather than a made-up 0; the likelihoods stay in raw.
    An image without any ``safeSearchAnnotation`` gets ``None`` for the same reason.
    """
    annotation = get(response, "safeSearchAnnotation")
    adult_score = likelihood(get(annotation, "adult"))
    racy = likelihood(get(annotation, "racy"))
    gore = likelihood(get(annotation, "violence"))
    if adult_score is None or racy is None or gore is None:
        if annotation is not None:
            logger.info("Google's SafeSearch answer lacks a known likelihood: %.200r", annotation)
        return None
    return AdultScores(
        adult=adult_score,
        racy=racy,
        gore=gore,
        is_adult=adult_score >= FLAG_THRESHOLD,
        is_racy=racy >= FLAG_THRESHOLD,
        is_gory=gore >= FLAG_THRESHOLD,
    )


def _channel(color: Any, key: str) -> float | None:
    value = _number(get(color, key), 0.0)
    return None if value is None else min(max(value, 0.0), 255.0)


def colors(response: Mapping[str, Any]) -> ColorScheme:
    """``imagePropertiesAnnotation.dominantColors`` as visionkit's colour summary.

    Channels are 0-255 (whatever the ``google.type.Color`` doc says); each
    colour is named with the local backend's table (nearest reference in
    CIELAB, greys by lightness). Dominant colours are the names holding at
    least ``DOMINANT_SHARE`` of the summed ``score``, most first; the accent is
    the colour with the highest ``score x chroma`` among clearly coloured ones
    (else the top colour); black-and-white means at most
    ``BW_MAX_COLOURFUL_SHARE`` of the colours' ``pixelFraction`` is coloured.
    Google has no foreground/background split: both are ``None``.
    """
    rgb, scores, fractions = [], [], []
    props = get(response, "imagePropertiesAnnotation")
    for entry in _list(get(props, "dominantColors"), "colors"):
        channels = [_channel(get(entry, "color"), k) for k in ("red", "green", "blue")]
        score = unit(get(entry, "score"))
        fraction = unit(get(entry, "pixelFraction"))
        if any(c is None for c in channels) or score is None:
            _dropped("colour", entry)
            continue
        rgb.append([round(c or 0.0) for c in channels])
        scores.append(score)
        fractions.append(fraction or 0.0)
    if not rgb:
        return ColorScheme(None, None, (), None, False)
    pixels = np.array(rgb, dtype=np.uint8)
    lab = srgb_to_lab(pixels)
    names = [COLOR_NAMES[int(i)] for i in name_pixels(lab)]
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    weight = np.array(scores)

    per_name: dict[str, float] = {}
    for name, score in zip(names, scores, strict=True):
        per_name[name] = per_name.get(name, 0.0) + score
    total = sum(per_name.values()) or 1.0
    ranked = sorted(per_name, key=lambda n: -per_name[n])
    dominant = tuple(n for n in ranked if per_name[n] / total >= DOMINANT_SHARE) or tuple(
        ranked[:1]
    )

    vivid = chroma >= ACCENT_MIN_CHROMA
    pick = (
        int(np.argmax(np.where(vivid, weight * chroma, -1.0)))
        if vivid.any()
        else int(np.argmax(weight))
    )
    accent = "#{:02X}{:02X}{:02X}".format(*(int(v) for v in pixels[pick]))

    shares = np.array(fractions)
    covered = float(shares.sum())
    colourful = float(shares[chroma >= BW_CHROMA].sum())
    is_bw = covered > 0 and colourful / covered <= BW_MAX_COLOURFUL_SHARE
    return ColorScheme(None, None, dominant, accent, is_bw)


# -- text ------------------------------------------------------------------------------


def _box_polygon(points: Iterable[Point]) -> tuple[Point, ...]:
    box = BoundingBox.from_polygon(tuple(points))
    x1, y1, x2, y2 = (float(v) for v in box.xyxy)
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def _line(words: list[Word], texts: list[str]) -> TextLine:
    points = [p for w in words for p in w.polygon]
    return TextLine("".join(texts).strip(), _box_polygon(points), words=tuple(words))


def _document_lines(full: Any, size: Size | None) -> tuple[TextLine, ...]:
    """Lines rebuilt from ``fullTextAnnotation`` words and their ``detectedBreak``s."""
    lines: list[TextLine] = []
    for page in _list(full, "pages"):
        for block in _list(page, "blocks"):
            for paragraph in _list(block, "paragraphs"):
                words: list[Word] = []
                texts: list[str] = []
                for word in _list(paragraph, "words"):
                    symbols = _list(word, "symbols")
                    pieces = (get(symbol, "text") for symbol in symbols)
                    word_text = "".join(p for p in pieces if isinstance(p, str))
                    points = vertices(get(word, "boundingBox"))
                    if not word_text or points is None:
                        _dropped("word", word)
                        continue
                    kind = get(get(get(symbols[-1], "property"), "detectedBreak"), "type")
                    confidence = unit(get(word, "confidence"))
                    words.append(Word(word_text, clamp_polygon(points, size), confidence))
                    texts.append(word_text + (" " if kind in _SPACES else ""))
                    if kind in _LINE_ENDS:
                        lines.append(_line(words, texts))
                        words, texts = [], []
                if words:
                    lines.append(_line(words, texts))
    return tuple(line for line in lines if line.text)


def _annotation_lines(response: Mapping[str, Any], size: Size | None) -> tuple[TextLine, ...]:
    """Lines from ``textAnnotations``: ``[0]``'s text split on newlines, words in order."""
    annotations = _list(response, "textAnnotations")
    if not annotations:
        return ()
    whole = get(annotations[0], "description")
    whole_poly = vertices(get(annotations[0], "boundingPoly")) or ((0.0, 0.0),)
    words = []
    for item in annotations[1:]:
        word_text = _text(get(item, "description"))
        points = vertices(get(item, "boundingPoly"))
        if word_text is None or points is None:
            _dropped("word", item)
            continue
        words.append(Word(word_text, clamp_polygon(points, size)))
    lines = []
    queue = iter(words)
    pending = next(queue, None)
    for raw_line in (whole if isinstance(whole, str) else "").split("\n"):
        line_text = raw_line.strip()
        if not line_text:
            continue
        need, taken = len(line_text.replace(" ", "")), []
        while pending is not None and need > 0:
            taken.append(pending)
            need -= len(pending.text)
            pending = next(queue, None)
        corners = [p for w in taken for p in w.polygon] or list(clamp_polygon(whole_poly, size))
        lines.append(TextLine(line_text, _box_polygon(corners), words=tuple(taken)))
    return tuple(lines)


def text(response: Mapping[str, Any], size: Size | None) -> tuple[TextLine, ...]:
    """Lines with word polygons: from ``fullTextAnnotation`` when present, else
    ``textAnnotations``. Google gives no line confidence (``None``); document
    text gives word confidences. The detected language has no field (raw keeps it)."""
    full = get(response, "fullTextAnnotation")
    if full is not None:
        lines = _document_lines(full, size)
        if lines:
            return lines
    return _annotation_lines(response, size)


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
        raw=raw,
    )


def crop_hint(response: Mapping[str, Any], size: Size | None) -> BoundingBox | None:
    """The first (most confident) ``cropHintsAnnotation.cropHints`` box, in pixels."""
    hints = _list(get(response, "cropHintsAnnotation"), "cropHints")
    return pixel_box(get(hints[0], "boundingPoly"), size) if hints else None


__all__ = [
    "BACKEND",
    "FLAG_THRESHOLD",
    "LIKELIHOOD_SCORES",
    "adult",
    "analysis_result",
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

"""Pure mapping from Rekognition's JSON to :class:`~visionkit.results.AnalysisResult` parts.

Every answer is treated as untrusted input: a field of the wrong type, a
``NaN``, a confidence outside 0-100 or a box outside the image must not reach
the result. The rules, each tested against real recorded answers:

* confidences are percentages: divided by 100 and checked to lie in [0, 1]
  (float noise up to 100.001 counts as 100);
* boxes and polygons are ratios of the image and can be below 0 or above 1 at
  the edges: they are multiplied by the size of the image the caller passed
  (ratios do not change when visionkit downscales before upload) and clipped
  into it;
* a malformed entry (no name, a bad number) is skipped, not guessed at; it
  stays in ``raw``. A section of the wrong type (``Labels`` not a list) is a
  :class:`~visionkit.errors.BackendError`;
* keys that older answers lack (2017 labels have only ``Name`` and
  ``Confidence``) mean "empty", never an error.

What maps where is in ``docs/backends/aws.md``.

It is over the project's ~400-line guide because each Rekognition operation's answer is
mapped here with the shape checks it needs, one short function per section, read
together against the service's schema.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from visionkit.backends.aws.errors import SERVICE
from visionkit.backends.http.shapes import list_section
from visionkit.backends.local.colors import BW_CHROMA, name_pixels, srgb_to_lab
from visionkit.results import (
    COLOR_NAMES,
    AdultScores,
    BoundingBox,
    Category,
    Celebrity,
    ColorScheme,
    DetectedObject,
    Face,
    ObjectCategory,
    Point,
    Tag,
    TextLine,
    Word,
)

logger = logging.getLogger("visionkit.backends.aws")

_MAX_DEPTH = 16
"""Longest parent chain followed; a longer (or cyclic) one is cut, not looped over."""

ADULT_ROOTS = frozenset({"Explicit", "Explicit Nudity"})
"""Moderation labels whose subtree is the adult score (v7 ``Explicit``; v6 ``Explicit Nudity``)."""

RACY_ROOTS = frozenset(
    {"Non-Explicit Nudity of Intimate parts and Kissing", "Swimwear or Underwear", "Suggestive"}
)
"""The racy score's subtrees (v7's two; v6 ``Suggestive``)."""

GORE_ROOTS = frozenset({"Violence", "Visually Disturbing"})
"""The gore score's subtrees (both taxonomies)."""

FLAG_THRESHOLD = 0.5
"""A moderation score at or above this sets the matching ``is_*`` flag."""


# -- checked readers ---------------------------------------------------------------------


def _items(body: Mapping[str, Any], key: str, operation: str) -> list[dict[str, Any]]:
    """``body[key]`` of ``operation``'s answer, by :func:`list_section`."""
    return list_section(
        body.get(key), key, service=SERVICE, backend="aws", log=logger, operation=operation
    )


def _list(value: Any, key: str) -> list[dict[str, Any]]:
    """A nested list of objects, by :func:`~visionkit.backends.http.shapes.list_section`."""
    return list_section(value, key, service=SERVICE, backend="aws", log=logger)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _name(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def score(value: Any) -> float | None:
    """A 0-100 confidence as 0-1, or ``None`` when it is missing, not a number or out of range."""
    number = _number(value)
    if number is None or number < 0.0 or number > 100.001:
        return None
    return min(number / 100.0, 1.0)


def ratio_box(value: Any, width: int, height: int) -> BoundingBox | None:
    """``{Left, Top, Width, Height}`` ratios as a pixel box clipped into ``width`` x ``height``."""
    if not isinstance(value, dict):
        return None
    parts = [_number(value.get(k)) for k in ("Left", "Top", "Width", "Height")]
    if any(p is None for p in parts):
        return None
    left, top, w, h = (p for p in parts if p is not None)
    if w < 0 or h < 0:
        return None
    x1, y1 = _clamp(left, width), _clamp(top, height)
    x2, y2 = _clamp(left + w, width), _clamp(top + h, height)
    return BoundingBox.from_xyxy(x1, y1, x2, y2)


def _clamp(ratio: float, side: int) -> float:
    return min(max(ratio, 0.0), 1.0) * side


def _point(value: Any, width: int, height: int) -> Point | None:
    if not isinstance(value, dict):
        return None
    x, y = _number(value.get("X")), _number(value.get("Y"))
    if x is None or y is None:
        return None
    return (_clamp(x, width), _clamp(y, height))


# -- DetectLabels ------------------------------------------------------------------------


def _labels(body: Mapping[str, Any]) -> Iterator[tuple[str, float, dict[str, Any]]]:
    for label in _items(body, "Labels", "DetectLabels"):
        name, confidence = _name(label.get("Name")), score(label.get("Confidence"))
        if name is not None and confidence is not None:
            yield name, confidence, label


def _parents(label: Mapping[str, Any]) -> list[str]:
    return [
        n for p in _list(label.get("Parents"), "Parents") if (n := _name(p.get("Name"))) is not None
    ]


class _Taxonomy:
    """The label hierarchy of one answer: each label's parents, nearest first.

    Rekognition lists a label's ancestors alphabetically (``Horse``: ``Animal``,
    ``Mammal``) and returns each ancestor as a label of its own with *its*
    parents. The nearest parent is the one with the most ancestors itself, so
    sorting by that depth turns the flat list into the chain dog -> mammal -> animal.
    """

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.parents: dict[str, list[str]] = {}
        self.confidence: dict[str, float] = {}
        for name, confidence, label in _labels(body):
            self.parents.setdefault(name, _parents(label))
            self.confidence.setdefault(name, confidence)

    def lineage(self, name: str) -> list[str]:
        """``name``'s ancestors, nearest first (ties alphabetical, as AWS lists them)."""
        ancestors = [p for p in self.parents.get(name, []) if p != name]
        depth = {p: len(self.parents.get(p, [])) for p in ancestors}
        return sorted(dict.fromkeys(ancestors), key=lambda p: -depth[p])[:_MAX_DEPTH]

    def chain(self, name: str) -> ObjectCategory | None:
        node: ObjectCategory | None = None
        for ancestor in reversed(self.lineage(name)):
            node = ObjectCategory(ancestor, self.confidence.get(ancestor), node)
        return node


def tags(body: Mapping[str, Any]) -> tuple[Tag, ...]:
    """Every label, parents included (AWS returns each ancestor as its own label).

    ``hint`` is the nearest parent, AWS's own disambiguation ("Horse" for
    "Stallion"); the full list and ``Aliases``/``Categories`` stay in ``raw``.
    """
    taxonomy = _Taxonomy(body)
    found: dict[str, Tag] = {}
    for name, confidence, _ in _labels(body):
        if name not in found:
            lineage = taxonomy.lineage(name)
            found[name] = Tag(name, confidence, lineage[0] if lineage else None)
    return tuple(found.values())


def objects(body: Mapping[str, Any], width: int, height: int) -> tuple[DetectedObject, ...]:
    """One object per ``Instances`` entry of every label, not only the first.

    Labels share boxes (Person, Woman and Adult can frame one person), and each
    is kept: they are different names for what AWS found there.
    """
    taxonomy = _Taxonomy(body)
    found: list[DetectedObject] = []
    for name, label_confidence, label in _labels(body):
        for instance in _list(label.get("Instances"), "Instances"):
            box = ratio_box(instance.get("BoundingBox"), width, height)
            if box is None:
                continue
            confidence = score(instance.get("Confidence"))
            found.append(
                DetectedObject(
                    name,
                    label_confidence if confidence is None else confidence,
                    box,
                    taxonomy.chain(name),
                )
            )
    return tuple(found)


def categories(body: Mapping[str, Any]) -> tuple[Category, ...]:
    """AWS's label categories ("Animals and Pets"), most confident first.

    A category carries no score of its own; its confidence is that of the most
    confident label filed under it.
    """
    best: dict[str, float] = {}
    for _, confidence, label in _labels(body):
        for category in _list(label.get("Categories"), "Categories"):
            name = _name(category.get("Name"))
            if name is not None:
                best[name] = max(best.get(name, 0.0), confidence)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return tuple(Category(name, confidence) for name, confidence in ranked)


def _rgb(color: Mapping[str, Any]) -> tuple[int, int, int] | None:
    channels = [_number(color.get(k)) for k in ("Red", "Green", "Blue")]
    if any(c is None or not 0 <= c <= 255 for c in channels):
        return None
    return tuple(round(c) for c in channels if c is not None)  # type: ignore[return-value]


def _dominant(section: Any) -> list[tuple[tuple[int, int, int], float]]:
    """``(rgb, pixel share)`` of a ``DominantColors`` list, largest share first."""
    if not isinstance(section, dict):
        return []
    found = []
    for color in _list(section.get("DominantColors"), "DominantColors"):
        rgb = _rgb(color)
        share = score(color.get("PixelPercent"))
        if rgb is not None:
            found.append((rgb, share or 0.0))
    return sorted(found, key=lambda item: -item[1])


def color_name(rgb: tuple[int, int, int]) -> str:
    """The nearest of the twelve colour names, by the local backend's table and rule."""
    lab = srgb_to_lab(np.array([rgb], dtype=np.uint8))
    return COLOR_NAMES[int(name_pixels(lab)[0])]


def _chroma(rgb: tuple[int, int, int]) -> float:
    lab = srgb_to_lab(np.array([rgb], dtype=np.uint8))[0]
    return float(math.hypot(lab[1], lab[2]))


def colors(body: Mapping[str, Any]) -> ColorScheme | None:
    """``ImageProperties`` as a colour scheme; ``None`` when the answer has none.

    AWS splits foreground and background, so both are its own top colour. It
    names no accent colour (``None``). Black and white: every dominant colour
    is below the local backend's chroma threshold.
    """
    properties = body.get("ImageProperties")
    if not isinstance(properties, dict):
        return None
    whole = _dominant(properties)
    foreground = _dominant(properties.get("Foreground"))
    background = _dominant(properties.get("Background"))
    names = tuple(dict.fromkeys(color_name(rgb) for rgb, _ in whole))
    return ColorScheme(
        dominant_foreground=color_name(foreground[0][0]) if foreground else None,
        dominant_background=color_name(background[0][0]) if background else None,
        dominant_colors=names,
        accent_color=None,
        is_black_and_white=bool(whole) and all(_chroma(rgb) < BW_CHROMA for rgb, _ in whole),
    )


# -- DetectFaces, DetectText, RecognizeCelebrities ---------------------------------------


def faces(body: Mapping[str, Any], width: int, height: int) -> tuple[Face, ...]:
    """Each ``FaceDetails`` entry's box and confidence (landmarks, pose, quality: ``raw``)."""
    found = []
    for detail in _items(body, "FaceDetails", "DetectFaces"):
        box = ratio_box(detail.get("BoundingBox"), width, height)
        if box is not None:
            found.append(Face(box=box, confidence=score(detail.get("Confidence"))))
    return tuple(found)


def _polygon(detection: Mapping[str, Any], width: int, height: int) -> tuple[Point, ...] | None:
    geometry = detection.get("Geometry")
    if not isinstance(geometry, dict):
        return None
    raw_points = geometry.get("Polygon")
    if isinstance(raw_points, list) and raw_points:
        points = [_point(p, width, height) for p in raw_points]
        if all(p is not None for p in points):
            return tuple(p for p in points if p is not None)
    box = ratio_box(geometry.get("BoundingBox"), width, height)
    if box is None:
        return None
    return ((box.x, box.y), (box.x2, box.y), (box.x2, box.y2), (box.x, box.y2))


def text_lines(body: Mapping[str, Any], width: int, height: int) -> tuple[TextLine, ...]:
    """``LINE`` detections, each with the ``WORD`` detections whose ``ParentId`` is its ``Id``.

    AWS lists lines and words side by side; only lines become result lines, so
    no word is counted twice. A word whose line is missing is dropped (it stays
    in ``raw``). Words are ordered by ``Id``, AWS's reading order.
    """
    lines: dict[int, tuple[str, tuple[Point, ...], float | None]] = {}
    words: dict[int, list[tuple[int, Word]]] = {}
    for detection in _items(body, "TextDetections", "DetectText"):
        text = detection.get("DetectedText")
        ident = detection.get("Id")
        polygon = _polygon(detection, width, height)
        if not isinstance(text, str) or not text or polygon is None:
            continue
        if not isinstance(ident, int) or isinstance(ident, bool):
            continue
        confidence = score(detection.get("Confidence"))
        kind = detection.get("Type")
        if kind == "LINE":
            lines.setdefault(ident, (text, polygon, confidence))
        elif kind == "WORD":
            parent = detection.get("ParentId")
            if isinstance(parent, int) and not isinstance(parent, bool):
                words.setdefault(parent, []).append((ident, Word(text, polygon, confidence)))
    return tuple(
        TextLine(
            text,
            polygon,
            confidence,
            tuple(w for _, w in sorted(words.get(ident, []), key=lambda item: item[0])),
        )
        for ident, (text, polygon, confidence) in sorted(lines.items())
    )


def celebrities(body: Mapping[str, Any], width: int, height: int) -> tuple[Celebrity, ...]:
    """``CelebrityFaces``: name, ``MatchConfidence`` and the face's box.

    ``UnrecognizedFaces`` are faces, not celebrities, and stay in ``raw``.
    """
    found = []
    for celebrity in _items(body, "CelebrityFaces", "RecognizeCelebrities"):
        name, confidence = _name(celebrity.get("Name")), score(celebrity.get("MatchConfidence"))
        if name is None or confidence is None:
            continue
        face = celebrity.get("Face")
        box = ratio_box(face.get("BoundingBox"), width, height) if isinstance(face, dict) else None
        found.append(Celebrity(name, confidence, box))
    return tuple(found)


# -- DetectModerationLabels --------------------------------------------------------------


def _roots(name: str, parent_of: Mapping[str, str]) -> Iterator[str]:
    """``name`` and its ancestors by ``ParentName``, cut at a cycle or :data:`_MAX_DEPTH`."""
    seen: set[str] = set()
    node: str | None = name
    while node and node not in seen and len(seen) < _MAX_DEPTH:
        seen.add(node)
        yield node
        node = parent_of.get(node)


def adult(body: Mapping[str, Any], min_confidence: float) -> AdultScores:
    """Moderation labels as the three scores visionkit has.

    Each score is the highest confidence in its subtrees (:data:`ADULT_ROOTS`,
    :data:`RACY_ROOTS`, :data:`GORE_ROOTS`), found by following ``ParentName``
    up, so the v6 and v7 taxonomies map alike. Rekognition omits every label
    it scores below the request's ``MinConfidence`` (``min_confidence``, 0-1),
    so a kind with no label is ``None``, "below the threshold", not a measured
    0; the threshold is kept as ``reporting_threshold`` to say so. Other labels
    (drugs, alcohol, gambling, hate symbols, rude gestures) and
    ``ContentTypes`` stay in ``raw``.
    """
    labels = [
        (name, confidence, label)
        for label in _items(body, "ModerationLabels", "DetectModerationLabels")
        if (name := _name(label.get("Name"))) is not None
        and (confidence := score(label.get("Confidence"))) is not None
    ]
    parent_of = {
        name: parent
        for name, _, label in labels
        if (parent := _name(label.get("ParentName"))) is not None
    }
    best: dict[str, float | None] = {"adult": None, "racy": None, "gore": None}
    for name, confidence, _ in labels:
        chain = set(_roots(name, parent_of))
        for kind, roots in (("adult", ADULT_ROOTS), ("racy", RACY_ROOTS), ("gore", GORE_ROOTS)):
            if chain & roots:
                best[kind] = max(best[kind] or 0.0, confidence)
    return AdultScores(
        adult=best["adult"],
        racy=best["racy"],
        gore=best["gore"],
        is_adult=_flagged(best["adult"]),
        is_racy=_flagged(best["racy"]),
        is_gory=_flagged(best["gore"]),
        reporting_threshold=min_confidence,
    )


def _flagged(value: float | None) -> bool:
    return value is not None and value >= FLAG_THRESHOLD


# -- versions ----------------------------------------------------------------------------

VERSION_KEYS: Mapping[str, str] = {
    "DetectLabels": "LabelModelVersion",
    "DetectModerationLabels": "ModerationModelVersion",
    "DetectText": "TextModelVersion",
}


def model_version(bodies: Mapping[str, Mapping[str, Any]]) -> str | None:
    """``"DetectLabels 3.0, DetectModerationLabels 7.0"``: each model that named its version."""
    parts = []
    for operation, body in bodies.items():
        key = VERSION_KEYS.get(operation)
        version = body.get(key) if key else None
        if isinstance(version, str) and version.strip():
            parts.append(f"{operation} {version.strip()}")
    return ", ".join(parts) or None


__all__ = [
    "ADULT_ROOTS",
    "FLAG_THRESHOLD",
    "GORE_ROOTS",
    "RACY_ROOTS",
    "adult",
    "categories",
    "celebrities",
    "color_name",
    "colors",
    "faces",
    "model_version",
    "objects",
    "ratio_box",
    "score",
    "tags",
    "text_lines",
]

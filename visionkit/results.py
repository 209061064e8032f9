"""The one result model every backend returns.

Two conventions carry meaning, so that callers can tell "nothing there" from
"nobody looked":

* a field that is ``None`` was not requested, or the backend cannot do it;
* an empty tuple means the backend looked and found nothing.

Coordinates are integer pixels of the analysed image, origin top-left.
Confidences are floats in [0, 1] whatever scale the backend uses; mappers
rescale. Everything here is a frozen, slotted dataclass: results are values
that can be hashed, compared, cached and sent across processes, and
:meth:`AnalysisResult.to_dict` / :meth:`AnalysisResult.from_dict` round-trip
them through JSON without loss (``docs/results.md``; the JSON Schema is
``docs/result.schema.json``, built by :mod:`visionkit.schema`).

It is longer than the project's ~400-line guide on purpose: the model is read
as one page, each class's invariants sit beside its fields, and splitting it
would only make a reader open several files to learn one type.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, TypeVar, Union

SCHEMA_VERSION = "visionkit.result/3"
"""Version 3 added ``area_of_interest``; version 2 let :class:`AdultScores` scores be
``null`` and added its ``reporting_threshold``."""

READABLE_SCHEMAS = frozenset({"visionkit.result/1", "visionkit.result/2", SCHEMA_VERSION})
"""What :meth:`AnalysisResult.from_dict` reads. Every older document is a valid version 3
one: version 1 adult scores are all numbers and ``reporting_threshold`` defaults to
``None``; versions 1 and 2 have no ``area_of_interest`` key, so it loads as ``None``
(not requested)."""

Point = tuple[float, float]
"""An (x, y) vertex of a polygon, in pixels."""


def _check_confidence(owner: str, value: float | None) -> None:
    if value is None:
        return
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0) or math.isnan(value):
        raise ValueError(f"{owner}.confidence must be a float in [0, 1], got {value!r}")


def _check_text(owner: str, field: str, value: object, *, name: bool = False) -> None:
    """A text field holds a ``str``; a name (of a tag, object, brand, ...) a non-blank one.

    Mappers build these from services' answers, so a ``null`` or a number where a name
    belongs must fail here (their wrong-shape handling turns it into a BackendError
    naming the field) rather than become a ``Tag`` whose ``name`` is not text.
    """
    if not isinstance(value, str):
        raise TypeError(f"{owner}.{field} must be a str, got {type(value).__name__}")
    if name and not value.strip():
        raise ValueError(f"{owner}.{field} must not be blank")


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """An axis-aligned box: ``x``, ``y`` of the top-left corner, then its size.

    Vendors disagree on box formats (left/top/width/height, x/y/w/h, corner
    pairs, 0-1 fractions); the constructors and conversions here are the only
    place any of that is handled.
    """

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 0 or self.height < 0:
            raise ValueError(f"BoundingBox size must not be negative: {self!r}")

    @classmethod
    def from_xyxy(cls, x1: float, y1: float, x2: float, y2: float) -> BoundingBox:
        """From corner coordinates (``x2``/``y2`` exclusive), rounding to pixels."""
        left, top = round(min(x1, x2)), round(min(y1, y2))
        return cls(left, top, round(max(x1, x2)) - left, round(max(y1, y2)) - top)

    @classmethod
    def from_normalized(
        cls, x: float, y: float, width: float, height: float, image_width: int, image_height: int
    ) -> BoundingBox:
        """From 0-1 fractions of the image size (as Google and AWS report boxes)."""
        return cls.from_xyxy(
            x * image_width,
            y * image_height,
            (x + width) * image_width,
            (y + height) * image_height,
        )

    @classmethod
    def from_polygon(cls, points: tuple[Point, ...]) -> BoundingBox:
        """The smallest box that holds every vertex of ``points``."""
        if not points:
            raise ValueError("A polygon needs at least one point to have a bounding box")
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return cls.from_xyxy(min(xs), min(ys), max(xs), max(ys))

    @property
    def x2(self) -> int:
        return self.x + self.width

    @property
    def y2(self) -> int:
        return self.y + self.height

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        """``(x1, y1, x2, y2)``, the format of Pillow's ``ImageDraw`` and most detectors."""
        return (self.x, self.y, self.x2, self.y2)

    @property
    def xywh(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.width, self.height)

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)

    def normalized(self, image_width: int, image_height: int) -> tuple[float, float, float, float]:
        """``(x, y, width, height)`` as fractions of the image size."""
        _check_image_size(image_width, image_height)
        return (
            self.x / image_width,
            self.y / image_height,
            self.width / image_width,
            self.height / image_height,
        )

    def normalized_xyxy(
        self, image_width: int, image_height: int
    ) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)`` as fractions of the image size."""
        _check_image_size(image_width, image_height)
        return (
            self.x / image_width,
            self.y / image_height,
            self.x2 / image_width,
            self.y2 / image_height,
        )

    def intersection(self, other: BoundingBox) -> int:
        """Area in pixels shared with ``other``."""
        w = min(self.x2, other.x2) - max(self.x, other.x)
        h = min(self.y2, other.y2) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def iou(self, other: BoundingBox) -> float:
        """Intersection over union, 0 for disjoint boxes, 1 for identical ones."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def clip(self, image_width: int, image_height: int) -> BoundingBox:
        """The part of the box inside the image; services sometimes overshoot the edge."""
        return BoundingBox.from_xyxy(
            min(max(self.x, 0), image_width),
            min(max(self.y, 0), image_height),
            min(max(self.x2, 0), image_width),
            min(max(self.y2, 0), image_height),
        )


def _check_image_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"Image size must be positive to normalise a box, got {width}x{height}")


@dataclass(frozen=True, slots=True)
class Tag:
    """A label for the whole image; ``hint`` is the vendor's disambiguation (e.g. "mammal")."""

    name: str
    confidence: float
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.hint is not None:
            _check_text("Tag", "hint", self.hint)
        _check_text("Tag", "name", self.name, name=True)
        _check_confidence("Tag", self.confidence)


MAX_CATEGORY_DEPTH = 32
"""Most ancestors an :class:`ObjectCategory` may have: deeper chains break ``repr`` and checks."""


@dataclass(frozen=True, slots=True)
class ObjectCategory:
    """A more general name for a detected object, itself with a parent: dog -> mammal -> animal."""

    name: str
    confidence: float | None = None
    parent: ObjectCategory | None = None

    def __post_init__(self) -> None:
        _check_text("ObjectCategory", "name", self.name, name=True)
        _check_confidence("ObjectCategory", self.confidence)
        depth, node = 0, self.parent
        while node is not None:
            depth += 1
            if depth > MAX_CATEGORY_DEPTH:
                raise ValueError(
                    f"ObjectCategory chain is deeper than {MAX_CATEGORY_DEPTH} ancestors"
                )
            node = node.parent


@dataclass(frozen=True, slots=True)
class DetectedObject:
    """One located thing in the image."""

    name: str
    confidence: float
    box: BoundingBox
    parent: ObjectCategory | None = None

    def __post_init__(self) -> None:
        _check_text("DetectedObject", "name", self.name, name=True)
        _check_confidence("DetectedObject", self.confidence)

    @property
    def lineage(self) -> tuple[str, ...]:
        """The object's name followed by each ancestor's: ``("dog", "mammal", "animal")``."""
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return tuple(names)


@dataclass(frozen=True, slots=True)
class Caption:
    """A sentence describing the image."""

    text: str
    confidence: float

    def __post_init__(self) -> None:
        _check_text("Caption", "text", self.text)
        _check_confidence("Caption", self.confidence)


COLOR_NAMES: tuple[str, ...] = (
    "black",
    "blue",
    "brown",
    "gray",
    "green",
    "orange",
    "pink",
    "purple",
    "red",
    "teal",
    "white",
    "yellow",
)
"""The twelve colour names a :class:`ColorScheme` uses: Azure's set, lower case, in its order.

Every backend maps its colours onto these so that colour answers compare across backends.
"""


@dataclass(frozen=True, slots=True)
class ColorScheme:
    """Colour summary with Azure's meaning, so local and cloud results compare.

    Colour names come from a fixed set of twelve (black, blue, brown, gray,
    green, orange, pink, purple, red, teal, white, yellow); ``accent_color`` is
    ``"#RRGGBB"``.
    """

    dominant_foreground: str | None
    dominant_background: str | None
    dominant_colors: tuple[str, ...]
    accent_color: str | None
    is_black_and_white: bool


@dataclass(frozen=True, slots=True)
class AdultScores:
    """Content-moderation scores in [0, 1] (``None``: not reported) and the backend's verdicts.

    One rule for every backend: a score is a number only when the service gave
    one for that category, and ``None`` when it did not; never a made-up 0.
    What "did not" means differs by service, and :attr:`reporting_threshold`
    tells the two cases apart:

    * Azure always scores all three (``reporting_threshold`` is ``None``).
    * Google's SafeSearch gives a likelihood per category; ``UNKNOWN`` or a
      missing one (2017 answers have no ``racy``) is ``None`` for that score
      only, ``reporting_threshold`` ``None``: the score is unknown.
    * AWS Rekognition returns only moderation labels at or above the request's
      ``MinConfidence``; a category with no label is ``None`` and
      ``reporting_threshold`` is that ``MinConfidence``: "below it", not 0.

    The ``is_*`` verdicts are the service's own (Azure) or the score at or
    above the backend's flag threshold (Google: LIKELY, AWS: 0.5); a category
    without a score is never flagged.
    """

    adult: float | None
    racy: float | None
    gore: float | None
    is_adult: bool
    is_racy: bool
    is_gory: bool
    reporting_threshold: float | None = None
    """The lowest score the service reports (AWS: ``MinConfidence``); a ``None``
    score then means "below this". ``None``: every score the service has is given."""

    def __post_init__(self) -> None:
        for name in ("adult", "racy", "gore", "reporting_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"AdultScores.{name} must be in [0, 1], got {value!r}")
        for name, flag in (("adult", "is_adult"), ("racy", "is_racy"), ("gore", "is_gory")):
            if getattr(self, flag) and getattr(self, name) is None:
                raise ValueError(
                    f"AdultScores.{flag} is True but {name} has no score; a category the "
                    f"service did not score cannot be flagged."
                )

    def scores(self) -> dict[str, float | None]:
        """``{"adult": ..., "racy": ..., "gore": ...}``, for code that treats them alike."""
        return {"adult": self.adult, "racy": self.racy, "gore": self.gore}


@dataclass(frozen=True, slots=True)
class ImageType:
    """How drawn the image looks.

    ``clip_art`` runs 0 (not clip art) to 3 (good clip art); ``line_drawing`` is 0 or 1.
    """

    clip_art: int
    line_drawing: int

    def __post_init__(self) -> None:
        if self.clip_art not in (0, 1, 2, 3) or self.line_drawing not in (0, 1):
            raise ValueError(f"ImageType out of range: {self!r}")


@dataclass(frozen=True, slots=True)
class Face:
    """A detected face; ``age``/``gender`` only where the backend still reports them."""

    box: BoundingBox
    confidence: float | None = None
    age: int | None = None
    gender: str | None = None

    def __post_init__(self) -> None:
        _check_confidence("Face", self.confidence)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word and the polygon around it."""

    text: str
    polygon: tuple[Point, ...]
    confidence: float | None = None

    def __post_init__(self) -> None:
        _check_text("Word", "text", self.text)
        _check_confidence("Word", self.confidence)

    @property
    def box(self) -> BoundingBox:
        return BoundingBox.from_polygon(self.polygon)


@dataclass(frozen=True, slots=True)
class TextLine:
    """A line of recognised text (OCR). Polygons keep rotated text exact; ``box`` bounds it."""

    text: str
    polygon: tuple[Point, ...]
    confidence: float | None = None
    words: tuple[Word, ...] = ()

    def __post_init__(self) -> None:
        _check_text("TextLine", "text", self.text)
        _check_confidence("TextLine", self.confidence)

    @property
    def box(self) -> BoundingBox:
        return BoundingBox.from_polygon(self.polygon)


@dataclass(frozen=True, slots=True)
class Brand:
    """A recognised logo or brand, with where it appears."""

    name: str
    confidence: float
    box: BoundingBox | None = None

    def __post_init__(self) -> None:
        _check_text("Brand", "name", self.name, name=True)
        _check_confidence("Brand", self.confidence)


@dataclass(frozen=True, slots=True)
class Category:
    """A coarse scene category from a fixed taxonomy (e.g. Azure's 86 categories)."""

    name: str
    confidence: float

    def __post_init__(self) -> None:
        _check_text("Category", "name", self.name, name=True)
        _check_confidence("Category", self.confidence)


@dataclass(frozen=True, slots=True)
class Celebrity:
    """A recognised well-known person."""

    name: str
    confidence: float
    box: BoundingBox | None = None

    def __post_init__(self) -> None:
        _check_text("Celebrity", "name", self.name, name=True)
        _check_confidence("Celebrity", self.confidence)


@dataclass(frozen=True, slots=True)
class Landmark:
    """A recognised landmark (building, monument, natural site)."""

    name: str
    confidence: float
    box: BoundingBox | None = None

    def __post_init__(self) -> None:
        _check_text("Landmark", "name", self.name, name=True)
        _check_confidence("Landmark", self.confidence)


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    """Size and format of the image that was analysed (after EXIF rotation)."""

    width: int
    height: int
    format: str | None = None


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Everything one backend said about one image.

    ``raw`` keeps the backend's own response (JSON-compatible) so nothing a
    vendor returns is ever out of reach. ``raw`` and ``elapsed_s`` are left out
    of equality and hashing: two analyses that found the same things are equal
    however long each took and however the vendor formatted its answer.
    ``fallback_reason`` is set only when a fallback backend answered because
    the configured one could not (``docs/fallback.md``); ``backend`` names who
    answered. ``abstention`` is set when a backend that knows a closed set of
    classes looked and judged the image to be none of them (so ``tags`` holds no
    class): it says so in words, with the score and threshold behind the decision.
    ``area_of_interest`` is the box around the image's main subject (what a smart
    thumbnail keeps), asked for as ``features=["area_of_interest"]``.
    """

    backend: str
    model_version: str | None = None
    metadata: ImageMetadata | None = None
    tags: tuple[Tag, ...] | None = None
    objects: tuple[DetectedObject, ...] | None = None
    captions: tuple[Caption, ...] | None = None
    colors: ColorScheme | None = None
    adult: AdultScores | None = None
    image_type: ImageType | None = None
    faces: tuple[Face, ...] | None = None
    text: tuple[TextLine, ...] | None = None
    brands: tuple[Brand, ...] | None = None
    categories: tuple[Category, ...] | None = None
    celebrities: tuple[Celebrity, ...] | None = None
    landmarks: tuple[Landmark, ...] | None = None
    area_of_interest: BoundingBox | None = None
    request_id: str | None = None
    elapsed_s: float | None = field(default=None, compare=False)
    fallback_reason: str | None = None
    abstention: str | None = None
    replayed_from: str | None = field(default=None, compare=False)
    raw: Any = field(default=None, compare=False, repr=False)

    # -- conveniences -----------------------------------------------------------------

    @property
    def top_tag(self) -> Tag | None:
        """The most confident tag, or ``None`` when there are no tags.

        Ties go to the earlier tag; backends list specific tags before the
        broader ones derived from them, so equal confidence picks "cat" over "animal".
        """
        if not self.tags:
            return None
        return max(self.tags, key=lambda t: t.confidence)

    @property
    def caption(self) -> Caption | None:
        """The most confident caption, or ``None``."""
        if not self.captions:
            return None
        return max(self.captions, key=lambda c: c.confidence)

    @property
    def full_text(self) -> str | None:
        """All recognised lines joined by newlines, or ``None`` if text was not requested."""
        if self.text is None:
            return None
        return "\n".join(line.text for line in self.text)

    def tags_above(self, threshold: float) -> tuple[Tag, ...]:
        """Tags with confidence >= ``threshold``, most confident first."""
        return tuple(
            sorted(
                (t for t in self.tags or () if t.confidence >= threshold),
                key=lambda t: t.confidence,
                reverse=True,
            )
        )

    def summary(self) -> str:
        """One human line: the caption or the top tags, then colours and objects."""
        parts: list[str] = []
        if self.caption is not None:
            parts.append(f'"{self.caption.text}" ({self.caption.confidence:.0%})')
        elif self.tags:
            top = sorted(self.tags, key=lambda t: t.confidence, reverse=True)[:3]
            parts.append(", ".join(f"{t.name} ({t.confidence:.0%})" for t in top))
        if self.abstention is not None:
            parts.append(self.abstention)
        if self.objects:
            parts.append(f"{len(self.objects)} object{'s' if len(self.objects) != 1 else ''}")
        if self.faces:
            parts.append(f"{len(self.faces)} face{'s' if len(self.faces) != 1 else ''}")
        if self.colors is not None:
            if self.colors.is_black_and_white:
                parts.append("black and white")
            elif self.colors.dominant_colors:
                parts.append("mostly " + "/".join(self.colors.dominant_colors[:2]))
        if self.text:
            parts.append(f"{len(self.text)} line{'s' if len(self.text) != 1 else ''} of text")
        size = f" {self.metadata.width}x{self.metadata.height}" if self.metadata else ""
        body = "; ".join(parts) if parts else "nothing found"
        replayed = f", replayed from {self.replayed_from}" if self.replayed_from else ""
        return f"[{self.backend}{size}{replayed}] {body}"

    def with_timing(self, elapsed_s: float) -> AnalysisResult:
        return replace(self, elapsed_s=elapsed_s)

    # -- serialisation ----------------------------------------------------------------

    def to_dict(self, *, include_raw: bool = True) -> dict[str, Any]:
        """A JSON-compatible dict; ``None`` fields stay as ``null`` (they carry meaning)."""
        data = _encode(self)
        assert isinstance(data, dict)
        if not include_raw:
            data.pop("raw", None)
        return {"schema": SCHEMA_VERSION, **data}

    def to_json(self, *, indent: int | None = None, include_raw: bool = True) -> str:
        return json.dumps(self.to_dict(include_raw=include_raw), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisResult:
        """Rebuild a result from :meth:`to_dict` output (or its JSON, parsed)."""
        schema = data.get("schema", SCHEMA_VERSION)
        if schema not in READABLE_SCHEMAS:
            raise ValueError(
                f"Unsupported result schema {schema!r}; this visionkit reads "
                f"{', '.join(repr(s) for s in sorted(READABLE_SCHEMAS))}"
            )
        body = {k: v for k, v in data.items() if k != "schema"}
        result: AnalysisResult = _decode(cls, body)
        return result

    @classmethod
    def from_json(cls, text: str | bytes) -> AnalysisResult:
        return cls.from_dict(json.loads(text))


# -- generic (de)serialisation driven by the type hints above ---------------------------

_T = TypeVar("_T")


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(tp: Any, value: Any) -> Any:
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner, value)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if isinstance(tp, type) and is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ValueError(f"Expected an object for {tp.__name__}, got {value!r}")
        hints = _hints(tp)
        known = {f.name for f in fields(tp)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"Unknown keys for {tp.__name__}: {sorted(unknown)}")
        return tp(**{k: _decode(hints[k], v) for k, v in value.items()})
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(tp: type) -> dict[str, Any]:
    if tp not in _HINTS:
        _HINTS[tp] = typing.get_type_hints(tp)
    return _HINTS[tp]


def iter_feature_fields() -> Iterator[str]:
    """Names of the result fields that hold a feature's answer (for tables and reports)."""
    skip = {
        "backend",
        "model_version",
        "request_id",
        "elapsed_s",
        "fallback_reason",
        "abstention",
        "replayed_from",
        "raw",
    }
    return (f.name for f in fields(AnalysisResult) if f.name not in skip)


__all__ = [
    "COLOR_NAMES",
    "MAX_CATEGORY_DEPTH",
    "READABLE_SCHEMAS",
    "SCHEMA_VERSION",
    "AdultScores",
    "AnalysisResult",
    "BoundingBox",
    "Brand",
    "Caption",
    "Category",
    "Celebrity",
    "ColorScheme",
    "DetectedObject",
    "Face",
    "ImageMetadata",
    "ImageType",
    "Landmark",
    "ObjectCategory",
    "Point",
    "Tag",
    "TextLine",
    "Word",
]

"""Invariants every :class:`~visionkit.results.AnalysisResult` must hold, as one assertion.

Snapshot tests break whenever a model is retrained; these checks do not,
because they test only what ``visionkit.results`` promises for *any* image
(the approach of the Azure SDK's recorded tests). They check nothing the
model does not promise: for instance tags come in the backend's order, so
their order is not checked.

Checked:

* requested features are present and the others are ``None`` (a ``None`` field
  means "not requested, or the backend cannot", and :meth:`Analyzer.analyze`
  refuses features a backend cannot do before it starts);
* every confidence and score is a number in [0, 1]; a moderation score may be
  ``None`` (not reported), but then its ``is_*`` verdict must be ``False``;
* every box and polygon lies inside the image, when the size is known, and the
  area of interest is not empty;
* colour names are the documented twelve, lower case, and the accent is ``#RRGGBB``;
* the result survives a JSON round trip unchanged.

All failures are collected, so one run shows everything that is wrong.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from visionkit.features import Feature, FeatureLike, parse_features
from visionkit.results import COLOR_NAMES as RESULT_COLOR_NAMES
from visionkit.results import (
    AdultScores,
    AnalysisResult,
    BoundingBox,
    ColorScheme,
    ImageMetadata,
)

COLOR_NAMES = frozenset(RESULT_COLOR_NAMES)
"""The colour names ``ColorScheme`` documents, in lower case (``docs/results.md``)."""

_ACCENT = re.compile(r"^#[0-9A-Fa-f]{6}$")

FEATURE_FIELDS: dict[Feature, str] = {feature: feature.field for feature in Feature}
"""Which :class:`AnalysisResult` field answers each feature (``caption`` is a property)."""


class InvalidResultError(AssertionError):
    """A result broke one or more invariants; ``problems`` lists each, with its location."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"AnalysisResult breaks {len(problems)} invariant(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
        self.problems = problems


def assert_valid_result(
    result: AnalysisResult,
    requested_features: Iterable[FeatureLike] | FeatureLike | None = None,
) -> None:
    """Raise :class:`InvalidResultError` unless ``result`` holds every invariant.

    ``requested_features`` is what was passed to ``analyze``; with ``None``
    presence is not checked, since "everything the backend supports" depends
    on the backend.
    """
    if not isinstance(result, AnalysisResult):
        raise InvalidResultError([f"expected an AnalysisResult, got {type(result).__name__}"])
    problems = [
        *_presence(result, parse_features(requested_features)),
        *_confidences(result),
        *_adult(result.adult),
        *_geometry(result),
        *_colors(result.colors),
        *_round_trip(result),
    ]
    if result.metadata is not None and (result.metadata.width <= 0 or result.metadata.height <= 0):
        problems.append(
            f"metadata: image size must be positive, got {result.metadata.width}x"
            f"{result.metadata.height}"
        )
    if problems:
        raise InvalidResultError(problems)


def _presence(result: AnalysisResult, requested: frozenset[Feature] | None) -> Iterator[str]:
    if requested is None:
        return
    for feature, name in FEATURE_FIELDS.items():
        value = getattr(result, name)
        if feature in requested and value is None:
            yield f"{name}: {feature.value!r} was requested but the result has None"
        elif feature not in requested and value is not None:
            yield f"{name}: {feature.value!r} was not requested, so it must be None"


def _walk(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every dataclass in a result with its location (``objects[2].parent``), ``raw`` excluded."""
    if is_dataclass(value) and not isinstance(value, type):
        yield where, value
        for f in fields(value):
            if f.name != "raw":
                yield from _walk(getattr(value, f.name), f"{where}.{f.name}" if where else f.name)
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def _confidences(result: AnalysisResult) -> Iterator[str]:
    for where, node in _walk(result, ""):
        names = (
            ("adult", "racy", "gore", "reporting_threshold")
            if isinstance(node, AdultScores)
            else ("confidence",)
        )
        for name in names:
            value = getattr(node, name, None)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or math.isnan(value)
                or not 0.0 <= value <= 1.0
            ):
                yield f"{where}.{name}: must be a number in [0, 1], got {value!r}"


def _adult(adult: AdultScores | None) -> Iterator[str]:
    """A verdict needs a score: a category the service did not score cannot be flagged."""
    if adult is None:
        return
    for name, flag in (("adult", "is_adult"), ("racy", "is_racy"), ("gore", "is_gory")):
        if not isinstance(getattr(adult, flag), bool):
            yield f"adult.{flag}: must be a bool, got {getattr(adult, flag)!r}"
        elif getattr(adult, flag) and getattr(adult, name) is None:
            yield f"adult.{flag}: True, but adult.{name} is None (not reported)"


def _geometry(result: AnalysisResult) -> Iterator[str]:
    meta: ImageMetadata | None = result.metadata
    if meta is None or meta.width <= 0 or meta.height <= 0:
        return  # no size to check against (a bad size is reported on its own)
    w, h = meta.width, meta.height
    interest = result.area_of_interest
    if interest is not None and (interest.width == 0 or interest.height == 0):
        yield f"area_of_interest: box {interest.xywh} (x, y, w, h) is empty"
    for where, node in _walk(result, ""):
        if isinstance(node, BoundingBox) and (
            node.x < 0 or node.y < 0 or node.x2 > w or node.y2 > h
        ):
            yield f"{where}: box {node.xyxy} (x1, y1, x2, y2) is outside the {w}x{h} image"
        polygon = getattr(node, "polygon", None)
        if polygon:
            outside = [p for p in polygon if not (0 <= p[0] <= w and 0 <= p[1] <= h)]
            if outside:
                yield f"{where}.polygon: vertices {outside} are outside the {w}x{h} image"


def _colors(colors: ColorScheme | None) -> Iterator[str]:
    if colors is None:
        return
    named = [
        ("colors.dominant_foreground", colors.dominant_foreground),
        ("colors.dominant_background", colors.dominant_background),
        *((f"colors.dominant_colors[{i}]", c) for i, c in enumerate(colors.dominant_colors)),
    ]
    for where, name in named:
        if name is not None and name not in COLOR_NAMES:
            yield f"{where}: {name!r} is not one of {', '.join(sorted(COLOR_NAMES))}"
    if colors.accent_color is not None and not _ACCENT.match(colors.accent_color):
        yield f"colors.accent_color: {colors.accent_color!r} is not '#RRGGBB'"


def _round_trip(result: AnalysisResult) -> Iterator[str]:
    try:
        text = result.to_json()
    except (TypeError, ValueError) as exc:
        yield f"to_json: the result is not JSON-serialisable ({exc})"
        return
    try:
        again = AnalysisResult.from_dict(json.loads(text))
    except (TypeError, ValueError) as exc:
        yield f"from_dict: the result's own JSON does not load back ({exc})"
        return
    if again != result:
        changed = [
            f.name
            for f in fields(result)
            if f.compare and getattr(again, f.name) != getattr(result, f.name)
        ]
        yield f"JSON round trip: fields {', '.join(changed)} differ after to_json/from_dict"


__all__ = ["COLOR_NAMES", "FEATURE_FIELDS", "InvalidResultError", "assert_valid_result"]

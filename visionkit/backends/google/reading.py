"""Reading one untrusted Cloud Vision answer: keys, numbers, vertices and boxes.

Every helper here returns ``None`` (or drops the item) instead of raising when
the service sends a wrong type, ``NaN`` or a missing key, so the mappers never
fail on a malformed answer. Two proto3 rules live here once: omitted numbers
are 0 (a vertex ``{"y": 10}`` has ``x = 0``), and keys may come in REST
camelCase or in the snake_case of proto-plus dicts (``bounding_poly``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from visionkit.backends.google.errors import SERVICE
from visionkit.backends.http.shapes import list_section
from visionkit.results import BoundingBox, Point

logger = logging.getLogger("visionkit.backends.google")

Size = tuple[int, int]
"""Width and height, in pixels, of the image that was sent."""

_TOLERANCE = 1e-6


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def get(node: Any, key: str) -> Any:
    """``node[key]`` in camelCase or snake_case; ``None`` when absent or not an object."""
    if not isinstance(node, Mapping):
        return None
    value = node.get(key)
    return node.get(_snake(key)) if value is None else value


def list_of(node: Any, key: str) -> list[Any]:
    """The objects in ``node[key]``, by :func:`~visionkit.backends.http.shapes.list_section`."""
    return list_section(get(node, key), key, service=SERVICE, backend="google", log=logger)


def number(value: Any, default: float | None = None) -> float | None:
    """A finite number, or ``default`` when absent; ``None`` when present but unusable."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def text_of(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def unit(value: Any) -> float | None:
    """A score in [0, 1] (float noise clamped), or ``None`` when missing or out of range."""
    score = number(value)
    if score is None or not -_TOLERANCE <= score <= 1 + _TOLERANCE:
        return None
    return min(max(score, 0.0), 1.0)


def vertices(poly: Any, key: str = "vertices") -> tuple[Point, ...] | None:
    """The polygon's points with omitted coordinates as 0; ``None`` if any is unusable."""
    points = []
    for vertex in list_of(poly, key):
        x, y = number(get(vertex, "x"), 0.0), number(get(vertex, "y"), 0.0)
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


def dropped(feature: str, item: Any) -> None:
    logger.warning("Ignoring a %s entry Google sent in an unusable shape: %.200r", feature, item)


__all__ = [
    "Size",
    "clamp_polygon",
    "dropped",
    "get",
    "list_of",
    "logger",
    "normalized_box",
    "number",
    "pixel_box",
    "text_of",
    "unit",
    "vertices",
]

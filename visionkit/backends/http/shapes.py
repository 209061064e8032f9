"""Untrusted answers: wrong shapes become BackendErrors, repairable geometry is repaired.

A mapper reads a service's JSON into the result model; when the JSON has the
wrong shape (a string where a number belongs, ``null`` in a list, ``NaN``,
a negative width) Python raises whatever the line it reached raises. Each
mapper runs every section of an answer under :func:`section`, which turns
those into one :class:`~visionkit.errors.BackendError` naming the field and
the request id. Vendor-neutral, so every cloud backend reads answers this way.

Repairs, applied by :func:`clip_result` once the image size is known (the
rules ``docs/errors.md`` documents):

* a box partly outside the image is clipped to it;
* an object, face, brand, celebrity or landmark whose box lies wholly
  outside is dropped, with a warning on the ``visionkit.backends.http`` logger;
* polygon points are moved onto the nearest edge.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from visionkit.errors import BackendError
from visionkit.results import AnalysisResult, BoundingBox, Point, TextLine, Word

logger = logging.getLogger("visionkit.backends.http")

CONFIDENCE_TOLERANCE = 1e-6
"""How far outside [0, 1] a confidence may stray (float noise) and still be clamped."""

WRONG_SHAPE = (
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
)


MAX_JSON_DEPTH = 64
"""Nesting deeper than this is refused: real vision answers nest under ten levels, and
deeper JSON would only reach the recursive code behind it (scrubbing, mapping, caching)."""


def too_deep(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON ``data`` nests past ``limit``, walked without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def may_nest_too_deep(content: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """False when the JSON bytes cannot nest past ``limit`` whatever they hold: they have
    fewer than ``limit`` ``{`` and ``[`` bytes, so fewer containers.

    Counting bytes is a C loop; :func:`too_deep` walks every decoded value, which for
    a small answer costs more than decoding it. Every encoding ``json`` reads
    (UTF-8, -16, -32) writes ``{`` and ``[`` with their ASCII byte, so the count
    is never short of the containers.
    """
    return content.count(b"{") + content.count(b"[") >= limit


def list_section(
    value: Any,
    key: str,
    *,
    service: str,
    backend: str,
    log: logging.Logger,
    operation: str | None = None,
) -> list[Any]:
    """The objects of a list in an answer: absent is none, and entries that are not objects
    are dropped (and counted in a warning on ``log``), but a value that is present and not
    a list is a :class:`BackendError` (naming ``operation`` when given), never "looked,
    found nothing"."""
    if value is None:
        return []
    if not isinstance(value, list):
        answered = f"answered {operation}" if operation else "answered"
        raise BackendError(
            f"{service} {answered} with {key!r} as a {type(value).__name__}, not a list; "
            f"the answer does not match the {service} API.",
            backend=backend,
        )
    entries = [entry for entry in value if isinstance(entry, dict)]
    if len(entries) < len(value):
        log.warning(
            "Dropped %d of the %d entries of %s in %s's answer: they are not objects.",
            len(value) - len(entries),
            len(value),
            key,
            service,
        )
    return entries


@contextmanager
def section(
    field: str, *, service: str, backend: str, request_id: str | None = None
) -> Iterator[None]:
    """Run one section's mapping; a wrong shape becomes a BackendError naming ``field``."""
    try:
        yield
    except BackendError:
        raise
    except Exception as exc:
        if not isinstance(exc, WRONG_SHAPE) and type(exc).__module__.split(".")[0] not in (
            "msrest",
            "azure",
        ):
            raise
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        ticket = f" (request id {request_id})" if request_id else ""
        raise BackendError(
            f"{service} answered with a wrong-shaped {field!r}: {detail}{ticket}. "
            f"This is a service or proxy fault; try again, and report it if it persists.",
            backend=backend,
            code="WrongShape",
            request_id=request_id,
        ) from None


def unit(value: Any, field: str = "confidence") -> float:
    """A confidence in [0, 1]: float noise clamped, anything else (NaN, 1.5, "x") refused."""
    if isinstance(value, bool) or value is None:
        value = 0.0 if value is None else value
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{field} is {number}")
    if -CONFIDENCE_TOLERANCE <= number <= 1 + CONFIDENCE_TOLERANCE:
        return min(max(number, 0.0), 1.0)
    raise ValueError(f"{field} {number} is outside [0, 1]")


def finite(value: Any, field: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{field} is {number}")
    return number


def _clip_box(box: BoundingBox, width: int, height: int) -> BoundingBox | None:
    clipped = box.clip(width, height)
    return clipped if clipped.width > 0 and clipped.height > 0 else None


def _clip_point(point: Point, width: int, height: int) -> Point:
    return (min(max(point[0], 0.0), float(width)), min(max(point[1], 0.0), float(height)))


def _clip_items(items: tuple[Any, ...] | None, width: int, height: int, kind: str) -> Any:
    if items is None:
        return None
    kept = []
    for item in items:
        box = getattr(item, "box", None)
        if box is None:
            kept.append(item)
            continue
        clipped = _clip_box(box, width, height)
        if clipped is None:
            logger.warning(
                "dropped a %s whose box %s lies outside the %dx%d image", kind, box, width, height
            )
            continue
        kept.append(replace(item, box=clipped))
    return tuple(kept)


def _clip_lines(lines: tuple[TextLine, ...] | None, width: int, height: int) -> Any:
    if lines is None:
        return None
    return tuple(
        replace(
            line,
            polygon=tuple(_clip_point(p, width, height) for p in line.polygon),
            words=tuple(
                Word(w.text, tuple(_clip_point(p, width, height) for p in w.polygon), w.confidence)
                for w in line.words
            ),
        )
        for line in lines
    )


def has_geometry(result: AnalysisResult) -> bool:
    """Whether ``result`` holds anything with a box or polygon (objects, faces, text...)."""
    return bool(
        result.objects
        or result.faces
        or result.brands
        or result.celebrities
        or result.landmarks
        or result.text
    )


def clip_result(result: AnalysisResult, width: int | None, height: int | None) -> AnalysisResult:
    """``result`` with every box and polygon inside a ``width`` x ``height`` image.

    With no (or a nonsensical) size, boxes are only kept off negative coordinates.
    """
    if not has_geometry(result):
        return result  # nothing to clip: spare the copy (a tags-only answer, most of a batch)
    if not width or not height or width <= 0 or height <= 0:
        width = height = 10**12
    return replace(
        result,
        objects=_clip_items(result.objects, width, height, "detected object"),
        faces=_clip_items(result.faces, width, height, "face"),
        brands=_clip_items(result.brands, width, height, "brand"),
        celebrities=_clip_items(result.celebrities, width, height, "celebrity"),
        landmarks=_clip_items(result.landmarks, width, height, "landmark"),
        text=_clip_lines(result.text, width, height),
    )


__all__ = [
    "CONFIDENCE_TOLERANCE",
    "MAX_JSON_DEPTH",
    "clip_result",
    "finite",
    "has_geometry",
    "list_section",
    "may_nest_too_deep",
    "section",
    "too_deep",
    "unit",
]

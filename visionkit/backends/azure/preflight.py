"""Fit an image into what the service accepts before a billed call, and map boxes back.

Azure refuses an image outside its documented input limits only after the
upload and a round trip that counts against the rate limit (Analyze Image
3.2: JPEG, PNG, GIF or BMP, under 4 MB, 50 to 16,000 pixels per side; Read
3.2: JPEG, PNG, BMP or TIFF, 50 to 10,000 pixels; Image Analysis 4.0: WEBP
and ICO too, under 20 MB). The shared preflight
(:mod:`visionkit.backends.http.preflight`) checks these limits and turns a
violation into an immediate :class:`~visionkit.errors.InvalidImageError`
naming the limit, or, with ``resize_to_fit`` (the default), into an upload
that fits:

* the original bytes are sent untouched when they already fit, so the
  common case costs nothing and loses nothing;
* otherwise the image is scaled (down past the largest side, up past the
  smallest) and re-encoded (PNG, or JPEG when PNG would be too big; a JPEG
  original as JPEG, quality 90, since its pixels carry JPEG's losses already
  and PNG would cost 3-4x the CPU and the bytes), shrinking further until it is
  under the byte limit.

The service then measures the image it received, so :class:`Upload` keeps the
scale factors and :func:`to_caller_pixels` maps every box and polygon back to
the caller's image: whatever was sent, coordinates always refer to the image
the caller passed (after EXIF rotation, as :class:`~visionkit.images.LoadedImage`
presents it). For the same reason a JPEG whose EXIF tag rotates it is sent
re-encoded from the rotated pixels rather than as is: Azure's boxes are then in
the frame the caller sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from visionkit.backends.http.preflight import Upload, UploadLimits, fit_dimensions, prepare_upload
from visionkit.backends.http.shapes import has_geometry
from visionkit.results import AnalysisResult, BoundingBox, Point, TextLine

_T = TypeVar("_T")


ANALYZE_LIMITS = UploadLimits(
    "Azure Image Analysis 3.2",
    formats=("JPEG", "PNG", "GIF", "BMP"),
    max_bytes=4 * 2**20,
    min_side=50,
    max_side=16_000,
    keep_jpeg=True,
)
IMAGE_ANALYSIS_4_LIMITS = UploadLimits(
    "Azure Image Analysis 4.0",
    formats=("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * 2**20,
    min_side=50,
    max_side=16_000,
    keep_jpeg=True,
)
READ_LIMITS = UploadLimits(
    "Azure Read 3.2",
    formats=("JPEG", "PNG", "BMP", "TIFF"),
    max_bytes=4 * 2**20,
    min_side=50,
    max_side=10_000,
    keep_jpeg=True,
)


# -- mapping coordinates back ------------------------------------------------------------


def _box(box: BoundingBox, sx: float, sy: float) -> BoundingBox:
    return BoundingBox.from_xyxy(box.x * sx, box.y * sy, box.x2 * sx, box.y2 * sy)


def _opt_box(box: BoundingBox | None, sx: float, sy: float) -> BoundingBox | None:
    return None if box is None else _box(box, sx, sy)


def _points(points: tuple[Point, ...], sx: float, sy: float) -> tuple[Point, ...]:
    return tuple((x * sx, y * sy) for x, y in points)


def lines_to_caller_pixels(lines: tuple[TextLine, ...], upload: Upload) -> tuple[TextLine, ...]:
    """OCR polygons measured on ``upload`` as coordinates of the caller's image."""
    if not upload.resized:
        return lines
    sx, sy = upload.scale_x, upload.scale_y
    return tuple(
        replace(
            line,
            polygon=_points(line.polygon, sx, sy),
            words=tuple(replace(w, polygon=_points(w.polygon, sx, sy)) for w in line.words),
        )
        for line in lines
    )


def to_caller_pixels(result: AnalysisResult, upload: Upload) -> AnalysisResult:
    """Every box and polygon of ``result``, measured on ``upload``, on the caller's image."""
    if not upload.resized or not has_geometry(result):
        return result
    sx, sy = upload.scale_x, upload.scale_y
    return replace(
        result,
        objects=_each(result.objects, lambda o: replace(o, box=_box(o.box, sx, sy))),
        faces=_each(result.faces, lambda f: replace(f, box=_box(f.box, sx, sy))),
        brands=_each(result.brands, lambda b: replace(b, box=_opt_box(b.box, sx, sy))),
        celebrities=_each(result.celebrities, lambda c: replace(c, box=_opt_box(c.box, sx, sy))),
        landmarks=_each(result.landmarks, lambda m: replace(m, box=_opt_box(m.box, sx, sy))),
        text=None if result.text is None else lines_to_caller_pixels(result.text, upload),
    )


def _each(items: tuple[_T, ...] | None, fn: Callable[[_T], _T]) -> tuple[_T, ...] | None:
    return None if items is None else tuple(fn(item) for item in items)


__all__ = [
    "ANALYZE_LIMITS",
    "IMAGE_ANALYSIS_4_LIMITS",
    "READ_LIMITS",
    "Upload",
    "UploadLimits",
    "fit_dimensions",
    "lines_to_caller_pixels",
    "prepare_upload",
    "to_caller_pixels",
]

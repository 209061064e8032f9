"""Fit an image into what the service accepts before a billed call, and map boxes back.

Azure refuses an image outside its documented input limits only after the
upload and a round trip that counts against the rate limit (Analyze Image
3.2: JPEG, PNG, GIF or BMP, under 4 MB, 50 to 16,000 pixels per side; Read
3.2: JPEG, PNG, BMP or TIFF, 50 to 10,000 pixels; Image Analysis 4.0: WEBP
and ICO too, under 20 MB). Checking here turns that into an immediate
:class:`~visionkit.errors.InvalidImageError` naming the limit, or, with
``resize_to_fit`` (the default), into an upload that fits:

* the original bytes are sent untouched when they already fit, so the
  common case costs nothing and loses nothing;
* otherwise the image is scaled (down past the largest side, up past the
  smallest) and re-encoded (PNG, or JPEG when PNG would be too big), shrinking
  further until it is under the byte limit.

The service then measures the image it received, so :class:`Upload` keeps the
scale factors and :func:`to_caller_pixels` maps every box and polygon back to
the caller's image: whatever was sent, coordinates always refer to the image
the caller passed (after EXIF rotation, as :class:`~visionkit.images.LoadedImage`
presents it). For the same reason a JPEG whose EXIF tag rotates it is sent
re-encoded from the rotated pixels rather than as is: Azure's boxes are then in
the frame the caller sees.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from PIL import Image, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage
from visionkit.results import AnalysisResult, BoundingBox, Point, TextLine

_EXIF_ORIENTATION = 0x0112
_SHRINK_STEP = 0.8
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one service operation accepts as an uploaded image."""

    operation: str
    formats: tuple[str, ...]
    max_bytes: int
    min_side: int
    max_side: int

    def describe(self) -> str:
        return (
            f"{', '.join(self.formats)} under {self.max_bytes / 2**20:g} MB, "
            f"{self.min_side} to {self.max_side:,} pixels per side"
        )


ANALYZE_LIMITS = UploadLimits(
    "Azure Image Analysis 3.2",
    formats=("JPEG", "PNG", "GIF", "BMP"),
    max_bytes=4 * 2**20,
    min_side=50,
    max_side=16_000,
)
IMAGE_ANALYSIS_4_LIMITS = UploadLimits(
    "Azure Image Analysis 4.0",
    formats=("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF"),
    max_bytes=20 * 2**20,
    min_side=50,
    max_side=16_000,
)
READ_LIMITS = UploadLimits(
    "Azure Read 3.2",
    formats=("JPEG", "PNG", "BMP", "TIFF"),
    max_bytes=4 * 2**20,
    min_side=50,
    max_side=10_000,
)


@dataclass(frozen=True, slots=True)
class Upload:
    """Bytes ready to send, and how to map the service's coordinates back."""

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    scale_x: float = 1.0
    """Caller's pixels per uploaded pixel, horizontally (1.0 when sent as is)."""
    scale_y: float = 1.0

    @property
    def resized(self) -> bool:
        return (self.scale_x, self.scale_y) != (1.0, 1.0)


def prepare_upload(image: LoadedImage, limits: UploadLimits, *, resize_to_fit: bool) -> Upload:
    """The upload for ``image`` under ``limits``; see the module docstring for the rules.

    Raises:
        InvalidImageError: the image is outside ``limits`` and ``resize_to_fit``
            is off, or no size within the limits can hold it (an extreme aspect
            ratio such as 20 x 40,000 pixels).
    """
    size = (image.width, image.height)
    target = fit_dimensions(size, limits, source=image.source)
    data = image.data
    out_of_limits = target != size or (
        data is not None
        and (_canonical(image.format) not in limits.formats or len(data) > limits.max_bytes)
    )
    if out_of_limits and not resize_to_fit:
        raise InvalidImageError(_violation(image, limits), source=image.source, backend="azure")
    if data is not None and not out_of_limits and not _rotated_by_exif(data):
        return Upload(data, _mime(image.format), image.width, image.height)
    # In-memory pixels and EXIF-rotated files are encoded even with resize_to_fit
    # off: that changes no pixel, only how they travel.
    return _reencode(image, target, limits, shrink=resize_to_fit)


def fit_dimensions(
    size: tuple[int, int], limits: UploadLimits, *, source: str = "the image"
) -> tuple[int, int]:
    """``size`` scaled (keeping its aspect ratio) into the side limits; unchanged if inside."""
    width, height = size
    scale = 1.0
    if min(width, height) < limits.min_side:
        scale = limits.min_side / min(width, height)
    if max(width, height) * scale > limits.max_side:
        scale = limits.max_side / max(width, height)
    if scale == 1.0:
        return size
    fitted = (_scaled_side(width, scale), _scaled_side(height, scale))
    if min(fitted) < limits.min_side or max(fitted) > limits.max_side:
        raise InvalidImageError(
            f"{source} is {width}x{height} pixels; {limits.operation} takes "
            f"{limits.min_side} to {limits.max_side:,} pixels per side, and no resize keeping "
            f"the aspect ratio fits both. Crop it first.",
            source=source,
            backend="azure",
        )
    return fitted


def _scaled_side(side: int, scale: float) -> int:
    # Round towards the limit being enforced, so that float error never
    # produces 49 pixels for a minimum of 50 or 16,001 for a maximum of 16,000.
    exact = side * scale
    return math.ceil(exact - 1e-9) if scale > 1 else math.floor(exact + 1e-9)


def _reencode(
    image: LoadedImage, target: tuple[int, int], limits: UploadLimits, *, shrink: bool
) -> Upload:
    """Encode ``image`` at ``target`` size, shrinking 20% at a time while it is too many bytes."""
    size = target
    while True:
        pixels = (
            image.pixels
            if size == (image.width, image.height)
            else image.pixels.resize(size, Image.Resampling.LANCZOS)
        )
        resized = LoadedImage(pixels=pixels, data=None, format=None, source=image.source)
        try:
            data, mime = resized.encode(limits.formats, max_bytes=limits.max_bytes)
        except InvalidImageError:
            smaller = (round(size[0] * _SHRINK_STEP), round(size[1] * _SHRINK_STEP))
            if not shrink or min(smaller) < limits.min_side:
                raise
            size = smaller
            continue
        return Upload(
            data,
            mime,
            size[0],
            size[1],
            scale_x=image.width / size[0],
            scale_y=image.height / size[1],
        )


def _violation(image: LoadedImage, limits: UploadLimits) -> str:
    problems = []
    width, height = image.width, image.height
    if min(width, height) < limits.min_side or max(width, height) > limits.max_side:
        problems.append(
            f"it is {width}x{height} pixels (allowed: {limits.min_side} to "
            f"{limits.max_side:,} per side)"
        )
    if image.data is not None and len(image.data) > limits.max_bytes:
        problems.append(f"it is {len(image.data):,} bytes (allowed: up to {limits.max_bytes:,})")
    if image.data is not None and _canonical(image.format) not in limits.formats:
        problems.append(
            f"it is {image.format or 'an unknown format'} (allowed: {', '.join(limits.formats)})"
        )
    return (
        f"{image.source} cannot be sent to {limits.operation}: {'; '.join(problems)}. "
        f"Set resize_to_fit=true (the default) to let visionkit scale and re-encode it, "
        f"or prepare it yourself."
    )


def _canonical(fmt: str | None) -> str | None:
    # An MPO (multi-picture JPEG from phone cameras) starts with a plain JPEG stream.
    return "JPEG" if fmt == "MPO" else fmt


_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}


def _mime(fmt: str | None) -> str:
    return _MIME.get(_canonical(fmt) or "", "application/octet-stream")


def _rotated_by_exif(data: bytes) -> bool:
    """Whether the file's EXIF orientation differs from as-stored (reads the header only)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
    except (UnidentifiedImageError, OSError, ValueError):
        return False


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
    if not upload.resized:
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

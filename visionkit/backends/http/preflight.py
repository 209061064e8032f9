"""Fit an image into what a cloud service accepts, before the billed call.

Every service refuses an image outside its input limits only after the upload
and a round trip that counts against the quota. Checking here turns that into
an immediate :class:`~visionkit.errors.InvalidImageError` naming the limit, or
into an upload that fits. One procedure for every backend, parameterised by
each service's :class:`UploadLimits` (which formats, how many bytes, how many
pixels a side, and what the backend may change without being asked):

* the original bytes are sent untouched when they already fit, so the common
  case costs nothing and loses nothing;
* a JPEG whose EXIF tag rotates it, and pixels held in memory, are encoded
  from the rotated pixels, so the service's boxes are in the frame the caller
  sees (vendors disagree, even across their own docs, on applying the tag);
* otherwise the image is scaled into the side limits (up past the smallest
  only where the limits allow upscaling) and re-encoded (PNG, or JPEG when PNG
  would be too big; a JPEG original as JPEG first where the limits say
  :attr:`UploadLimits.keep_jpeg`), shrinking 20% at a time while over the byte
  limit.

Resizing needs ``resize_to_fit`` (each backend's option, on by default); a
change of format or compression does too unless the limits say it is free
(:attr:`UploadLimits.reencode_freely`). :class:`Upload` keeps the scale
factors, for a backend whose service answers in the pixels it received.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage
from visionkit.images.encode import encode_for_upload

_EXIF_ORIENTATION = 0x0112
_SHRINK_STEP = 0.8

_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one service operation accepts as an uploaded image, and what may be changed."""

    operation: str
    """How messages name the service: ``"Azure Image Analysis 3.2"``."""
    formats: tuple[str, ...]
    max_bytes: int
    min_side: int = 1
    max_side: int | None = None
    """``None``: the service states no largest side (Google)."""
    backend: str = "azure"
    option: str = "resize_to_fit"
    """The option that allows resizing, as messages name it (``"aws.resize_to_fit"``)."""
    upscale: bool = True
    """Scale an image under ``min_side`` up; ``False`` refuses it (AWS: the answer would
    describe interpolation blur)."""
    reencode_freely: bool = False
    """Change format or compression without ``resize_to_fit`` (it changes no pixel count)."""
    resize: bool = True
    """Ever resize; ``False`` only re-encodes, and refuses what does not fit (Google)."""
    encode_as: tuple[str, ...] | None = None
    """Formats to re-encode into; default :attr:`formats`."""
    keep_jpeg: bool = False
    """Re-encode a JPEG original as JPEG first, not PNG: its pixels carry JPEG's losses
    already, and PNG costs 3-4x the CPU and the bytes (upscaled 50x50 photos: 0.30 ms
    and 4.7 kB against 0.085 ms and 1.3 kB)."""
    byte_note: str = ""
    """Appended to a byte-limit refusal: why the limit is what it is."""

    def describe(self) -> str:
        sides = f"{self.min_side} to {self.max_side:,}" if self.max_side else f"{self.min_side}+"
        return (
            f"{', '.join(self.formats)} under {self.max_bytes / 2**20:g} MB, "
            f"{sides} pixels per side"
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
    reencoded: bool = False
    """The bytes are not the caller's file (another format, size or compression)."""

    @property
    def resized(self) -> bool:
        return (self.scale_x, self.scale_y) != (1.0, 1.0)


def prepare_upload(image: LoadedImage, limits: UploadLimits, *, resize_to_fit: bool) -> Upload:
    """The upload for ``image`` under ``limits``; see the module docstring for the rules.

    Raises:
        InvalidImageError: the image is outside ``limits`` and may not be changed
            to fit, or no size within the limits can hold it (an extreme aspect
            ratio such as 20 x 40,000 pixels).
    """
    size = (image.width, image.height)
    if not limits.upscale and min(size) < limits.min_side:
        raise _error(
            f"{image.source} is {size[0]}x{size[1]} pixels; {limits.operation} needs at least "
            f"{limits.min_side} pixels a side. Use a larger image (visionkit does not upscale: "
            f"the answer would describe interpolation blur).",
            image,
            limits,
        )
    target = fit_dimensions(size, limits, source=image.source)
    data = image.data
    encoding_fits = data is not None and (
        canonical_format(image.format) in limits.formats and len(data) <= limits.max_bytes
    )
    if data is not None and target == size and encoding_fits and not rotated_by_exif(data):
        return Upload(data, mime_type(image.format), image.width, image.height)
    needs_leave = target != size or (
        not limits.reencode_freely and data is not None and not encoding_fits
    )
    if needs_leave and not resize_to_fit:
        raise _error(_violation(image, limits), image, limits)
    # In-memory pixels and EXIF-rotated files are encoded even with resize_to_fit
    # off: that changes no pixel, only how they travel.
    return _reencode(image, target, limits, shrink=resize_to_fit and limits.resize)


def fit_dimensions(
    size: tuple[int, int], limits: UploadLimits, *, source: str = "the image"
) -> tuple[int, int]:
    """``size`` scaled (keeping its aspect ratio) into the side limits; unchanged if inside."""
    width, height = size
    if not limits.resize:
        return size
    scale = 1.0
    if limits.upscale and min(width, height) < limits.min_side:
        scale = limits.min_side / min(width, height)
    if limits.max_side is not None and max(width, height) * scale > limits.max_side:
        scale = limits.max_side / max(width, height)
    if scale == 1.0:
        return size
    fitted = (_scaled_side(width, scale), _scaled_side(height, scale))
    too_big = limits.max_side is not None and max(fitted) > limits.max_side
    if min(fitted) < limits.min_side or too_big:
        raise InvalidImageError(
            f"{source} is {width}x{height} pixels; {limits.operation} takes "
            f"{limits.min_side} to {limits.max_side or 0:,} pixels per side, and no resize "
            f"keeping the aspect ratio fits both. Crop it first.",
            source=source,
            backend=limits.backend,
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
            data, mime = encode_for_upload(
                resized,
                limits.encode_as or limits.formats,
                max_bytes=limits.max_bytes,
                prefer=_kept_format(image, limits),
            )
        except InvalidImageError as exc:
            smaller = (round(size[0] * _SHRINK_STEP), round(size[1] * _SHRINK_STEP))
            if not shrink or min(smaller) < limits.min_side:
                hint = limits.resize and not shrink
                raise _error(_too_many_bytes(exc, limits, may_shrink=hint), image, limits) from exc
            size = smaller
            continue
        return Upload(
            data,
            mime,
            size[0],
            size[1],
            scale_x=image.width / size[0],
            scale_y=image.height / size[1],
            reencoded=True,
        )


def _kept_format(image: LoadedImage, limits: UploadLimits) -> str | None:
    """The format to try first when re-encoding, if the limits keep the original's."""
    return "JPEG" if limits.keep_jpeg and canonical_format(image.format) == "JPEG" else None


def _too_many_bytes(exc: InvalidImageError, limits: UploadLimits, *, may_shrink: bool) -> str:
    hint = f"; set {limits.option}=true to let visionkit shrink it" if may_shrink else ""
    note = f" {limits.byte_note}" if limits.byte_note else ""
    return f"{exc} {limits.operation} takes at most {limits.max_bytes:,} bytes{hint}.{note}"


def _violation(image: LoadedImage, limits: UploadLimits) -> str:
    problems = []
    width, height = image.width, image.height
    too_big = limits.max_side is not None and max(width, height) > limits.max_side
    if min(width, height) < limits.min_side or too_big:
        problems.append(
            f"it is {width}x{height} pixels (allowed: {limits.min_side} to "
            f"{limits.max_side or 0:,} per side)"
        )
    if image.data is not None and len(image.data) > limits.max_bytes:
        problems.append(f"it is {len(image.data):,} bytes (allowed: up to {limits.max_bytes:,})")
    if image.data is not None and canonical_format(image.format) not in limits.formats:
        problems.append(
            f"it is {image.format or 'an unknown format'} (allowed: {', '.join(limits.formats)})"
        )
    return (
        f"{image.source} cannot be sent to {limits.operation}: {'; '.join(problems)}. "
        f"Set {limits.option}=true (the default) to let visionkit scale and re-encode it, "
        f"or prepare it yourself."
    )


def _error(message: str, image: LoadedImage, limits: UploadLimits) -> InvalidImageError:
    return InvalidImageError(message, source=image.source, backend=limits.backend)


def canonical_format(fmt: str | None) -> str | None:
    """``fmt`` as the services know it: an MPO (multi-picture JPEG from phone cameras)
    starts with a plain JPEG stream, so it is a JPEG."""
    return "JPEG" if fmt == "MPO" else fmt


def mime_type(fmt: str | None) -> str:
    return _MIME.get(canonical_format(fmt) or "", "application/octet-stream")


def rotated_by_exif(data: bytes) -> bool:
    """Whether the file's EXIF orientation differs from as-stored (reads the header only)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


__all__ = [
    "Upload",
    "UploadLimits",
    "canonical_format",
    "fit_dimensions",
    "mime_type",
    "prepare_upload",
    "rotated_by_exif",
]

"""Fit an image into what Rekognition accepts before a billed call.

Rekognition takes JPEG or PNG only, at most 5 MB as ``Image.Bytes``, at
least 80 and at most 10,000 pixels a side, and refuses anything else only
after the upload. Checking here turns that into an immediate
:class:`~visionkit.errors.InvalidImageError`, or into an upload that fits:

* the original bytes go untouched when they already fit;
* other formats (GIF, BMP, WEBP, TIFF) and in-memory pixels are encoded as PNG,
  or JPEG when PNG would be over 5 MB;
* an image over 10,000 pixels a side is downscaled, and one still over 5 MB
  shrinks 20% at a time (only with ``resize_to_fit``, the default);
* an image under 80 pixels a side is an error: upscaling would invent detail
  and Rekognition's answer would describe the blur.

A JPEG whose EXIF tag rotates it is sent re-encoded from the rotated pixels,
so AWS sees the image the caller sees (its documentation has disagreed across
versions on whether it applies the tag itself). Rekognition's boxes are ratios
of the image, so they need no mapping back: the analyzer multiplies them by
the caller's size.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage

FORMATS = ("JPEG", "PNG")
MAX_BYTES = 5 * 2**20
"""``ImageBlob``'s limit in the API model: 5,242,880 bytes, before base64."""
MIN_SIDE = 80
MAX_SIDE = 10_000

_SHRINK_STEP = 0.8
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class Upload:
    """The bytes to send and the size they decode to."""

    data: bytes = field(repr=False)
    width: int
    height: int
    reencoded: bool = False


def prepare_upload(image: LoadedImage, *, resize_to_fit: bool) -> Upload:
    """The upload for ``image``; see the module docstring for the rules.

    Raises:
        InvalidImageError: the image is under 80 pixels a side, has an aspect
            ratio no size within the limits can hold, or does not fit and
            ``resize_to_fit`` is off.
    """
    width, height = image.width, image.height
    if min(width, height) < MIN_SIDE:
        raise _error(
            f"{image.source} is {width}x{height} pixels; AWS Rekognition needs at least "
            f"{MIN_SIDE} pixels a side. Use a larger image (visionkit does not upscale: the "
            f"answer would describe interpolation blur).",
            image,
        )
    target = _fit(width, height, image)
    data = image.data
    if (
        data is not None
        and target == (width, height)
        and _canonical(image.format) in FORMATS
        and len(data) <= MAX_BYTES
        and not _rotated_by_exif(data)
    ):
        return Upload(data, width, height)
    if target != (width, height) and not resize_to_fit:
        raise _error(
            f"{image.source} is {width}x{height} pixels; AWS Rekognition takes at most "
            f"{MAX_SIDE:,} a side. Set aws.resize_to_fit=true (the default) to let visionkit "
            f"downscale it, or resize it yourself.",
            image,
        )
    return _encode(image, target, shrink=resize_to_fit)


def _fit(width: int, height: int, image: LoadedImage) -> tuple[int, int]:
    if max(width, height) <= MAX_SIDE:
        return (width, height)
    scale = MAX_SIDE / max(width, height)
    fitted = (math.floor(width * scale + 1e-9), math.floor(height * scale + 1e-9))
    if min(fitted) < MIN_SIDE:
        raise _error(
            f"{image.source} is {width}x{height} pixels; AWS Rekognition takes {MIN_SIDE} to "
            f"{MAX_SIDE:,} pixels a side, and no resize keeping the aspect ratio fits both. "
            f"Crop it first.",
            image,
        )
    return fitted


def _encode(image: LoadedImage, size: tuple[int, int], *, shrink: bool) -> Upload:
    """Encode at ``size``, shrinking 20% at a time (with ``shrink``) while over 5 MB."""
    while True:
        pixels = (
            image.pixels
            if size == (image.width, image.height)
            else image.pixels.resize(size, Image.Resampling.LANCZOS)
        )
        candidate = LoadedImage(pixels=pixels, data=None, format=None, source=image.source)
        try:
            data, _ = candidate.encode(FORMATS, max_bytes=MAX_BYTES)
        except InvalidImageError as exc:
            smaller = (round(size[0] * _SHRINK_STEP), round(size[1] * _SHRINK_STEP))
            if not shrink or min(smaller) < MIN_SIDE:
                raise _error(
                    f"{exc} AWS Rekognition takes at most {MAX_BYTES:,} bytes"
                    + ("" if shrink else "; set aws.resize_to_fit=true to let visionkit shrink it")
                    + ".",
                    image,
                ) from exc
            size = smaller
            continue
        return Upload(data, size[0], size[1], reencoded=True)


def _error(message: str, image: LoadedImage) -> InvalidImageError:
    return InvalidImageError(message, source=image.source, backend="aws")


def _canonical(fmt: str | None) -> str | None:
    # An MPO (multi-picture JPEG from phone cameras) starts with a plain JPEG stream.
    return "JPEG" if fmt == "MPO" else fmt


def _rotated_by_exif(data: bytes) -> bool:
    """Whether the file's EXIF orientation differs from as-stored (reads the header only)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
    except (UnidentifiedImageError, OSError, ValueError):
        return False


__all__ = ["FORMATS", "MAX_BYTES", "MAX_SIDE", "MIN_SIDE", "Upload", "prepare_upload"]

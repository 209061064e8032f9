"""Bytes for an upload: the original file when the service takes it, a re-encoding otherwise."""

from __future__ import annotations

import io
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from visionkit.errors import InvalidImageError

if TYPE_CHECKING:
    from visionkit.images.loaded import LoadedImage

MIME_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}

# PNG at zlib level 3 rather than Pillow's default 6: measured on scikit-image's
# photos and upscaled CIFAR-10 images, it encodes 2-3x faster (chelsea 451x300:
# 24 against 77 ms) for files 2-8% larger. The extra bytes cost less upload time
# than the CPU saved on links faster than 1.4-4.2 Mbit/s (the break-even on those
# photos), and re-encoding happens for every image that needs it, on 2 cores.
# A JPEG original that must be re-encoded (resized, say) is saved as JPEG first
# (``prefer``): on 300 CIFAR-10 JPEGs upscaled to 50x50, 0.085 ms and 1.3 kB each
# at quality 90, against 0.30 ms and 4.7 kB as PNG at level 3.
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"compress_level": 3},
}


def encode_for_upload(
    image: LoadedImage,
    formats: Collection[str] = ("JPEG", "PNG", "GIF", "BMP"),
    *,
    max_bytes: int | None = None,
    prefer: str | None = None,
) -> tuple[bytes, str]:
    """The bytes to upload to a service, and their MIME type.

    The original bytes are sent untouched when the service accepts their
    format (and, when given, they fit ``max_bytes``): re-encoding a JPEG
    would lose quality and time for nothing. An MPO file counts as JPEG
    because its first image is a plain JPEG stream that every decoder reads.
    Otherwise the decoded pixels are re-encoded: PNG first, because it is
    lossless and exact for screenshots and clip art (at zlib level 3, see
    ``_SAVE_OPTIONS``); JPEG quality 90 when
    PNG is not accepted or would exceed ``max_bytes``, because photos
    compress many times better that way at no visible cost. ``prefer`` puts
    one accepted format first (the upload preflight asks for JPEG when the
    caller's file was a JPEG: its pixels are a lossy photo already, and PNG
    would cost 3-4x the CPU and the bytes; see ``_SAVE_OPTIONS``). Note that the
    re-encoded image is already EXIF-rotated, while original bytes keep
    their EXIF tag for the service to apply.

    Raises:
        InvalidImageError: no accepted format can hold the image within
            ``max_bytes``.
    """
    accepted = {f.upper() for f in formats}
    if image.data is not None and image.format is not None:
        as_format = "JPEG" if image.format == "MPO" else image.format
        fits = max_bytes is None or len(image.data) <= max_bytes
        if fits and (image.format in accepted or as_format in accepted):
            return image.data, MIME_TYPES.get(image.format, "application/octet-stream")

    candidates: list[str] = [f for f in ("PNG", "JPEG") if f in accepted]
    candidates += sorted((accepted - {"PNG", "JPEG", "MPO"}) & set(MIME_TYPES))
    if prefer is not None and prefer.upper() in candidates:
        candidates.remove(prefer.upper())
        candidates.insert(0, prefer.upper())
    smallest: int | None = None
    for fmt in candidates:
        buffer = io.BytesIO()
        options: dict[str, Any] = _SAVE_OPTIONS.get(fmt, {})
        try:
            image.pixels.save(buffer, format=fmt, **options)
        except (OSError, ValueError, KeyError):
            continue  # Pillow lacks a writer for this format; try the next one.
        encoded = buffer.getvalue()
        if max_bytes is None or len(encoded) <= max_bytes:
            return encoded, MIME_TYPES[fmt]
        smallest = len(encoded) if smallest is None else min(smallest, len(encoded))
    if smallest is None:
        raise InvalidImageError(
            f"Cannot encode {image.source} for upload: none of the accepted formats "
            f"({', '.join(sorted(accepted)) or 'none given'}) can be written. "
            "Accept JPEG or PNG.",
            source=image.source,
        )
    raise InvalidImageError(
        f"{image.source} is too large to upload: even re-encoded it takes "
        f"{smallest:,} bytes, over the limit of {max_bytes:,}. "
        f"Downscale it (it is {image.width}x{image.height}) and try again.",
        source=image.source,
    )


__all__ = ["MIME_TYPES", "encode_for_upload"]

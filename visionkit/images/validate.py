"""The bounds every input is held to, checked before the work they would bound is done.

File and download sizes are checked before reading (and again while reading,
since a file can grow and a server can lie about its length); the pixel count is
read from the header before any pixel is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from visionkit.errors import InvalidImageError


@dataclass(frozen=True)
class ImageLimits:
    """Bounds that stop a hostile or accidental input from exhausting memory or time.

    Attributes:
        max_pixels: Largest ``width * height`` accepted, read from the file header
            before any pixel is decoded. The default is Pillow's own
            decompression-bomb threshold (about 89.5 megapixels, a 1 GB RGBA
            buffer), big enough for any camera photo yet far below what a
            crafted 50 kB PNG claiming 100 000 x 100 000 pixels would allocate.
        max_bytes: Largest encoded input accepted from a file, bytes, a stream or
            a download; at most ``max_bytes + 1`` bytes are ever read. 50 MB is
            above any camera JPEG and above every cloud vision service's upload
            limit (Azure takes 4-20 MB), so only mistakes hit it.
        url_timeout_s: Connect and read timeout for downloading a URL. Ten seconds
            lets a slow image host answer but keeps a stalled server from hanging
            a batch job.
        allowed_formats: Pillow format names accepted. The default is the set of
            common photo and web formats; exotic formats Pillow can also read
            (ICNS, PSD, EPS via Ghostscript, ...) are refused because their
            parsers are less exercised against hostile files.
    """

    max_pixels: int = 89_478_485
    max_bytes: int = 50 * 1024 * 1024
    url_timeout_s: float = 10.0
    allowed_formats: frozenset[str] = frozenset(
        {"JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "MPO"}
    )


DEFAULT_LIMITS = ImageLimits()


def check_size(size: int, source: str, limits: ImageLimits) -> None:
    """Refuse ``size`` encoded bytes over :attr:`ImageLimits.max_bytes`."""
    if size > limits.max_bytes:
        raise InvalidImageError(
            f"{source} is larger than the limit of {limits.max_bytes:,} bytes. "
            "Downscale or recompress it, or raise ImageLimits.max_bytes.",
            source=source,
        )


def check_dimensions(width: int, height: int, source: str, limits: ImageLimits) -> None:
    """Refuse a header's size over :attr:`ImageLimits.max_pixels`, or with no pixels."""
    if width * height > limits.max_pixels:
        raise InvalidImageError(
            f"{source} is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_pixels:,} (a guard against decompression bombs). Downscale it, "
            "or raise ImageLimits.max_pixels if you trust it.",
            source=source,
        )
    if width == 0 or height == 0:
        raise InvalidImageError(f"{source} has no pixels ({width}x{height}).", source=source)


__all__ = ["DEFAULT_LIMITS", "ImageLimits", "check_dimensions", "check_size"]

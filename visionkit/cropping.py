"""Thumbnails as values, and the crop geometry every backend shares.

A thumbnail is a crop of the image at the requested aspect ratio, resized to
the requested size. Which crop is the backend's business (Azure's own
``generateThumbnail``, the local saliency search, a cloud's area of interest);
the rest is the same for every backend and lives here once: checking the
requested size, the centre crop (``smart=False``), growing an area of
interest to the requested aspect ratio, and cutting and resizing the pixels.

Nothing here knows any backend, so backends and the front door can both use it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from visionkit.errors import ConfigError
from visionkit.images import LoadedImage
from visionkit.results import BoundingBox

MAX_THUMBNAIL_SIDE = 4096
"""The largest width or height :func:`visionkit.thumbnail` makes. A thumbnail is
small by definition; the cap keeps a typo (``width=100000``) from allocating
gigabytes. Azure's own operation allows at most 1024 (:data:`AZURE_MAX_SIDE`)."""

AZURE_MAX_SIDE = 1024
"""Azure's ``generateThumbnail`` limit on each side (v3.2 reference)."""

JPEG_QUALITY = 90
"""Quality of the thumbnails visionkit encodes itself: small files, no visible blocking."""


class ThumbnailSizeError(ConfigError, ValueError):
    """A thumbnail was asked for with a width or height out of range.

    A :class:`~visionkit.errors.ConfigError` (the caller's argument is wrong) and,
    for code written against the earlier ``AzureAnalyzer.thumbnail``, a ``ValueError``.
    """


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A thumbnail and where it came from.

    ``data`` is the encoded image (``media_type``, JPEG unless the service chose
    otherwise), exactly ``width`` x ``height`` pixels. ``crop`` is the box of the
    caller's image that was kept, in its pixels; ``None`` when the service made
    the thumbnail itself and does not say where it cut (Azure's smart crop), or
    when visionkit never saw the image (a URL Azure fetched). ``backend`` names
    who chose the crop; ``raw`` keeps what the backend said about it (Azure's
    response headers, the area of interest a crop was grown from).
    """

    data: bytes = field(repr=False)
    media_type: str
    width: int
    height: int
    crop: BoundingBox | None
    backend: str
    smart: bool = True
    raw: Any = field(default=None, compare=False, repr=False)

    def image(self) -> Image.Image:
        """The thumbnail decoded by Pillow (for display or further processing)."""
        return Image.open(io.BytesIO(self.data))


def check_size(width: object, height: object, *, limit: int = MAX_THUMBNAIL_SIDE) -> None:
    """Refuse a width or height that is not a whole number from 1 to ``limit``."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ThumbnailSizeError(
                f"The thumbnail {name} must be a whole number of pixels, got {value!r}."
            )
        if not 1 <= value <= limit:
            raise ThumbnailSizeError(
                f"The thumbnail {name} must be between 1 and {limit} pixels, got {value}. "
                f"Pass the size of the thumbnail you want, for example width=128, height=128."
            )


def centre_window(image_width: int, image_height: int, aspect: float) -> BoundingBox:
    """The largest box of ``aspect`` (width / height) centred in the image: ``smart=False``."""
    width, height = window_size(image_width, image_height, aspect)
    return BoundingBox((image_width - width) // 2, (image_height - height) // 2, width, height)


def window_size(image_width: int, image_height: int, aspect: float) -> tuple[int, int]:
    """The largest ``(width, height)`` of ``aspect`` that fits in the image, at least 1x1."""
    if image_width / image_height > aspect:  # the image is wider: keep its full height
        return max(1, min(image_width, round(image_height * aspect))), image_height
    return image_width, max(1, min(image_height, round(image_width / aspect)))


def expand_to_aspect(
    box: BoundingBox, aspect: float, image_width: int, image_height: int
) -> BoundingBox:
    """The smallest box of ``aspect`` around ``box``'s centre that holds it, inside the image.

    The short side grows until the ratio is right, then the box slides back
    inside the image. When the grown box is larger than the image along one
    side, it takes the image's full length there and the other side shrinks to
    keep the ratio, centred on the area of interest: the thumbnail must have the
    requested shape, so the least of the area of interest is given up.
    """
    box = box.clip(image_width, image_height)
    width, height = float(max(box.width, 1)), float(max(box.height, 1))
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    most_w, most_h = window_size(image_width, image_height, aspect)
    if width > most_w or height > most_h:
        width, height = most_w, most_h
    w, h = max(1, min(image_width, round(width))), max(1, min(image_height, round(height)))
    cx, cy = box.center
    x = min(max(round(cx - w / 2), 0), image_width - w)
    y = min(max(round(cy - h / 2), 0), image_height - h)
    return BoundingBox(x, y, w, h)


def render(
    pixels: Image.Image,
    crop: BoundingBox,
    width: int,
    height: int,
    *,
    backend: str,
    smart: bool,
    raw: Any = None,
) -> Thumbnail:
    """Cut ``crop`` out of ``pixels`` and resize it to ``width`` x ``height`` as a JPEG.

    Pillow's Lanczos filter with ``reducing_gap`` (a cheap box reduction first,
    Lanczos for the last factor of three) gives the quality of a full Lanczos
    resize at a fraction of its cost on large photos.
    """
    region = pixels.convert("RGB").crop(crop.xyxy)
    small = region.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return Thumbnail(
        data=out.getvalue(),
        media_type="image/jpeg",
        width=width,
        height=height,
        crop=crop,
        backend=backend,
        smart=smart,
        raw=raw,
    )


def crop_thumbnail(
    loaded: LoadedImage,
    interest: BoundingBox | None,
    width: int,
    height: int,
    *,
    backend: str,
) -> Thumbnail:
    """The thumbnail of a backend without a thumbnail operation of its own.

    ``interest`` (the backend's area of interest, in ``loaded``'s pixels) is grown
    to ``width / height`` (:func:`expand_to_aspect`); ``None`` means ``smart=False``:
    the centre crop. The pixels cut are the caller's own, at full resolution.
    """
    aspect = width / height
    if interest is None:
        crop = centre_window(loaded.width, loaded.height, aspect)
        return render(loaded.pixels, crop, width, height, backend=backend, smart=False)
    crop = expand_to_aspect(interest, aspect, loaded.width, loaded.height)
    raw = {"area_of_interest": list(interest.xywh)}
    return render(loaded.pixels, crop, width, height, backend=backend, smart=True, raw=raw)


def sniff_media_type(data: bytes) -> str:
    """The media type of encoded image bytes, from their signature (services send JPEG)."""
    signatures = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
    for signature, name in signatures.items():
        if data.startswith(signature):
            return name
    return "application/octet-stream"


__all__ = [
    "AZURE_MAX_SIDE",
    "JPEG_QUALITY",
    "MAX_THUMBNAIL_SIDE",
    "Thumbnail",
    "ThumbnailSizeError",
    "centre_window",
    "check_size",
    "crop_thumbnail",
    "expand_to_aspect",
    "render",
    "sniff_media_type",
    "window_size",
]

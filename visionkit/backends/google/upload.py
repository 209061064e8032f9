"""The bytes to send Cloud Vision for one image, and the size Google will see.

Google returns no image size, and its boxes are in the pixels (or fractions)
of the image it received, so the size must be known for the image *sent*:

* the caller's bytes go as they are when Google reads the format, they fit
  the per-image budget, and no EXIF tag rotates them (the common case costs
  nothing and loses nothing);
* otherwise the decoded pixels, already EXIF-rotated by the loader, are
  re-encoded (PNG, or JPEG when PNG would not fit). Sending rotated pixels
  means the boxes are in the frame the caller sees, whether or not Google
  would have applied the tag itself.

No image is downscaled: one too big for the budget even as JPEG is refused
with an :class:`~visionkit.errors.InvalidImageError` naming the limit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

from PIL import Image, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.images import LoadedImage

FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF")
"""Formats Cloud Vision reads (its docs also list RAW and PDF, which visionkit does not load)."""

MAX_IMAGE_BYTES = 7 * 2**20
"""Largest image sent: base64 makes it ~9.3 MB, under the 10 MB JSON request limit."""

_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class Upload:
    """Bytes ready to send, and the size (after EXIF rotation) of the image they hold."""

    data: bytes = field(repr=False)
    width: int
    height: int
    reencoded: bool = False


def prepare_upload(image: LoadedImage, *, max_bytes: int = MAX_IMAGE_BYTES) -> Upload:
    """The upload for ``image``; see the module docstring for the rules.

    Raises:
        InvalidImageError: even re-encoded as JPEG the image exceeds ``max_bytes``.
    """
    data, fmt = image.data, image.format
    readable = fmt in FORMATS or fmt == "MPO"
    if data is not None and readable and len(data) <= max_bytes and not _rotated_by_exif(data):
        return Upload(data, image.width, image.height)
    try:
        encoded, _ = replace(image, data=None).encode(("PNG", "JPEG"), max_bytes=max_bytes)
    except InvalidImageError as exc:
        raise InvalidImageError(
            f"{exc} Google Cloud Vision takes at most {max_bytes / 2**20:g} MB per image in "
            f"visionkit (its JSON request limit is 10 MB, and base64 adds a third).",
            source=image.source,
            backend="google",
        ) from exc
    return Upload(encoded, image.width, image.height, reencoded=True)


def _rotated_by_exif(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


__all__ = ["FORMATS", "MAX_IMAGE_BYTES", "Upload", "prepare_upload"]

"""The bytes to send Cloud Vision for one image, and the size Google will see.

Google returns no image size, and its boxes are in the pixels (or fractions)
of the image it received, so the size must be known for the image *sent*. The
shared preflight (:mod:`visionkit.backends.http.preflight`) applies Google's
:data:`LIMITS`:

* the caller's bytes go as they are when Google reads the format, they fit
  the per-image budget, and no EXIF tag rotates them (the common case costs
  nothing and loses nothing);
* otherwise the decoded pixels, already EXIF-rotated by the loader, are
  re-encoded (PNG, or JPEG when PNG would not fit; a JPEG original as JPEG,
  since its pixels carry JPEG's losses already). Sending rotated pixels
  means the boxes are in the frame the caller sees, whether or not Google
  would have applied the tag itself.

No image is downscaled: one too big for the budget even as JPEG is refused
with an :class:`~visionkit.errors.InvalidImageError` naming the limit.
"""

from __future__ import annotations

from dataclasses import replace

from visionkit.backends.http.preflight import Upload, UploadLimits
from visionkit.backends.http.preflight import prepare_upload as _prepare
from visionkit.images import LoadedImage

FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF")
"""Formats Cloud Vision reads (its docs also list RAW and PDF, which visionkit does not load)."""

MAX_IMAGE_BYTES = 7 * 2**20
"""Largest image sent: base64 makes it ~9.3 MB, under the 10 MB JSON request limit."""

LIMITS = UploadLimits(
    "Google Cloud Vision",
    formats=FORMATS,
    max_bytes=MAX_IMAGE_BYTES,
    backend="google",
    reencode_freely=True,
    resize=False,
    encode_as=("PNG", "JPEG"),
    keep_jpeg=True,  # a rotated 12 MP JPEG: 65 ms as JPEG, 1.0 s trying PNG first
    byte_note="(visionkit's cap per image: the JSON request limit is 10 MB, and base64 "
    "adds a third.)",
)


def prepare_upload(image: LoadedImage, *, max_bytes: int = MAX_IMAGE_BYTES) -> Upload:
    """The upload for ``image``; see the module docstring for the rules.

    Raises:
        InvalidImageError: even re-encoded as JPEG the image exceeds ``max_bytes``.
    """
    limits = LIMITS if max_bytes == LIMITS.max_bytes else replace(LIMITS, max_bytes=max_bytes)
    return _prepare(image, limits, resize_to_fit=False)


__all__ = ["FORMATS", "LIMITS", "MAX_IMAGE_BYTES", "Upload", "prepare_upload"]

"""Fit an image into what Rekognition accepts before a billed call.

Rekognition takes JPEG or PNG only, at most 5 MB as ``Image.Bytes``, at
least 80 and at most 10,000 pixels a side, and refuses anything else only
after the upload. The shared preflight (:mod:`visionkit.backends.http.preflight`)
applies these :data:`LIMITS`:

* the original bytes go untouched when they already fit;
* other formats (GIF, BMP, WEBP, TIFF) and in-memory pixels are encoded as PNG,
  or JPEG when PNG would be over 5 MB (always: that changes no pixel);
* an image over 10,000 pixels a side is downscaled, and one still over 5 MB
  shrinks 20% at a time (only with ``resize_to_fit``, the default);
* an image under 80 pixels a side is an error: upscaling would invent detail
  and Rekognition's answer would describe the blur.

A JPEG whose EXIF tag rotates it is sent re-encoded from the rotated pixels,
so AWS sees the image the caller sees (its documentation has disagreed across
versions on whether it applies the tag itself). A JPEG original that must be
re-encoded (rotated or shrunk) stays JPEG: its pixels carry JPEG's losses
already, and trying PNG first cost a rotated 12 MP photo 0.99 s against 65 ms
(``benchmarks/upload_reencode.py``).
Rekognition's boxes are ratios of the image, so they need no mapping back: the
analyzer multiplies them by the caller's size.
"""

from __future__ import annotations

from visionkit.backends.http.preflight import Upload, UploadLimits
from visionkit.backends.http.preflight import prepare_upload as _prepare
from visionkit.images import LoadedImage

FORMATS = ("JPEG", "PNG")
MAX_BYTES = 5 * 2**20
"""``ImageBlob``'s limit in the API model: 5,242,880 bytes, before base64."""
MIN_SIDE = 80
MAX_SIDE = 10_000

LIMITS = UploadLimits(
    "AWS Rekognition",
    formats=FORMATS,
    max_bytes=MAX_BYTES,
    min_side=MIN_SIDE,
    max_side=MAX_SIDE,
    backend="aws",
    option="aws.resize_to_fit",
    upscale=False,
    reencode_freely=True,
    keep_jpeg=True,
)


def prepare_upload(image: LoadedImage, *, resize_to_fit: bool) -> Upload:
    """The upload for ``image`` under :data:`LIMITS`; see the module docstring for the rules.

    Raises:
        InvalidImageError: the image is under 80 pixels a side, has an aspect
            ratio no size within the limits can hold, or does not fit and
            ``resize_to_fit`` is off.
    """
    return _prepare(image, LIMITS, resize_to_fit=resize_to_fit)


__all__ = ["FORMATS", "LIMITS", "MAX_BYTES", "MAX_SIDE", "MIN_SIDE", "Upload", "prepare_upload"]

"""What loading produces: one decoded RGB image, its original bytes, and where it came from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from PIL import Image

from visionkit.images.encode import encode_for_upload
from visionkit.results import ImageMetadata


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image ready for analysis, plus what is needed to upload it.

    Attributes:
        pixels: Fully decoded, EXIF orientation applied, always mode ``"RGB"``.
            One mode means every backend and every rule written against it sees
            the same thing: alpha is composited onto white (how documents and
            browsers show transparent logos and clip art, and what keeps a
            transparent background from reading as black), palette, grey and
            CMYK images are converted, and 16-bit images are scaled, not clipped,
            to 8 bits. Multi-frame files (GIF, TIFF, MPO) contribute their first
            frame. Embedded colour profiles are not applied.
        data: The original encoded bytes when the input was encoded (path, bytes,
            stream, URL); ``None`` for Pillow and NumPy inputs.
        format: Pillow's format name of ``data`` (``"JPEG"``, ``"PNG"``, ...), or
            ``None`` for in-memory inputs.
        source: Names the input in messages: the path, the URL without any
            ``user:password@``, or a description such as ``"<bytes: 1234 bytes>"``.
        url: The URL the image was downloaded from, credentials included, so a
            cloud backend can pass the URL on instead of uploading the bytes.
        original_size: ``(width, height)`` of the image as stored (after EXIF
            rotation) when ``pixels`` were decoded at reduced scale because the
            caller needed no more (``load_image(..., reduce=...)``); ``None``
            when ``pixels`` are full size. Metadata always reports this size.
    """

    pixels: Image.Image
    data: bytes | None
    format: str | None
    source: str
    url: str | None = None
    original_size: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        return self.pixels.width

    @property
    def height(self) -> int:
        return self.pixels.height

    def metadata(self) -> ImageMetadata:
        """Size after EXIF rotation (what a viewer shows) and the encoded format, if any."""
        width, height = self.original_size or self.pixels.size
        return ImageMetadata(width=width, height=height, format=self.format)

    def encode(
        self,
        formats: Collection[str] = ("JPEG", "PNG", "GIF", "BMP"),
        *,
        max_bytes: int | None = None,
    ) -> tuple[bytes, str]:
        """The bytes to upload to a service, and their MIME type (:func:`encode_for_upload`)."""
        return encode_for_upload(self, formats, max_bytes=max_bytes)


__all__ = ["LoadedImage"]

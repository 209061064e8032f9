"""Counts read from a file's structure before Pillow sees it: JPEG scans, TIFF strips.

Both bound work that the pixel limit does not: libjpeg decodes every scan of a
progressive JPEG over the whole image (so a few hundred kilobytes of tiny scans
can take minutes), and Pillow builds one Python object per TIFF strip or tile
while opening the file, before any pixel is decoded.
"""

from __future__ import annotations

import struct

from visionkit.errors import InvalidImageError
from visionkit.images.validate import ImageLimits

_TIFF_OFFSET_TAGS = (273, 324)  # StripOffsets, TileOffsets


def check_structure(data: bytes, source: str, limits: ImageLimits) -> None:
    """Refuse a JPEG with too many scans or a TIFF with too many strips, before decoding."""
    if data[:3] == b"\xff\xd8\xff":
        # Entropy-coded data never holds FF DA (an FF there is followed by 00 or a
        # restart marker), so every occurrence is a start-of-scan marker.
        scans = data.count(b"\xff\xda")
        if scans > limits.max_scans:
            raise InvalidImageError(
                f"{source} is a JPEG with {scans:,} scans, over the limit of "
                f"{limits.max_scans:,}: each scan is decoded over the whole image, so this "
                "many would take minutes (a 'scan bomb'). Re-save it as a baseline JPEG, or "
                "raise ImageLimits.max_scans if you trust it.",
                source=source,
            )
    elif data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        strips = _tiff_strips(data)
        if strips > limits.max_strips:
            raise InvalidImageError(
                f"{source} is a TIFF whose first page has {strips:,} strips or tiles, over the "
                f"limit of {limits.max_strips:,} (opening it would need one descriptor per "
                "strip). Re-save it with larger strips (e.g. with compression), or raise "
                "ImageLimits.max_strips.",
                source=source,
            )


def _tiff_strips(data: bytes) -> int:
    """The largest strip or tile count in the first IFD; 0 when the header cannot be read.

    A header too broken to read is left for Pillow to reject with its own message.
    """
    order = "<" if data[:2] == b"II" else ">"
    try:
        big = struct.unpack_from(order + "H", data, 2)[0] == 43
        if big:
            ifd = struct.unpack_from(order + "Q", data, 8)[0]
            entries = struct.unpack_from(order + "Q", data, ifd)[0]
            first, size, layout = ifd + 8, 20, order + "HHQ"
        else:
            ifd = struct.unpack_from(order + "I", data, 4)[0]
            entries = struct.unpack_from(order + "H", data, ifd)[0]
            first, size, layout = ifd + 2, 12, order + "HHI"
        most = 0
        for index in range(min(entries, 4096)):
            tag, _type, count = struct.unpack_from(layout, data, first + index * size)
            if tag in _TIFF_OFFSET_TAGS:
                most = max(most, count)
        return most
    except struct.error:
        return 0


__all__ = ["check_structure"]

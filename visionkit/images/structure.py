"""Counts read from a file's structure before Pillow sees it: JPEG scans, TIFF strips,
and the JPEG segments or PNG chunks before the image data.

All bound work that the pixel limit does not: libjpeg decodes every scan of a
progressive JPEG over the whole image (so a few hundred kilobytes of tiny scans
can take minutes), Pillow builds one Python object per TIFF strip or tile
while opening the file, and it reads every JPEG segment and PNG chunk before
the image data one at a time in Python, before any pixel is decoded.
"""

from __future__ import annotations

import struct

from visionkit.errors import InvalidImageError
from visionkit.images.validate import ImageLimits

_TIFF_OFFSET_TAGS = (273, 324)  # StripOffsets, TileOffsets


def check_structure(data: bytes, source: str, limits: ImageLimits) -> None:
    """Refuse, before decoding, a JPEG with too many scans, a TIFF with too many strips or
    tags, and a JPEG, PNG or GIF with too many segments before its image data."""
    kind = _SEGMENTED.get(data[:3])
    if kind is not None and _segments(data, limits.max_segments) > limits.max_segments:
        what = {"JPEG": "JPEG marker segments", "PNG": "PNG chunks"}.get(
            kind, "GIF extension blocks and sub-blocks"
        )
        raise InvalidImageError(
            f"{source} has more than {limits.max_segments:,} {what} before its image data "
            "(each is parsed one at a time; millions of empty ones take minutes and "
            "gigabytes to open). Re-save it, or raise ImageLimits.max_segments if you "
            "trust it.",
            source=source,
        )
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
        entries, strips = _tiff_first_ifd(data, limits.max_segments)
        if entries > limits.max_segments:
            raise InvalidImageError(
                f"{source} is a TIFF whose first page has {entries:,} tags, over the limit of "
                f"{limits.max_segments:,} (Pillow reads each one in Python before any pixel; "
                "files have under a hundred). Re-save it, or raise ImageLimits.max_segments "
                "if you trust it.",
                source=source,
            )
        if strips > limits.max_strips:
            raise InvalidImageError(
                f"{source} is a TIFF whose first page has {strips:,} strips or tiles, over the "
                f"limit of {limits.max_strips:,} (opening it would need one descriptor per "
                "strip). Re-save it with larger strips (e.g. with compression), or raise "
                "ImageLimits.max_strips.",
                source=source,
            )


_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field


_SEGMENTED = {b"\xff\xd8\xff": "JPEG", b"\x89PN": "PNG", b"GIF": "GIF"}


def _segments(data: bytes, most: int) -> int:
    """JPEG segments before the first scan, PNG chunks before the first IDAT, or GIF
    extension blocks and their sub-blocks before the first frame.

    Counts at most ``most + 1`` (so the walk is as short as the limit), and
    stops where the structure stops making sense: Pillow then reports it.
    """
    count = 0
    if data[:3] == b"GIF":
        return _gif_blocks(data, most)
    if data[0] == 0xFF:  # JPEG: FF <marker> <16-bit length including itself> <payload>
        at = 2
        while count <= most and at + 4 <= len(data):
            if data[at] != 0xFF:
                break
            marker = data[at + 1]
            if marker == 0xFF:  # fill byte
                at += 1
                continue
            if marker in (0xDA, 0xD9):  # start of scan, end of image
                break
            count += 1
            if marker in _JPEG_STANDALONE:
                at += 2
                continue
            at += 2 + struct.unpack_from(">H", data, at + 2)[0]
        return count
    at = 8  # PNG: <32-bit length> <type> <payload> <crc>
    while count <= most and at + 8 <= len(data):
        length = struct.unpack_from(">I", data, at)[0]
        if data[at + 4 : at + 8] in (b"IDAT", b"IEND"):
            break
        count += 1
        at += 12 + length
    return count


def _gif_blocks(data: bytes, most: int) -> int:
    """Extension blocks and sub-blocks before the first image descriptor (Pillow gathers a
    comment's sub-blocks into a list: 15 million of them cost 1.4 GB)."""
    if len(data) < 13:
        return 0
    at = 13 + ((3 << ((data[10] & 7) + 1)) if data[10] & 0x80 else 0)  # global colour table
    count = 0
    while count <= most and at + 1 < len(data) and data[at] == 0x21:
        at += 2  # the introducer and the label
        count += 1
        while count <= most and at < len(data):
            size = data[at]
            at += 1 + size
            if size == 0:
                break
            count += 1
    return count


def _tiff_first_ifd(data: bytes, most_entries: int) -> tuple[int, int]:
    """The first IFD's tag count and its largest strip or tile count; ``(0, 0)`` when the
    header cannot be read (Pillow then rejects it with its own message).

    The tags are read only when there are at most ``most_entries`` of them, and then
    all of them, so no strip count can hide behind thousands of filler tags.
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
        if entries > most_entries:
            return entries, 0
        most = 0
        for index in range(entries):
            tag, _type, count = struct.unpack_from(layout, data, first + index * size)
            if tag in _TIFF_OFFSET_TAGS:
                most = max(most, count)
        return entries, most
    except struct.error:
        return 0, 0


__all__ = ["check_structure"]

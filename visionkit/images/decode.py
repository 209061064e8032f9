"""Encoded bytes to one RGB image, with only the accepted formats' parsers ever run.

Every image is decoded completely, so truncation surfaces here rather than as
garbage pixels later, and every Pillow exception becomes an
:class:`~visionkit.errors.InvalidImageError` that says what the bytes probably
were (a PDF, an HTML error page, a format that is refused).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import math
import re

import numpy as np
from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.images.loaded import LoadedImage
from visionkit.images.structure import check_structure
from visionkit.images.validate import ImageLimits, check_dimensions


def decode(
    data: bytes,
    source: str,
    limits: ImageLimits,
    *,
    url: str | None = None,
    reduce: tuple[int, int] | None = None,
) -> LoadedImage:
    """Decode encoded ``data`` completely, within ``limits``, to a :class:`LoadedImage`.

    ``reduce=(long, short)`` lets a JPEG be decoded at 1/2, 1/4 or 1/8 scale
    (in the decoder's DCT, for a fraction of the work and memory of a full
    decode) as long as its longer side keeps at least ``long`` pixels and its
    shorter side ``short``; other formats are decoded at full size. The image is
    still decoded completely, so truncation is caught all the same.
    """
    if not data:
        raise InvalidImageError(
            f"{source} is empty (0 bytes). Pass the image file's content.", source=source
        )
    accepted = ", ".join(sorted(limits.allowed_formats))
    check_structure(data, source, limits)
    try:
        # Only the accepted formats' parsers ever see the data: Pillow's rarer
        # plugins are the least hardened against hostile files.
        img = Image.open(io.BytesIO(data), formats=_openers(limits.allowed_formats))
    except UnidentifiedImageError as exc:
        other = _other_image_format(data)
        if other is not None:
            raise _format_refused(source, other, accepted) from exc
        raise InvalidImageError(
            f"{source} is not an image{_sniff(data)}. Accepted formats: {accepted}.",
            source=source,
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check ran in open(); it raises the warning only where the
        # caller's warning filters say so. Either way the answer is the same.
        raise _bomb(source, exc) from exc
    except MemoryError as exc:
        raise _no_memory(source) from exc
    except Exception as exc:  # plugins raise SyntaxError, struct.error, ...
        raise _corrupt(source, exc) from exc

    with img:
        if img.format not in limits.allowed_formats:  # e.g. a JPEG that is really an MPO
            raise _format_refused(source, str(img.format), accepted)
        check_dimensions(*img.size, source, limits)
        fmt = img.format
        stored = img.size
        try:
            if reduce is not None and fmt in ("JPEG", "MPO"):
                img.draft(img.mode, draft_size(stored, *reduce))
            img.load()  # the whole first frame, so truncation is caught here
            turned = _turns_sideways(img)
            # Both the decoded image and a turned one are ours to give away: an RGB one
            # becomes the result as it is, without a second full-size copy.
            shown = upright(img)
            pixels = to_rgb(shown, source, owned=True)
            del shown
        except InvalidImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(source, exc) from exc
        except MemoryError as exc:
            raise _no_memory(source) from exc
        except Exception as exc:  # decoders raise OSError, ValueError, zlib.error...
            raise _corrupt(source, exc) from exc
    full = (stored[1], stored[0]) if turned else stored
    return LoadedImage(
        pixels=pixels,
        data=data,
        format=fmt,
        source=source,
        url=url,
        original_size=None if pixels.size == full else full,
    )


def draft_size(size: tuple[int, int], long: int, short: int) -> tuple[int, int]:
    """The smallest size, in ``size``'s aspect ratio, whose longer side is at least
    ``long`` and shorter side at least ``short`` (never larger than ``size``):
    what :meth:`PIL.Image.Image.draft` is asked for."""
    width, height = size
    scale = min(1.0, max(long / max(width, height, 1), short / max(min(width, height), 1)))
    return (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))


def _turns_sideways(img: Image.Image) -> bool:
    """Whether the EXIF orientation swaps width and height (the 90-degree turns)."""
    return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)


_PLUGINS = {"WEBP": "WebPImagePlugin", "TIFF": "TiffImagePlugin"}
"""Plugins for the default formats that :func:`PIL.Image.preinit` does not load."""


@functools.lru_cache(maxsize=16)
def _openers(allowed: frozenset[str]) -> tuple[str, ...]:
    """Pillow plugin names that can open ``allowed`` formats.

    MPO has no opener of its own (the JPEG plugin returns MPO files), and a
    name Pillow does not know would make ``Image.open`` raise ``KeyError``.
    Only the plugins needed are imported: :func:`PIL.Image.init` imports all
    of Pillow's forty-odd plugins, 60 ms of every process's first image.
    """
    Image.preinit()
    names = {"JPEG" if f == "MPO" else f for f in allowed}
    for name in names - Image.OPEN.keys():
        if name in _PLUGINS:
            with contextlib.suppress(ImportError):
                importlib.import_module(f"PIL.{_PLUGINS[name]}")
    if names - Image.OPEN.keys():
        Image.init()
    return tuple(sorted(n for n in names if n in Image.OPEN))


def _bomb(source: str, exc: BaseException) -> InvalidImageError:
    # Pillow's check runs in open(), before visionkit's own (ImageLimits.max_pixels), and
    # its limit is process-wide, so raising max_pixels alone would not let the image in.
    said = str(exc).strip().rstrip(".")
    return InvalidImageError(
        f"{source} is refused as a possible decompression bomb by Pillow ({said}). "
        "Downscale it, or if you trust it raise both ImageLimits.max_pixels and Pillow's "
        "PIL.Image.MAX_IMAGE_PIXELS (visionkit never changes that process-wide setting).",
        source=source,
    )


def _no_memory(source: str) -> InvalidImageError:
    return InvalidImageError(
        f"Not enough memory to decode {source}. Downscale it, or lower ImageLimits.max_pixels "
        "so that such images are refused before decoding.",
        source=source,
    )


def _format_refused(source: str, fmt: str, accepted: str) -> InvalidImageError:
    return InvalidImageError(
        f"{source} is a {fmt} image, which is not accepted. Convert it to one of {accepted}, "
        f"or add {fmt!r} to ImageLimits.allowed_formats if Pillow can read it.",
        source=source,
    )


# Signatures of image formats outside the default set, so that a refused format
# is reported as such instead of as "not an image". Pillow format names.
_OTHER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG", "PNG"),
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"GIF8", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (8, b"WEBP", "WEBP"),
    (0, b"8BPS", "PSD"),
    (0, b"icns", "ICNS"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG2000"),
    (0, b"\xffO\xffQ", "JPEG2000"),
    (0, b"%!PS", "EPS"),
    (0, b"\xc5\xd0\xd3\xc6", "EPS"),
    (0, b"qoif", "QOI"),
    (4, b"ftypavif", "AVIF"),
    (4, b"ftypheic", "HEIF"),
    (4, b"ftypheix", "HEIF"),
    (4, b"ftypmif1", "HEIF"),
)


def _other_image_format(data: bytes) -> str | None:
    for offset, signature, name in _OTHER_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return name
    if re.match(rb"P[1-7]\s", data[:3]):
        return "PPM"
    return None


def _corrupt(source: str, exc: BaseException) -> InvalidImageError:
    return InvalidImageError(
        f"{source} is truncated or corrupt and cannot be decoded ({exc}). Re-export, "
        "re-copy or re-download it.",
        source=source,
    )


def _sniff(data: bytes) -> str:
    """Say what a non-image probably is: a PDF, an HTML error page, plain text."""
    head = data[:512].lstrip()
    if head.startswith(b"%PDF"):
        return " (it is a PDF document; export the page as PNG or JPEG first)"
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return " (it is an HTML page, e.g. a login or error page instead of the image)"
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return " (it is an SVG vector drawing; rasterise it to PNG first)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return " (it looks like text)"


def upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation says, without the copy ``exif_transpose`` makes
    of an image that needs no turning (a full-size copy for nothing)."""
    if img.getexif().get(0x0112, 1) in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(img)
    return img


def _detached(img: Image.Image) -> Image.Image:
    """A plain ``Image`` over ``img``'s decoded pixels, sharing them instead of copying them.

    A decoded file is an ``ImageFile`` tied to its parser (and closed by the
    caller once decoded), so the pixels move into a plain image: Pillow's
    ``_new`` wraps the same pixel core, which outlives the file's ``close()``.
    It is private API, so any doubt (a memory-mapped file, a Pillow without
    it) falls back to the copy this saves: 3 bytes a pixel at the peak.
    """
    if type(img) is Image.Image:
        return img
    if getattr(img, "map", None) is not None:
        return img.copy()
    try:
        return img._new(img.im)
    except AttributeError:
        return img.copy()


def to_rgb(img: Image.Image, source: str, *, owned: bool = False) -> Image.Image:
    """Return a new RGB image; see :attr:`LoadedImage.pixels` for why each rule exists.

    ``owned``: ``img`` is the caller's to give away (the image just decoded, or
    the fresh result of an EXIF rotation), so an RGB one becomes the result
    without a copy (:func:`_detached`).

    Transparency is composited with at most three extra bytes per pixel besides
    the result (the alpha channel and its inverse): the RGB pixels are blended
    towards white in place, through the inverted alpha as a mask.
    """
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        values = np.asarray(img).astype(np.float64)
        if mode.startswith("I;16") or (mode == "I" and values.max(initial=0) > 255):
            values = values / 257.0  # 0..65535 onto 0..255; Pillow's convert() would clip
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if img.has_transparency_data:
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        rgb = rgba.convert("RGB")
        transparent = ImageChops.invert(rgba.getchannel("A"))
        del rgba
        rgb.paste((255, 255, 255), mask=transparent)
        return rgb
    if mode == "RGB":
        return _detached(img) if owned else img.copy()
    try:
        return img.convert("RGB")
    except ValueError as exc:
        raise InvalidImageError(
            f"{source} has colour mode {mode!r}, which cannot be converted to RGB. Convert "
            "it to RGB yourself (e.g. with an ICC-aware tool) and pass that.",
            source=source,
        ) from exc


__all__ = ["decode", "to_rgb"]

"""Every kind of image input in, one validated, decoded RGB image out.

Backends never open files, fetch URLs or second-guess Pillow modes themselves:
they call :func:`load_image` (or :func:`load_image_async`) and get a
:class:`LoadedImage`. That keeps the rules for what counts as a valid image in
one place, so a file that the local backend rejects is rejected by the Azure
backend too, with the same message, before any money is spent on a request.

The loader treats its input as untrusted. Sizes are checked *before* work is
done (file size before reading, pixel count from the header before decoding,
bytes counted while a download streams), every image is decoded completely so
that truncation surfaces here rather than as garbage pixels later, and no
Pillow, httpx or NumPy exception escapes bare: each becomes an
:class:`~visionkit.errors.InvalidImageError` that names the input and the fix,
with the original exception kept as ``__cause__``.

Process-wide Pillow settings (``Image.MAX_IMAGE_PIXELS``,
``ImageFile.LOAD_TRUNCATED_IMAGES``) and warning filters are never changed:
visionkit is a library and shares the interpreter with its caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import os
import re
import typing
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from visionkit.errors import InvalidImageError
from visionkit.results import ImageMetadata

ImageInput = (
    str
    | os.PathLike[str]
    | bytes
    | bytearray
    | memoryview
    | typing.BinaryIO
    | Image.Image
    | NDArray[Any]
)
"""Anything :func:`load_image` accepts.

A ``str`` is an ``http(s)://`` URL or a file path (``~`` is expanded); bytes
and binary streams hold an encoded image file; a Pillow image or a NumPy array
holds pixels that are already decoded.
"""

_MIME_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}

_MAX_REDIRECTS = 5
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/=\s_-]+$")
_NOT_A_PATH = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG})
"""stat() errors meaning "there is no such file", including strings too long to be a path."""


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
    """

    pixels: Image.Image
    data: bytes | None
    format: str | None
    source: str
    url: str | None = None

    @property
    def width(self) -> int:
        return self.pixels.width

    @property
    def height(self) -> int:
        return self.pixels.height

    def metadata(self) -> ImageMetadata:
        """Size after EXIF rotation (what a viewer shows) and the encoded format, if any."""
        return ImageMetadata(width=self.width, height=self.height, format=self.format)

    def encode(
        self,
        formats: Collection[str] = ("JPEG", "PNG", "GIF", "BMP"),
        *,
        max_bytes: int | None = None,
    ) -> tuple[bytes, str]:
        """The bytes to upload to a service, and their MIME type.

        The original bytes are sent untouched when the service accepts their
        format (and, when given, they fit ``max_bytes``): re-encoding a JPEG
        would lose quality and time for nothing. An MPO file counts as JPEG
        because its first image is a plain JPEG stream that every decoder reads.
        Otherwise the decoded pixels are re-encoded: PNG first, because it is
        lossless and exact for screenshots and clip art; JPEG quality 90 when
        PNG is not accepted or would exceed ``max_bytes``, because photos
        compress many times better that way at no visible cost. Note that the
        re-encoded image is already EXIF-rotated, while original bytes keep
        their EXIF tag for the service to apply.

        Raises:
            InvalidImageError: no accepted format can hold the image within
                ``max_bytes``.
        """
        accepted = {f.upper() for f in formats}
        if self.data is not None and self.format is not None:
            as_format = "JPEG" if self.format == "MPO" else self.format
            fits = max_bytes is None or len(self.data) <= max_bytes
            if fits and (self.format in accepted or as_format in accepted):
                return self.data, _MIME_TYPES.get(self.format, "application/octet-stream")

        candidates: list[str] = [f for f in ("PNG", "JPEG") if f in accepted]
        candidates += sorted((accepted - {"PNG", "JPEG", "MPO"}) & set(_MIME_TYPES))
        smallest: int | None = None
        for fmt in candidates:
            buffer = io.BytesIO()
            options: dict[str, Any] = {"quality": 90, "optimize": True} if fmt == "JPEG" else {}
            try:
                self.pixels.save(buffer, format=fmt, **options)
            except (OSError, ValueError, KeyError):
                continue  # Pillow lacks a writer for this format; try the next one.
            encoded = buffer.getvalue()
            if max_bytes is None or len(encoded) <= max_bytes:
                return encoded, _MIME_TYPES[fmt]
            smallest = len(encoded) if smallest is None else min(smallest, len(encoded))
        if smallest is None:
            raise InvalidImageError(
                f"Cannot encode {self.source} for upload: none of the accepted formats "
                f"({', '.join(sorted(accepted)) or 'none given'}) can be written. "
                "Accept JPEG or PNG.",
                source=self.source,
            )
        raise InvalidImageError(
            f"{self.source} is too large to upload: even re-encoded it takes "
            f"{smallest:,} bytes, over the limit of {max_bytes:,}. "
            f"Downscale it (it is {self.width}x{self.height}) and try again.",
            source=self.source,
        )


def is_url(value: object) -> bool:
    """True for a ``str`` that starts with ``http://`` or ``https://`` (any case)."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def load_image(
    image: ImageInput,
    *,
    limits: ImageLimits = DEFAULT_LIMITS,
    http_client: httpx.Client | None = None,
) -> LoadedImage:
    """Validate and decode ``image`` whatever its kind.

    Args:
        image: A path (``str`` or ``os.PathLike``, ``~`` expanded), an
            ``http(s)://`` URL, encoded bytes (``bytes``, ``bytearray``,
            ``memoryview``), a binary stream read from its current position, a
            Pillow image (its current frame), or a ``uint8`` NumPy array shaped
            ``HxW``, ``HxWx3`` or ``HxWx4``.
        limits: Size, time and format bounds; see :class:`ImageLimits`.
        http_client: Used for URLs instead of a fresh client, e.g. to share
            connection pools, proxies or mocks. Its own redirect limit applies.

    Raises:
        InvalidImageError: the input is missing, unreadable, empty, too big, not
            an image, corrupt, or could not be downloaded.
    """
    if is_url(image):
        url = typing.cast(str, image)
        data = _fetch(url, limits, http_client)
        return _decode(data, _redact_url(url), limits, url=url)
    return _load_local(image, limits)


async def load_image_async(
    image: ImageInput,
    *,
    limits: ImageLimits = DEFAULT_LIMITS,
    http_client: httpx.AsyncClient | None = None,
) -> LoadedImage:
    """The awaitable twin of :func:`load_image`.

    URLs are downloaded with real asynchronous I/O. Files, streams and decoding
    are blocking and CPU-bound, so they run on a worker thread to keep the event
    loop responsive.
    """
    if is_url(image):
        url = typing.cast(str, image)
        data = await _fetch_async(url, limits, http_client)
        return await asyncio.to_thread(_decode, data, _redact_url(url), limits, url=url)
    return await asyncio.to_thread(_load_local, image, limits)


# -- local inputs ------------------------------------------------------------------------


def _load_local(image: ImageInput, limits: ImageLimits) -> LoadedImage:
    if isinstance(image, Image.Image):
        return _from_pillow(image)
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if isinstance(image, bytes | bytearray | memoryview):
        data = image.tobytes() if isinstance(image, memoryview) else bytes(image)
        source = f"<bytes: {len(data)} bytes>"
        _check_size(len(data), source, limits)
        return _decode(data, source, limits)
    if isinstance(image, str | os.PathLike):
        path = Path(os.fsdecode(image))
        with contextlib.suppress(RuntimeError):  # no home directory: keep "~" as given
            path = path.expanduser()
        return _decode(_read_path(image, path, limits), str(path), limits)
    if callable(getattr(image, "read", None)):
        data, source = _read_stream(image, limits)
        return _decode(data, source, limits)
    raise InvalidImageError(
        f"Cannot load an image from a {type(image).__name__}. Pass a file path, an "
        "http(s) URL, bytes, a binary file object, a PIL.Image.Image or a uint8 NumPy array.",
        source=f"<{type(image).__name__}>",
    )


def _read_path(given: str | os.PathLike[str], path: Path, limits: ImageLimits) -> bytes:
    source = str(path)
    if isinstance(given, str) and _URL_SCHEME.match(given):
        scheme = given.split(":", 1)[0]
        raise InvalidImageError(
            f"Unsupported URL scheme {scheme!r} in {_redact_url(given)}: only http:// and "
            "https:// URLs are downloaded. Download the file yourself and pass its path or bytes.",
            source=_redact_url(given),
        )
    try:
        stat = path.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        if isinstance(exc, ValueError) or exc.errno in _NOT_A_PATH:
            raise InvalidImageError(
                f"No such file: {_shorten(source)}.{_missing_hint(given)}",
                source=_shorten(source),
            ) from exc
        # ELOOP, EACCES on a parent directory, EIO...
        raise InvalidImageError(
            f"Cannot access {_shorten(source)}: {exc.strerror or exc}.{_missing_hint(given)}",
            source=_shorten(source),
        ) from exc
    if path.is_dir():
        raise InvalidImageError(
            f"{source} is a directory, not an image file. Pass the path of one image "
            "file inside it.",
            source=source,
        )
    if stat.st_size == 0:
        raise InvalidImageError(
            f"{source} is empty (0 bytes). The file was probably not written completely; "
            "re-copy or re-download it.",
            source=source,
        )
    _check_size(stat.st_size, source, limits)
    try:
        with path.open("rb") as file:
            data = file.read(limits.max_bytes + 1)
    except PermissionError as exc:
        raise InvalidImageError(
            f"Permission denied reading {source}. Check the file's permissions "
            "(it must be readable by this process).",
            source=source,
        ) from exc
    except OSError as exc:
        raise InvalidImageError(
            f"Cannot read {source}: {exc.strerror or exc}. Check the file and the disk.",
            source=source,
        ) from exc
    _check_size(len(data), source, limits)  # the file may have grown since stat()
    return data


def _read_stream(stream: Any, limits: ImageLimits) -> tuple[bytes, str]:
    name = getattr(stream, "name", None)
    label = name if isinstance(name, str) else None
    try:
        data = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        source = label or "<stream>"
        raise InvalidImageError(
            f"Cannot read from {source}: {exc}. Pass an open, readable binary file.",
            source=source,
        ) from exc
    if isinstance(data, str):
        source = label or "<text stream>"
        raise InvalidImageError(
            f"{source} is open in text mode; images are binary. Open it with "
            "open(path, 'rb') or pass the path instead.",
            source=source,
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        source = label or f"<{type(stream).__name__}>"
        raise InvalidImageError(
            f"{source}.read() returned {type(data).__name__}, not bytes. Pass a binary "
            "file object such as open(path, 'rb') or io.BytesIO(data).",
            source=source,
        )
    data = bytes(data)
    source = label or f"<stream: {len(data)} bytes>"
    _check_size(len(data), source, limits)
    return data, source


def _check_size(size: int, source: str, limits: ImageLimits) -> None:
    if size > limits.max_bytes:
        raise InvalidImageError(
            f"{source} is larger than the limit of {limits.max_bytes:,} bytes. "
            "Downscale or recompress it, or raise ImageLimits.max_bytes.",
            source=source,
        )


def _missing_hint(given: object) -> str:
    """A guess at what a non-path string really was, because a bare "no such file" misleads."""
    if not isinstance(given, str):
        return " Check the path."
    text = given.strip()
    if text.startswith("data:"):
        return (
            " It looks like a data: URI; decode the part after the comma with "
            "base64.b64decode() and pass the bytes."
        )
    if len(text) > 100 and _BASE64ISH.match(text):
        return (
            " It looks like base64-encoded data, not a path; pass "
            "base64.b64decode(text) (bytes) instead."
        )
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text) or "\ufffd" in text:
        return (
            " It looks like raw image bytes decoded as text; read the file in binary mode "
            "and pass the bytes."
        )
    return " Check the path (relative paths start from the current directory)."


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# -- in-memory inputs ---------------------------------------------------------------------


def _from_pillow(img: Image.Image) -> LoadedImage:
    source = f"<PIL.Image {img.width}x{img.height} {img.mode}>"
    if img.width == 0 or img.height == 0:
        raise InvalidImageError(f"{source} has no pixels.", source=source)
    try:
        img.load()  # an Image.open() result is lazy; truncation shows only now
        pixels = _to_rgb(ImageOps.exif_transpose(img), source)
    except InvalidImageError:
        raise
    except Exception as exc:  # Pillow decoders raise many unrelated exception types
        raise InvalidImageError(
            f"Cannot decode {source}: {exc}. If it came from Image.open(), the file is "
            "probably truncated or corrupt.",
            source=source,
        ) from exc
    return LoadedImage(pixels=pixels, data=None, format=None, source=source)


def _from_array(array: NDArray[Any]) -> LoadedImage:
    shape = "x".join(str(n) for n in array.shape)
    source = f"<ndarray {shape} {array.dtype}>"
    accepted = "Accepted: HxWx3 (RGB), HxWx4 (RGBA) or HxW (grey) arrays of dtype uint8"
    valid_shape = array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))
    if array.dtype != np.uint8 or not valid_shape:
        raise InvalidImageError(
            f"Unsupported array: shape {array.shape}, dtype {array.dtype}. {accepted}; "
            "convert first, e.g. (x * 255).round().astype(np.uint8) for floats in [0, 1].",
            source=source,
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidImageError(f"{source} has no pixels. {accepted}.", source=source)
    img = Image.fromarray(np.ascontiguousarray(array))
    return LoadedImage(pixels=_to_rgb(img, source), data=None, format=None, source=source)


# -- decoding -----------------------------------------------------------------------------


def _decode(
    data: bytes, source: str, limits: ImageLimits, *, url: str | None = None
) -> LoadedImage:
    if not data:
        raise InvalidImageError(
            f"{source} is empty (0 bytes). Pass the image file's content.", source=source
        )
    accepted = ", ".join(sorted(limits.allowed_formats))
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
    except Exception as exc:  # plugins raise SyntaxError, struct.error, ...
        raise _corrupt(source, exc) from exc

    with img:
        if img.format not in limits.allowed_formats:  # e.g. a JPEG that is really an MPO
            raise _format_refused(source, str(img.format), accepted)
        width, height = img.size
        if width * height > limits.max_pixels:
            raise InvalidImageError(
                f"{source} is {width}x{height} = {width * height:,} pixels, over the limit of "
                f"{limits.max_pixels:,} (a guard against decompression bombs). Downscale it, "
                "or raise ImageLimits.max_pixels if you trust it.",
                source=source,
            )
        if width == 0 or height == 0:
            raise InvalidImageError(f"{source} has no pixels ({width}x{height}).", source=source)
        fmt = img.format
        try:
            img.load()  # the whole first frame, so truncation is caught here
            pixels = _to_rgb(ImageOps.exif_transpose(img), source)
        except InvalidImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(source, exc) from exc
        except Exception as exc:  # decoders raise OSError, ValueError, zlib.error...
            raise _corrupt(source, exc) from exc
    return LoadedImage(pixels=pixels, data=data, format=fmt, source=source, url=url)


def _openers(allowed: frozenset[str]) -> list[str]:
    """Pillow plugin names that can open ``allowed`` formats.

    MPO has no opener of its own (the JPEG plugin returns MPO files), and a
    name Pillow does not know would make ``Image.open`` raise ``KeyError``.
    """
    Image.init()
    names = {"JPEG" if f == "MPO" else f for f in allowed}
    return sorted(n for n in names if n in Image.OPEN)


def _bomb(source: str, exc: BaseException) -> InvalidImageError:
    return InvalidImageError(
        f"{source} is refused as a possible decompression bomb: {exc}. Downscale it, "
        "or raise ImageLimits.max_pixels if you trust it.",
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


def _to_rgb(img: Image.Image, source: str) -> Image.Image:
    """Return a new RGB image; see :attr:`LoadedImage.pixels` for why each rule exists."""
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        values = np.asarray(img).astype(np.float64)
        if mode.startswith("I;16") or (mode == "I" and values.max(initial=0) > 255):
            values = values / 257.0  # 0..65535 onto 0..255; Pillow's convert() would clip
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if img.has_transparency_data:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "RGB":
        return img.copy()
    try:
        return img.convert("RGB")
    except ValueError as exc:
        raise InvalidImageError(
            f"{source} has colour mode {mode!r}, which cannot be converted to RGB. Convert "
            "it to RGB yourself (e.g. with an ICC-aware tool) and pass that.",
            source=source,
        ) from exc


# -- URLs -----------------------------------------------------------------------------------


def _redact_url(url: str) -> str:
    """Drop ``user:password@`` so credentials never reach logs or messages.

    Only the userinfo is removed. Query strings (which may hold SAS tokens) are
    kept because they are often what distinguishes two images; callers who log
    sources of signed URLs must redact those themselves.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _check_response(response: httpx.Response, source: str, limits: ImageLimits) -> None:
    if not response.is_success:
        phrase = response.reason_phrase or "error"
        raise InvalidImageError(
            f"Downloading {source} failed: the server answered {response.status_code} {phrase}. "
            "Check that the URL is public and correct, or download it yourself and pass bytes.",
            source=source,
            status=response.status_code,
        )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise InvalidImageError(
            f"{source} is {int(declared):,} bytes, over the limit of {limits.max_bytes:,}. "
            "Use a smaller image or raise ImageLimits.max_bytes.",
            source=source,
        )


def _too_large_download(source: str, limits: ImageLimits) -> InvalidImageError:
    return InvalidImageError(
        f"{source} sent more than the limit of {limits.max_bytes:,} bytes; the download was "
        "stopped. Use a smaller image or raise ImageLimits.max_bytes.",
        source=source,
    )


def _http_error(source: str, exc: httpx.HTTPError, limits: ImageLimits) -> InvalidImageError:
    if isinstance(exc, httpx.TimeoutException):
        reason = (
            f"no answer within {limits.url_timeout_s:g} s. Try again later, or raise "
            "ImageLimits.url_timeout_s"
        )
    elif isinstance(exc, httpx.TooManyRedirects):
        reason = f"more than {_MAX_REDIRECTS} redirects. Use the final URL of the image"
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        reason = f"{exc}. Only http:// and https:// URLs can be downloaded"
    else:
        reason = f"{exc or type(exc).__name__}. Check the URL and the network"
    return InvalidImageError(f"Could not download {source}: {reason}.", source=source)


def _new_client_kwargs(limits: ImageLimits) -> dict[str, Any]:
    return {
        "timeout": httpx.Timeout(limits.url_timeout_s),
        "follow_redirects": True,
        "max_redirects": _MAX_REDIRECTS,
    }


def _fetch(url: str, limits: ImageLimits, client: httpx.Client | None) -> bytes:
    source = _redact_url(url)
    owned = client is None
    http = httpx.Client(**_new_client_kwargs(limits)) if client is None else client
    try:
        with http.stream(
            "GET", url, follow_redirects=True, timeout=httpx.Timeout(limits.url_timeout_s)
        ) as response:
            _check_response(response, source, limits)
            chunks = bytearray()
            for chunk in response.iter_bytes():
                chunks += chunk
                if len(chunks) > limits.max_bytes:
                    raise _too_large_download(source, limits)
            return bytes(chunks)
    except httpx.HTTPError as exc:
        raise _http_error(source, exc, limits) from exc
    finally:
        if owned:
            http.close()


async def _fetch_async(url: str, limits: ImageLimits, client: httpx.AsyncClient | None) -> bytes:
    source = _redact_url(url)
    owned = client is None
    http = httpx.AsyncClient(**_new_client_kwargs(limits)) if client is None else client
    try:
        async with http.stream(
            "GET", url, follow_redirects=True, timeout=httpx.Timeout(limits.url_timeout_s)
        ) as response:
            _check_response(response, source, limits)
            chunks = bytearray()
            async for chunk in response.aiter_bytes():
                chunks += chunk
                if len(chunks) > limits.max_bytes:
                    raise _too_large_download(source, limits)
            return bytes(chunks)
    except httpx.HTTPError as exc:
        raise _http_error(source, exc, limits) from exc
    finally:
        if owned:
            await http.aclose()


__all__ = [
    "DEFAULT_LIMITS",
    "ImageInput",
    "ImageLimits",
    "LoadedImage",
    "is_url",
    "load_image",
    "load_image_async",
]

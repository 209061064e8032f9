"""Every kind of input to a :class:`LoadedImage`: paths, URLs, bytes, streams, Pillow, NumPy.

Each source is read within the limits before decoding (file size from ``stat``
before reading, at most ``max_bytes + 1`` bytes read), and a string that is not
a path gets a guess at what it was (a data: URI, base64, bytes read as text).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat as stat_module
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.errors import InvalidImageError
from visionkit.images.decode import decode, to_rgb, upright
from visionkit.images.loaded import LoadedImage
from visionkit.images.settings import configured_limits
from visionkit.images.validate import ImageLimits, check_dimensions, check_size

if TYPE_CHECKING:  # .fetch (and with it httpx) is imported only when a URL is given
    import httpx

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

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/=\s_-]+$")
_CHUNK = 1 << 20
_NOT_A_PATH = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG})
"""stat() errors meaning "there is no such file", including strings too long to be a path."""


def is_url(value: object) -> bool:
    """True for a ``str`` that starts with ``http://`` or ``https://`` (any case)."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def load_image(
    image: ImageInput,
    *,
    limits: ImageLimits | None = None,
    http_client: httpx.Client | None = None,
    reduce: tuple[int, int] | None = None,
) -> LoadedImage:
    """Validate and decode ``image`` whatever its kind.

    Args:
        image: A path (``str`` or ``os.PathLike``, ``~`` expanded), an
            ``http(s)://`` URL, encoded bytes (``bytes``, ``bytearray``,
            ``memoryview``, or any object with the buffer protocol, such as
            ``array.array``), a binary stream (or ``mmap``) read from its current position, a
            Pillow image (its current frame), or a ``uint8`` NumPy array shaped
            ``HxW``, ``HxWx3`` or ``HxWx4``.
        limits: Size, time, format and URL-policy bounds; see
            :class:`ImageLimits`. ``None`` takes them from the configuration
            (``configure(images=...)``, ``VISIONKIT_IMAGES_*``, ``[images]``).
        reduce: ``(long, short)``: a JPEG may be decoded at reduced scale while its
            sides keep at least these many pixels (:func:`~visionkit.images.decode.decode`);
            for callers that never look at full resolution. Decoded inputs
            (Pillow, NumPy) are passed through at their size.
        http_client: Used for URLs instead of visionkit's own client, e.g. to go
            through a proxy. visionkit still follows the redirects itself and
            applies every rule, but checks a host's addresses before the request
            instead of at the connection, since the client resolves the host
            again (docs/images.md).

    Raises:
        InvalidImageError: the input is missing, unreadable, empty, too big, not
            an image, corrupt, or could not be downloaded.
    """
    limits = configured_limits() if limits is None else limits
    if is_url(image):
        from visionkit.images.fetch import fetch, redact_url

        url = typing.cast(str, image)
        data = fetch(url, limits, http_client)
        return decode(data, redact_url(url), limits, url=url, reduce=reduce)
    return _load_local(image, limits, reduce)


async def load_image_async(
    image: ImageInput,
    *,
    limits: ImageLimits | None = None,
    http_client: httpx.AsyncClient | None = None,
    reduce: tuple[int, int] | None = None,
) -> LoadedImage:
    """The awaitable twin of :func:`load_image`.

    URLs are downloaded with real asynchronous I/O. Files, streams and decoding
    are blocking and CPU-bound, so they run on a worker thread to keep the event
    loop responsive.
    """
    import asyncio  # loaded already whenever a coroutine runs; sync callers never pay for it

    limits = configured_limits() if limits is None else limits
    if is_url(image):
        from visionkit.images.fetch import fetch_async, redact_url

        url = typing.cast(str, image)
        data = await fetch_async(url, limits, http_client)
        return await asyncio.to_thread(
            decode, data, redact_url(url), limits, url=url, reduce=reduce
        )
    return await asyncio.to_thread(_load_local, image, limits, reduce)


# -- local inputs ---------------------------------------------------------------------------


def _load_local(
    image: ImageInput, limits: ImageLimits, reduce: tuple[int, int] | None = None
) -> LoadedImage:
    if isinstance(image, Image.Image):
        return _from_pillow(image, limits)
    if isinstance(image, np.ndarray):
        return _from_array(image, limits)
    if isinstance(image, bytes | bytearray | memoryview):
        data, source = _from_buffer(image, limits)
        return decode(data, source, limits, reduce=reduce)
    if isinstance(image, str | os.PathLike):
        text = _fspath(image)
        if not text:  # Path("") is ".", which would be reported as a directory
            raise InvalidImageError(
                "The image path is empty. Pass the path of an image file.", source="<empty path>"
            )
        path = Path(text)
        with contextlib.suppress(RuntimeError):  # no home directory: keep "~" as given
            path = path.expanduser()
        return decode(_read_path(image, path, limits), str(path), limits, reduce=reduce)
    if callable(getattr(image, "read", None)):
        data, source = _read_stream(image, limits)
        return decode(data, source, limits, reduce=reduce)
    view = _buffer(image)
    if view is not None:  # array.array, ctypes arrays, other objects exposing a buffer
        data, source = _from_buffer(view, limits)
        return decode(data, source, limits, reduce=reduce)
    raise InvalidImageError(
        f"Cannot load an image from an object of type {type(image).__name__}. Pass a file path, an "
        "http(s) URL, bytes, a binary file object, a PIL.Image.Image or a uint8 NumPy array.",
        source=f"<{type(image).__name__}>",
    )


def _from_buffer(image: bytes | bytearray | memoryview, limits: ImageLimits) -> tuple[bytes, str]:
    """The bytes of a buffer, its size checked before the copy."""
    try:
        size = image.nbytes if isinstance(image, memoryview) else len(image)
    except ValueError as exc:  # a released memoryview
        raise InvalidImageError(
            f"Cannot read the memoryview: {exc}. Pass it before calling release(), or pass "
            "bytes(view).",
            source="<memoryview>",
        ) from exc
    source = f"<bytes: {size} bytes>"
    check_size(size, source, limits)
    try:
        data = image.tobytes() if isinstance(image, memoryview) else bytes(image)
    except (ValueError, TypeError, BufferError) as exc:
        raise InvalidImageError(f"Cannot read {source}: {exc}. Pass bytes.", source=source) from exc
    return data, source


def _buffer(image: object) -> memoryview | None:
    """A memoryview of an object that exposes the buffer protocol, else ``None``."""
    try:
        return memoryview(image)  # type: ignore[arg-type]
    except (TypeError, ValueError, BufferError):
        return None


def _fspath(image: str | os.PathLike[str]) -> str:
    """``os.fsdecode(image)``, with a clear error for a PathLike whose ``__fspath__`` misbehaves."""
    if isinstance(image, str):
        return image
    name = type(image).__name__
    try:
        value = os.fsdecode(image)
    except TypeError as exc:
        raise InvalidImageError(
            f"The {name} path object did not give a path ({exc}). Its __fspath__() must "
            "return str or bytes; pass str(path) instead.",
            source=f"<{name}>",
        ) from exc
    except Exception as exc:  # a caller's __fspath__ can raise anything
        raise InvalidImageError(
            f"The {name} path object raised {type(exc).__name__} from __fspath__(): {exc}. "
            "Pass the path as a str.",
            source=f"<{name}>",
        ) from exc
    return value


_READ_BY = {"s3": "aws", "gs": "google"}
"""Storage URIs that a cloud backend reads itself (no other backend can)."""


def _read_path(given: str | os.PathLike[str], path: Path, limits: ImageLimits) -> bytes:
    source = str(path)
    if isinstance(given, str) and _URL_SCHEME.match(given):
        from visionkit.images.fetch import redact_url

        scheme = given.split(":", 1)[0]
        reader = _READ_BY.get(scheme.lower())
        raise InvalidImageError(
            f"Unsupported URL scheme {scheme!r} in {redact_url(given)}: only http:// and "
            "https:// URLs are downloaded. Download the file yourself and pass its path or bytes"
            + (f", or use backend={reader!r}, which reads {scheme}:// itself." if reader else "."),
            source=redact_url(given),
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
    if not stat_module.S_ISREG(stat.st_mode):
        raise _not_regular(source, stat.st_mode)
    if stat.st_size == 0:
        raise InvalidImageError(
            f"{source} is empty (0 bytes). The file was probably not written completely; "
            "re-copy or re-download it.",
            source=source,
        )
    check_size(stat.st_size, source, limits)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since stat(), open() must not
        # wait for a writer; fstat() then sees what was really opened.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as file:
            opened = os.fstat(file.fileno()).st_mode
            if not stat_module.S_ISREG(opened):
                raise _not_regular(source, opened)
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
    check_size(len(data), source, limits)  # the file may have grown since stat()
    return data


def _not_regular(source: str, mode: int) -> InvalidImageError:
    kind = (
        "a FIFO (named pipe)"
        if stat_module.S_ISFIFO(mode)
        else "a character device"
        if stat_module.S_ISCHR(mode)
        else "a block device"
        if stat_module.S_ISBLK(mode)
        else "a socket"
        if stat_module.S_ISSOCK(mode)
        else "not a regular file"
    )
    return InvalidImageError(
        f"{source} is {kind}, not a regular file; only regular files are read, because "
        "reading a pipe or a device may never end. Copy the image into a file, or read it "
        "yourself and pass the bytes.",
        source=source,
    )


def _read_stream(stream: Any, limits: ImageLimits) -> tuple[bytes, str]:
    name = getattr(stream, "name", None)
    label = name if isinstance(name, str) else None
    if isinstance(stream, io.TextIOBase):
        source = label or "<text stream>"
        raise InvalidImageError(
            f"{source} is open in text mode; images are binary. Open it with "
            "open(path, 'rb') or pass the path instead.",
            source=source,
        )
    try:
        data = _read_chunks(stream, limits)
    except Exception as exc:  # closed files, broken read() methods: anything
        source = label or f"<{type(stream).__name__}>"
        what = (
            "it is closed"
            if getattr(stream, "closed", False) is True
            else f"read() raised {type(exc).__name__}: {exc}"
        )
        raise InvalidImageError(
            f"Cannot read from {source}: {what}. Pass an open, readable binary file.",
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
    check_size(len(data), source, limits)
    return data, source


def _read_chunks(stream: Any, limits: ImageLimits) -> object:
    """Up to ``max_bytes + 1`` bytes, in chunks: one read() may return less than asked.

    Returns whatever a read() returned when it was not bytes, for the caller to name.
    """
    out = bytearray()
    while len(out) <= limits.max_bytes:
        chunk = stream.read(min(_CHUNK, limits.max_bytes + 1 - len(out)))
        if not isinstance(chunk, bytes | bytearray | memoryview):
            return chunk if not out and chunk is not None else bytes(out)
        if not chunk:
            break
        out += chunk
    return bytes(out)


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


# -- in-memory inputs ------------------------------------------------------------------------
def _from_pillow(img: Image.Image, limits: ImageLimits) -> LoadedImage:
    source = f"<PIL.Image {img.width}x{img.height} {img.mode}>"
    if img.width == 0 or img.height == 0:
        raise InvalidImageError(f"{source} has no pixels.", source=source)
    check_dimensions(img.width, img.height, source, limits)
    try:
        img.load()  # an Image.open() result is lazy; truncation shows only now
        shown = upright(img)  # a turned image is new, and need not be copied again
        pixels = to_rgb(shown, source, owned=shown is not img)
    except InvalidImageError:
        raise
    except MemoryError as exc:
        raise _out_of_memory(source) from exc
    except Exception as exc:  # Pillow decoders raise many unrelated exception types
        raise InvalidImageError(
            f"Cannot decode {source}: {exc}. If it came from Image.open(), the file is "
            "probably truncated or corrupt.",
            source=source,
        ) from exc
    return LoadedImage(pixels=pixels, data=None, format=None, source=source)


def _out_of_memory(source: str) -> InvalidImageError:
    return InvalidImageError(
        f"Not enough memory to convert {source} to RGB. Downscale it, or lower "
        "ImageLimits.max_pixels so that such inputs are refused up front.",
        source=source,
    )


def _from_array(array: NDArray[Any], limits: ImageLimits) -> LoadedImage:
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
    # Before any copy: a broadcast view of a few bytes can claim gigabytes of pixels.
    check_dimensions(array.shape[1], array.shape[0], source, limits)
    try:
        img = Image.fromarray(np.ascontiguousarray(array))
        pixels = to_rgb(img, source)
    except MemoryError as exc:
        raise _out_of_memory(source) from exc
    return LoadedImage(pixels=pixels, data=None, format=None, source=source)


__all__ = ["ImageInput", "is_url", "load_image", "load_image_async"]

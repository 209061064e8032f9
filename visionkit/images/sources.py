"""Every kind of input to a :class:`LoadedImage`: paths, URLs, bytes, streams, Pillow, NumPy.

Each source is read within the limits before decoding (file size from ``stat``
before reading, at most ``max_bytes + 1`` bytes read), and a string that is not
a path gets a guess at what it was (a data: URI, base64, bytes read as text).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import typing
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from visionkit.errors import InvalidImageError
from visionkit.images.decode import decode, to_rgb
from visionkit.images.fetch import fetch, fetch_async, redact_url
from visionkit.images.loaded import LoadedImage
from visionkit.images.validate import DEFAULT_LIMITS, ImageLimits, check_size

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
_NOT_A_PATH = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG})
"""stat() errors meaning "there is no such file", including strings too long to be a path."""


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
        data = fetch(url, limits, http_client)
        return decode(data, redact_url(url), limits, url=url)
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
        data = await fetch_async(url, limits, http_client)
        return await asyncio.to_thread(decode, data, redact_url(url), limits, url=url)
    return await asyncio.to_thread(_load_local, image, limits)


# -- local inputs ---------------------------------------------------------------------------


def _load_local(image: ImageInput, limits: ImageLimits) -> LoadedImage:
    if isinstance(image, Image.Image):
        return _from_pillow(image)
    if isinstance(image, np.ndarray):
        return _from_array(image)
    if isinstance(image, bytes | bytearray | memoryview):
        data = image.tobytes() if isinstance(image, memoryview) else bytes(image)
        source = f"<bytes: {len(data)} bytes>"
        check_size(len(data), source, limits)
        return decode(data, source, limits)
    if isinstance(image, str | os.PathLike):
        path = Path(os.fsdecode(image))
        with contextlib.suppress(RuntimeError):  # no home directory: keep "~" as given
            path = path.expanduser()
        return decode(_read_path(image, path, limits), str(path), limits)
    if callable(getattr(image, "read", None)):
        data, source = _read_stream(image, limits)
        return decode(data, source, limits)
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
            f"Unsupported URL scheme {scheme!r} in {redact_url(given)}: only http:// and "
            "https:// URLs are downloaded. Download the file yourself and pass its path or bytes.",
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
    if stat.st_size == 0:
        raise InvalidImageError(
            f"{source} is empty (0 bytes). The file was probably not written completely; "
            "re-copy or re-download it.",
            source=source,
        )
    check_size(stat.st_size, source, limits)
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
    check_size(len(data), source, limits)  # the file may have grown since stat()
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
    check_size(len(data), source, limits)
    return data, source


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
def _from_pillow(img: Image.Image) -> LoadedImage:
    source = f"<PIL.Image {img.width}x{img.height} {img.mode}>"
    if img.width == 0 or img.height == 0:
        raise InvalidImageError(f"{source} has no pixels.", source=source)
    try:
        img.load()  # an Image.open() result is lazy; truncation shows only now
        pixels = to_rgb(ImageOps.exif_transpose(img), source)
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
    return LoadedImage(pixels=to_rgb(img, source), data=None, format=None, source=source)


__all__ = ["ImageInput", "is_url", "load_image", "load_image_async"]

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

The steps live in one module each: :mod:`~visionkit.images.sources` (every
input kind, the entry point :func:`load_image`), :mod:`~visionkit.images.validate`
(the limits), :mod:`~visionkit.images.decode`, :mod:`~visionkit.images.fetch`
(URLs) and :mod:`~visionkit.images.encode` (bytes for an upload).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visionkit.lazy import lazy_exports

if TYPE_CHECKING:
    from visionkit.images.encode import encode_for_upload
    from visionkit.images.fetch import redact_url
    from visionkit.images.loaded import LoadedImage
    from visionkit.images.sources import ImageInput, is_url, load_image, load_image_async
    from visionkit.images.validate import DEFAULT_LIMITS, ImageLimits

#: Each public name and its module, imported on first access (PEP 562): a path never
#: needs :mod:`.fetch`, and with it httpx, which only URLs do.
_EXPORTS: dict[str, str] = {
    "DEFAULT_LIMITS": "visionkit.images.validate",
    "ImageInput": "visionkit.images.sources",
    "ImageLimits": "visionkit.images.validate",
    "LoadedImage": "visionkit.images.loaded",
    "encode_for_upload": "visionkit.images.encode",
    "is_url": "visionkit.images.sources",
    "load_image": "visionkit.images.sources",
    "load_image_async": "visionkit.images.sources",
    "redact_url": "visionkit.images.fetch",
}

__all__ = [
    "DEFAULT_LIMITS",
    "ImageInput",
    "ImageLimits",
    "LoadedImage",
    "encode_for_upload",
    "is_url",
    "load_image",
    "load_image_async",
    "redact_url",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

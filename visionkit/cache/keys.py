"""What makes two analyses the same, written down as a cache key.

A key is the SHA-256 of a canonical JSON document naming everything that can
change an answer: the image's own SHA-256 (its content, not its name, so a
renamed or copied photo is still a hit), the backend, the visionkit version
(whose mapping code shapes the result), the features asked for, and the
backend's options. Two kinds of option are left out:

* secrets (API keys), entirely: not even a hash of a key may reach a file
  that outlives the process, because a short or reused key can be guessed
  back from its hash;
* options that change how a request is delivered but never what it answers
  (timeouts, retry budgets), so tuning them does not throw away paid results.

Any other option, including ones a future backend adds, is part of the key:
an unknown option can only cost a miss, never serve a wrong answer. A model
file named by an option contributes its size and modification time, so a
retrained model at the same path starts a fresh cache.

URLs are not keyed: the bytes behind a URL can change without the URL
changing, and the query string of a signed URL is a credential.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from visionkit.features import Feature
from visionkit.images import DEFAULT_LIMITS, ImageInput, is_url
from visionkit.images.settings import configured_limits
from visionkit.options import is_secret
from visionkit.version import __version__

DELIVERY_OPTIONS: frozenset[str] = frozenset(
    {
        "timeout_s",
        "max_retries",
        "max_retry_time_s",
        "backoff_base_s",
        "backoff_max_s",
        "read_poll_interval_s",
        "read_max_wait_s",
    }
)
"""Options that decide how hard and how long to try, not what the service answers."""

_CHUNK = 1 << 20
_ROWS = 256


def _within_pixel_limits(width: int, height: int) -> bool:
    """Whether the loader would accept this size: hashing a bigger image (a broadcast view
    claiming gigabytes, a 20,000-pixel PIL image) would cost what the limit saves."""
    limits = configured_limits()
    return width * height <= limits.max_pixels and max(width, height) <= limits.max_side


def image_digest(image: ImageInput) -> tuple[str | None, ImageInput]:
    """The SHA-256 of the image's content, or ``None`` when it cannot be cached.

    Returns the input to analyse next alongside, which is ``image`` itself
    except for streams (their bytes). Paths are read in chunks, never whole,
    and an unreadable path gives ``None``: the analyzer will report it with
    the proper message.
    """
    if isinstance(image, str) and is_url(image):
        return None, image
    if isinstance(image, bytes | bytearray | memoryview):
        try:
            return "bytes:" + hashlib.sha256(image).hexdigest(), image
        except (ValueError, TypeError, BufferError):  # a released or odd view
            return None, image
    if isinstance(image, str | os.PathLike):
        digest = hashlib.sha256()
        try:
            path = Path(os.fsdecode(image)).expanduser()
            info = path.stat()  # a FIFO or a device would never end: the loader refuses it
            if not stat.S_ISREG(info.st_mode) or info.st_size > DEFAULT_LIMITS.max_bytes:
                return None, image
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except Exception:  # any odd path object: the loader names the problem
            return None, image
        return "bytes:" + digest.hexdigest(), image
    if isinstance(image, Image.Image):
        if not _within_pixel_limits(*image.size):
            return None, image
        digest = hashlib.sha256(f"{image.mode}:{image.size[0]}x{image.size[1]}:".encode())
        for top in range(0, image.height, _ROWS):  # strips: no full-size copy to hash
            bottom = min(top + _ROWS, image.height)  # crop() pads past the edge
            digest.update(image.crop((0, top, image.width, bottom)).tobytes())
        return "pixels:" + digest.hexdigest(), image
    if isinstance(image, np.ndarray):
        if image.ndim < 2 or not _within_pixel_limits(image.shape[1], image.shape[0]):
            return None, image  # the loader refuses it, with the size in the message
        digest = hashlib.sha256(f"{image.dtype.str}:{image.shape}:".encode())
        for top in range(0, image.shape[0], _ROWS):  # a broadcast view is copied a strip at a time
            digest.update(np.ascontiguousarray(image[top : top + _ROWS]).tobytes())
        return "array:" + digest.hexdigest(), image
    read = getattr(image, "read", None)
    if callable(read):
        try:
            data = read(DEFAULT_LIMITS.max_bytes + 1)  # never more than the loader accepts
        except Exception:  # a closed or broken stream: the loader names the problem
            return None, image
        if isinstance(data, bytes):
            return "bytes:" + hashlib.sha256(data).hexdigest(), data
    return None, image


def options_fingerprint(options: Any) -> dict[str, Any]:
    """The options that can change an answer, as JSON-ready values; secrets never appear."""
    if not dataclasses.is_dataclass(options) or isinstance(options, type):
        return {}
    out: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        if is_secret(f) or f.name in DELIVERY_OPTIONS:
            continue
        out[f.name] = _plain(getattr(options, f.name))
    return out


def cache_key(
    digest: str,
    *,
    backend: str,
    options: Any,
    features: frozenset[Feature],
    version: str | None = None,
) -> str:
    """The key for ``digest`` analysed by ``backend`` with ``options`` for ``features``."""
    if version is None:
        version = __version__
    document = {
        "image": digest,
        "backend": backend,
        "visionkit": version,
        "features": sorted(f.value for f in features),
        "options": options_fingerprint(options),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Path):
        try:
            stat = value.stat()
        except OSError:
            return {"path": str(value)}
        return {"path": str(value), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if isinstance(value, tuple | list | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return repr(value)


__all__ = ["DELIVERY_OPTIONS", "cache_key", "image_digest", "options_fingerprint"]

"""Undo a download's ``Content-Encoding`` a bounded piece at a time.

A gzip stream inflates about a thousand times (64 kB to 64 MB); a second layer
multiplies again. So the inflater is given at most the room left under the
byte limit on every call, and at most one layer (gzip or deflate) is accepted:
an image served compressed twice, or with an encoding Python cannot undo
without another library (``br``, ``zstd``), is refused with a clear error.
"""

from __future__ import annotations

import zlib

from visionkit.errors import InvalidImageError

_ZLIB_OR_GZIP = 32 + zlib.MAX_WBITS  # accept either header, as browsers do for "deflate"


class Inflater:
    """Collects a body, inflating it if needed; :meth:`feed` says when the limit is passed."""

    def __init__(self, content_encoding: str, max_bytes: int, source: str) -> None:
        layers = [e.strip().lower() for e in content_encoding.split(",")]
        layers = [e for e in layers if e and e != "identity"]
        if len(layers) > 1:
            raise InvalidImageError(
                f"{source} was sent with {len(layers)} layers of Content-Encoding "
                f"({content_encoding.strip()}); at most one (gzip or deflate) is accepted, "
                "because each layer multiplies the size. Serve the image uncompressed.",
                source=source,
            )
        if layers and layers[0] not in ("gzip", "x-gzip", "deflate"):
            raise InvalidImageError(
                f"{source} was sent with Content-Encoding {layers[0]!r}, which is not supported "
                "(gzip and deflate are). Serve the image uncompressed.",
                source=source,
            )
        self._zlib = zlib.decompressobj(_ZLIB_OR_GZIP) if layers else None
        self._max = max_bytes
        self._source = source
        self._out = bytearray()

    def feed(self, chunk: bytes) -> bool:
        """Add ``chunk``; ``True`` once more than ``max_bytes`` have been collected."""
        if self._zlib is None:
            self._out += chunk
            return len(self._out) > self._max
        pending = chunk
        while pending:
            room = self._max + 1 - len(self._out)
            try:
                self._out += self._zlib.decompress(pending, room)
            except zlib.error as exc:
                raise self._corrupt(exc) from exc
            if len(self._out) > self._max:
                return True
            pending = self._zlib.unconsumed_tail
        return False

    def finish(self) -> bool:
        """Flush the inflater; ``True`` when that passes ``max_bytes``."""
        if self._zlib is not None:
            try:
                self._out += self._zlib.flush(self._max + 1 - len(self._out))
            except zlib.error as exc:
                raise self._corrupt(exc) from exc
        return len(self._out) > self._max

    def data(self) -> bytes:
        return bytes(self._out)

    def _corrupt(self, exc: zlib.error) -> InvalidImageError:
        return InvalidImageError(
            f"{self._source} was sent compressed (Content-Encoding), and the compressed data "
            f"is corrupt ({exc}). Re-download it or serve it uncompressed.",
            source=self._source,
        )


__all__ = ["Inflater"]

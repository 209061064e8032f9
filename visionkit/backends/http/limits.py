"""Bounds on one call: a total deadline and a response size cap, for every cloud backend.

httpx's timeouts are per operation (connect, each read), so a server that
drips its body one byte at a time, or stalls between bytes, never trips
them. A :class:`Deadline` is the time a whole call may take, connect to last
byte, retries and polling waits included: every attempt gets at most the
time that remains, the body is read in chunks with the deadline checked
between them, and a sync read still blocked at the deadline is interrupted
by shutting its socket down.

Bodies are read and decompressed here, not by httpx, so that both the bytes
on the wire and the bytes after ``Content-Encoding`` (gzip, deflate, stacked)
are counted as they arrive: an endless body or a gzip bomb stops at the cap
instead of filling memory.
"""

from __future__ import annotations

import contextlib
import math
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""8 MiB, compressed and decompressed: real vision answers are kilobytes (a thumbnail, hundreds)."""


class DeadlineExceeded(httpx.TimeoutException):
    """The call's total deadline passed; never retried (there is no time left to retry in)."""

    def __init__(
        self, message: str, *, deadline_s: float, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.deadline_s = deadline_s


class ResponseTooLarge(httpx.TransportError):
    """The answer passed the size cap, on the wire or after decompression."""

    def __init__(self, message: str, *, limit: int, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.limit = limit


class BadContentEncoding(httpx.TransportError):
    """The body claimed an encoding it does not have, or one visionkit did not ask for."""


@dataclass
class Deadline:
    """``seconds`` from ``start`` on ``clock`` (any object with ``now()``)."""

    clock: Any
    seconds: float
    start: float = math.nan

    def __post_init__(self) -> None:
        if math.isnan(self.start):
            self.start = self.clock.now()

    def remaining(self) -> float:
        return float(self.seconds - (self.clock.now() - self.start))

    def expired(self) -> bool:
        return self.remaining() <= 0

    def exceeded(self, what: str, request: httpx.Request | None = None) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"{what} did not finish within the call's {self.seconds:g}s deadline",
            deadline_s=self.seconds,
            request=request,
        )


class _Decoder:
    """Stacked gzip/deflate decoding whose output is bounded at every layer."""

    def __init__(self, encodings: list[str], limit: int, request: httpx.Request) -> None:
        self._layers: list[Any] = []
        self._kinds: list[str] = []
        for name in reversed(encodings):  # the last encoding applied is undone first
            if name in ("identity", ""):
                continue
            if name not in ("gzip", "x-gzip", "deflate"):
                raise BadContentEncoding(f"unsupported Content-Encoding {name!r}", request=request)
            self._kinds.append(name)
            self._layers.append(self._new(name))
        self._limit = limit
        self._request = request
        self.total = 0

    @staticmethod
    def _new(name: str) -> Any:
        return zlib.decompressobj(zlib.MAX_WBITS | 32 if name != "deflate" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        for index in range(len(self._layers)):
            data = self._layer(index, data)
        self.total += len(data)
        if self.total > self._limit:
            raise self._too_large()
        return data

    def _layer(self, index: int, data: bytes) -> bytes:
        out = bytearray()
        while data:
            layer = self._layers[index]
            try:
                out += layer.decompress(data, self._limit + 1 - len(out))
            except zlib.error as exc:
                raise BadContentEncoding(
                    f"the body is not valid {self._kinds[index]}: {exc}", request=self._request
                ) from None
            if len(out) > self._limit:
                raise self._too_large()
            if layer.unconsumed_tail:
                data = layer.unconsumed_tail
            elif layer.eof and layer.unused_data:  # a multi-member gzip body
                data = layer.unused_data
                self._layers[index] = self._new(self._kinds[index])
            else:
                data = b""
        return bytes(out)

    def _too_large(self) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"the answer passed {self._limit:,} bytes after decompression",
            limit=self._limit,
            request=self._request,
        )


def _encodings(response: httpx.Response) -> list[str]:
    header = response.headers.get("Content-Encoding", "")
    return [part.strip().lower() for part in header.split(",") if part.strip()]


def _rebuilt(response: httpx.Response, body: bytes) -> httpx.Response:
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
    )


def _check_wire(response: httpx.Response, limit: int) -> None:
    if response.num_bytes_downloaded > limit:
        raise ResponseTooLarge(
            f"the answer passed {limit:,} bytes on the wire", limit=limit, request=response.request
        )


def _already_read(response: httpx.Response, limit: int) -> bool:
    """A transport that answered with content in hand (a mock) has nothing left to stream."""
    if not response.is_stream_consumed:
        return False
    if len(response.content) > limit:
        raise ResponseTooLarge(
            f"the answer passed {limit:,} bytes", limit=limit, request=response.request
        )
    return True


def read_bounded(response: httpx.Response, deadline: Deadline, limit: int) -> httpx.Response:
    """Read a streamed sync response within ``deadline`` and ``limit``; closes it."""
    if _already_read(response, limit):
        return response
    decoder = _Decoder(_encodings(response), limit, response.request)
    parts: list[bytes] = []
    watchdog = _watchdog(response, deadline)
    try:
        chunks: Iterator[bytes] = response.iter_raw()
        for chunk in chunks:
            _check_wire(response, limit)
            parts.append(decoder.feed(chunk))
            if deadline.expired():
                raise deadline.exceeded("Reading the answer", response.request)
    except httpx.TransportError:
        if deadline.expired():
            raise deadline.exceeded("Reading the answer", response.request) from None
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
        response.close()
    return _rebuilt(response, b"".join(parts))


async def aread_bounded(response: httpx.Response, deadline: Deadline, limit: int) -> httpx.Response:
    """The awaitable twin of :func:`read_bounded` (the caller bounds it with a timeout)."""
    if _already_read(response, limit):
        return response
    decoder = _Decoder(_encodings(response), limit, response.request)
    parts: list[bytes] = []
    try:
        chunks: AsyncIterator[bytes] = response.aiter_raw()
        async for chunk in chunks:
            _check_wire(response, limit)
            parts.append(decoder.feed(chunk))
            if deadline.expired():
                raise deadline.exceeded("Reading the answer", response.request)
    finally:
        await response.aclose()
    return _rebuilt(response, b"".join(parts))


def _watchdog(response: httpx.Response, deadline: Deadline) -> threading.Timer | None:
    """A timer that shuts the socket down at the deadline, waking a blocked read."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return None

    def shut() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(2)  # SHUT_RDWR: a blocked recv returns at once

    timer = threading.Timer(max(deadline.remaining(), 0.0), shut)
    timer.daemon = True
    timer.start()
    return timer


__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BadContentEncoding",
    "Deadline",
    "DeadlineExceeded",
    "ResponseTooLarge",
    "aread_bounded",
    "read_bounded",
]

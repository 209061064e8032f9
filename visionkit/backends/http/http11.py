"""A lean HTTP/1.1 connection for httpcore's pool, on :mod:`visionkit.backends.http.netio`.

httpcore's own HTTP/1.1 connection runs every request through h11's event
machine, four tracing context managers, an anyio lock and an anyio
cancellation shield, and writes the request's headers and body separately: at
64 requests in flight on two cores that was much of the event loop's time per
call (docs/benchmarks/batch.md). :class:`LeanHTTP11Connection` does the same
protocol work directly: it writes the head and a small body in one send, parses
the status line and headers itself, and reads the body by its
``Content-Length``, as chunks, or to the end of the connection, as RFC 9112
says. It keeps what callers rely on: keep-alive (and its expiry), closing a
connection whose answer was not read to the end or said ``Connection: close``,
httpcore's exceptions (``RemoteProtocolError`` for a malformed or truncated
answer, ``LocalProtocolError`` for a header that cannot be sent, the
network backend's timeouts and I/O errors), and the pool around it.

:class:`LeanConnectionPool` is httpcore's :class:`~httpcore.AsyncConnectionPool`
with these connections: only its ``create_connection`` differs, so respx (which
patches the pool's ``handle_async_request``) mocks it as it mocks httpcore's.
HTTP/1.1 only, direct connections only (no proxy, no HTTP/2): what a batch's
pools need (:mod:`visionkit.batch.pools`).
"""

from __future__ import annotations

import contextlib
import enum
import re
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable

import httpcore
import httpx
from httpcore._exceptions import ConnectionNotAvailable

from visionkit.backends.http.netio import DEFAULT_LIMITS, AsyncioBackend, SocketOption

MAX_HEAD_BYTES = 100 * 1024
"""The longest status line and headers accepted (h11's limit, as httpcore sets it)."""

READ_BYTES = 64 * 1024
RETRIES_BACKOFF_FACTOR = 0.5  # as httpcore's connections back off between connect attempts
_COALESCE_BYTES = 64 * 1024  # a body up to this size goes out in the same send as the head

_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00\r\n]")
_TARGET = re.compile(rb"[^\x00-\x20\x7f]+")
_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) ([0-9]{3})(?: (.*))?")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(?:;.*)?")


class _State(enum.Enum):
    NEW = 0
    ACTIVE = 1
    IDLE = 2
    CLOSED = 3


class LeanHTTP11Connection(httpcore.AsyncConnectionInterface):
    """One keep-alive HTTP/1.1 connection to ``origin`` (see the module's docstring)."""

    def __init__(
        self,
        origin: httpcore.Origin,
        *,
        ssl_context: ssl.SSLContext | None,
        keepalive_expiry: float | None,
        network_backend: httpcore.AsyncNetworkBackend,
        retries: int = 0,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        self._origin = origin
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._backend = network_backend
        self._retries = retries
        self._local_address = local_address
        self._socket_options = socket_options
        self._stream: httpcore.AsyncNetworkStream | None = None
        self._state = _State.NEW
        self._expire_at: float | None = None
        self._request_count = 0
        self._buffer = b""  # received bytes not yet parsed

    # -- the request ----------------------------------------------------------------------

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if not self.can_handle_request(request.url.origin):
            raise RuntimeError(
                f"Attempted to send request to {request.url.origin} on connection to {self._origin}"
            )
        if self._state is not _State.NEW and self._state is not _State.IDLE:
            raise ConnectionNotAvailable()
        self._state = _State.ACTIVE
        self._expire_at = None
        self._request_count += 1
        timeouts = request.extensions.get("timeout", {})
        try:
            stream = self._stream
            if stream is None:
                stream = self._stream = await self._connect(request, timeouts.get("connect"))
            # As httpcore does: a server may answer (413, say) and close before taking
            # the whole request; read its answer if there is one.
            with contextlib.suppress(httpcore.WriteError):
                await self._send(stream, request, timeouts.get("write"))
            return await self._receive_head(stream, request, timeouts.get("read"))
        except BaseException:
            await self.aclose()
            raise

    async def _connect(
        self, request: httpcore.Request, timeout: float | None
    ) -> httpcore.AsyncNetworkStream:
        host = self._origin.host.decode("ascii")
        retries_left = self._retries
        delay = 0.0
        while True:
            try:
                stream = await self._backend.connect_tcp(
                    host,
                    self._origin.port,
                    timeout=timeout,
                    local_address=self._local_address,
                    socket_options=self._socket_options,
                )
                break
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if retries_left <= 0:
                    raise
                retries_left -= 1
                await self._backend.sleep(delay)
                delay = RETRIES_BACKOFF_FACTOR if delay == 0 else delay * 2
        if self._origin.scheme == b"https":
            context = self._ssl_context or httpx.create_ssl_context()
            sni = request.extensions.get("sni_hostname") or host
            if isinstance(sni, bytes):
                sni = sni.decode("ascii")
            stream = await stream.start_tls(context, server_hostname=sni, timeout=timeout)
        return stream

    async def _send(
        self, stream: httpcore.AsyncNetworkStream, request: httpcore.Request, timeout: float | None
    ) -> None:
        target = request.url.target
        if not _TOKEN.fullmatch(request.method) or not _TARGET.fullmatch(target):
            raise httpcore.LocalProtocolError("Illegal method or target in the request line")
        parts = [request.method, b" ", target, b" HTTP/1.1\r\n"]
        length: int | None = None
        chunked = False
        for name, value in request.headers:
            if not _TOKEN.fullmatch(name) or _FORBIDDEN_IN_VALUE.search(value):
                raise httpcore.LocalProtocolError("Illegal header name or value")
            lowered = name.lower()
            if lowered == b"content-length":
                if not value.isdigit():
                    raise httpcore.LocalProtocolError("Illegal Content-Length value")
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"\r\n")
        head = b"".join(parts)
        sent = 0
        assert isinstance(request.stream, AsyncIterable)  # httpx's async transport gives one
        async for chunk in request.stream:
            if not chunk:
                continue
            sent += len(chunk)
            if not chunked and (length is None or sent > length):
                raise httpcore.LocalProtocolError("Too much data for declared Content-Length")
            data = b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else bytes(chunk)
            if head and len(data) <= _COALESCE_BYTES:
                data, head = head + data, b""
            elif head:
                await stream.write(head, timeout=timeout)
                head = b""
            await stream.write(data, timeout=timeout)
        if chunked:
            head += b"0\r\n\r\n"
        elif length is not None and sent != length:
            raise httpcore.LocalProtocolError("Too little data for declared Content-Length")
        if head:
            await stream.write(head, timeout=timeout)

    async def _receive_head(
        self, stream: httpcore.AsyncNetworkStream, request: httpcore.Request, timeout: float | None
    ) -> httpcore.Response:
        while True:
            buffer = self._buffer
            end = buffer.find(b"\r\n\r\n")
            while end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise httpcore.RemoteProtocolError("The server's answer headers are too long")
                data = await stream.read(READ_BYTES, timeout=timeout)
                if not data:
                    if buffer:
                        raise httpcore.RemoteProtocolError(
                            "Server disconnected in the middle of the answer's headers."
                        )
                    raise httpcore.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                start = max(len(buffer) - 3, 0)
                buffer += data
                end = buffer.find(b"\r\n\r\n", start)
            self._buffer = buffer[end + 4 :]
            lines = buffer[:end].split(b"\r\n")
            matched = _STATUS_LINE.fullmatch(lines[0])
            if matched is None:
                raise httpcore.RemoteProtocolError("Malformed status line in the server's answer")
            status = int(matched.group(3))
            headers = _parse_headers(lines)
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            break
        minor = (int(matched.group(1)), int(matched.group(2)))
        keep_alive = minor >= (1, 1) and status != 101
        length: int | None = None
        chunked = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"connection" and b"close" in value.lower():
                keep_alive = False
            elif lowered == b"content-length":
                if not value.strip().isdigit() or (length is not None and int(value) != length):
                    raise httpcore.RemoteProtocolError("Bad Content-Length in the server's answer")
                length = int(value)
            elif lowered == b"transfer-encoding":
                if value.strip().lower() != b"chunked":
                    raise httpcore.RemoteProtocolError(
                        "Only Transfer-Encoding: chunked is supported"
                    )
                chunked = True
        for name, value in request.headers:
            if name.lower() == b"connection" and b"close" in value.lower():
                keep_alive = False
        if request.method == b"HEAD" or status in (101, 204, 304):
            length, chunked = 0, False
        elif chunked:
            length = None
        elif length is None:
            keep_alive = False  # the body runs to the end of the connection
        body = _Body(self, stream, length, chunked, keep_alive, timeout)
        return httpcore.Response(
            status=status,
            headers=headers,
            content=body,
            extensions={
                "http_version": b"HTTP/%d.%d" % minor,
                "reason_phrase": matched.group(4) or b"",
                "network_stream": stream,
            },
        )

    async def _response_closed(self, reusable: bool) -> None:
        # Bytes beyond the answer are not the start of the next one (no request is out):
        # a connection holding them is not one to reuse.
        if reusable and self._state is _State.ACTIVE and not self._buffer:
            self._state = _State.IDLE
            if self._keepalive_expiry is not None:
                self._expire_at = time.monotonic() + self._keepalive_expiry
        else:
            await self.aclose()

    # -- the pool's interface -------------------------------------------------------------

    async def aclose(self) -> None:
        self._state = _State.CLOSED
        self._buffer = b""
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == self._origin

    def is_available(self) -> bool:
        return self._state is _State.IDLE

    def has_expired(self) -> bool:
        if self._expire_at is not None and time.monotonic() > self._expire_at:
            return True
        # An idle HTTP/1.1 connection the server sent anything on is one it closed.
        return (
            self._state is _State.IDLE
            and self._stream is not None
            and bool(self._stream.get_extra_info("is_readable"))
        )

    def is_idle(self) -> bool:
        return self._state is _State.IDLE

    def is_closed(self) -> bool:
        return self._state is _State.CLOSED

    def info(self) -> str:
        origin = str(self._origin)
        return f"{origin!r}, HTTP/1.1, {self._state.name}, Request Count: {self._request_count}"

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} [{str(self._origin)!r}, {self._state.name}, "
            f"Request Count: {self._request_count}]>"
        )


def _parse_headers(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):  # obsolete line folding: part of the previous value
            if not headers:
                raise httpcore.RemoteProtocolError("Malformed header line in the server's answer")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise httpcore.RemoteProtocolError("Malformed header line in the server's answer")
        headers.append((name, value.strip(b" \t")))
    return headers


class _Body:
    """An answer's body, read as the caller iterates; closing it frees or closes the connection."""

    def __init__(
        self,
        connection: LeanHTTP11Connection,
        stream: httpcore.AsyncNetworkStream,
        length: int | None,
        chunked: bool,
        keep_alive: bool,
        timeout: float | None,
    ) -> None:
        self._connection = connection
        self._stream = stream
        self._length = length
        self._chunked = chunked
        self._keep_alive = keep_alive
        self._timeout = timeout
        self._complete = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            if self._chunked:
                async for piece in self._read_chunked():
                    yield piece
            elif self._length is not None:
                async for piece in self._read_exactly(self._length):
                    yield piece
            else:
                connection = self._connection
                if connection._buffer:
                    piece, connection._buffer = connection._buffer, b""
                    yield piece
                while data := await self._stream.read(READ_BYTES, timeout=self._timeout):
                    yield data
            self._complete = True
        except BaseException:
            await self.aclose()
            raise

    async def _read_exactly(self, remaining: int) -> AsyncIterator[bytes]:
        connection = self._connection
        while remaining > 0:
            data = connection._buffer
            if data:
                connection._buffer = b""
            else:
                data = await self._stream.read(READ_BYTES, timeout=self._timeout)
                if not data:
                    raise httpcore.RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
            if len(data) > remaining:
                data, connection._buffer = data[:remaining], data[remaining:]
            remaining -= len(data)
            yield data

    async def _read_line(self) -> bytes:
        connection = self._connection
        while (end := connection._buffer.find(b"\r\n")) < 0:
            if len(connection._buffer) > MAX_HEAD_BYTES:
                raise httpcore.RemoteProtocolError("Malformed chunked body in the server's answer")
            data = await self._stream.read(READ_BYTES, timeout=self._timeout)
            if not data:
                raise httpcore.RemoteProtocolError(
                    "peer closed connection without sending complete message body: "
                    "incomplete chunked read"
                )
            connection._buffer += data
        line, connection._buffer = connection._buffer[:end], connection._buffer[end + 2 :]
        return line

    async def _read_chunked(self) -> AsyncIterator[bytes]:
        while True:
            size_line = await self._read_line()
            matched = _CHUNK_SIZE.fullmatch(size_line.strip(b" \t"))
            if matched is None:
                raise httpcore.RemoteProtocolError("Malformed chunk size in the server's answer")
            size = int(matched.group(1), 16)
            if size == 0:
                while await self._read_line():  # trailers, up to the empty line
                    pass
                return
            async for piece in self._read_exactly(size):
                yield piece
            if await self._read_line():
                raise httpcore.RemoteProtocolError("Malformed chunk in the server's answer")

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._connection._response_closed(self._complete and self._keep_alive)


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's pool of :class:`LeanHTTP11Connection` on :class:`AsyncioBackend` (no proxy)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int | None = 10,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float | None = None,
        retries: int = 0,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        super().__init__(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            http1=True,
            http2=False,
            retries=retries,
            local_address=local_address,
            socket_options=socket_options,
            network_backend=AsyncioBackend(),
        )

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        return LeanHTTP11Connection(
            origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._network_backend,
            retries=self._retries,
            local_address=self._local_address,
            socket_options=self._socket_options,
        )


class LeanHTTPTransport(httpx.AsyncHTTPTransport):
    """:class:`httpx.AsyncHTTPTransport` (direct, HTTP/1.1) over a :class:`LeanConnectionPool`.

    httpx's request and response handling and its mapping of httpcore's
    exceptions to its own are unchanged; only the pool below differs.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retries: int = 0,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        super().__init__(verify=verify, limits=limits, retries=retries)
        self._pool = LeanConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            local_address=local_address,
            socket_options=socket_options,
        )


__all__ = ["MAX_HEAD_BYTES", "LeanConnectionPool", "LeanHTTP11Connection", "LeanHTTPTransport"]

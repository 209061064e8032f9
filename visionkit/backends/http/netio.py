"""An asyncio-native network backend for httpcore, in place of its anyio one.

Under asyncio, httpcore talks to sockets through anyio: every read and write
enters an anyio cancel scope (``fail_after``), every response's connection
check builds anyio's attribute table and polls the socket, and each of those
asks sniffio which event loop is running. At 64 requests in flight that was
a large share of the event loop's time per call (docs/benchmarks/batch.md).
:class:`AsyncioBackend` implements httpcore's :class:`~httpcore.AsyncNetworkBackend`
on an :class:`asyncio.Protocol`: received bytes wait in the protocol until
httpcore reads them, a read that must wait is one future with one timer for
its timeout, and whether an idle connection was closed by the server is known
from the protocol's own state, without a system call.

Everything httpcore relies on stays as it was: connect, read, write and TLS
handshake timeouts raise httpcore's ``ConnectTimeout``, ``ReadTimeout`` and
``WriteTimeout``; refused or broken connections ``ConnectError``,
``ReadError`` and ``WriteError``; TLS uses the context httpcore is given (the
process's :func:`~visionkit.backends.http.clients.shared_ssl_context`); and
httpcore's pool, its connection handling and h11 are untouched, so respx,
which patches the pool, mocks these transports as it does any other. Under an
event loop other than asyncio's (trio), connections go to httpcore's own
backend for that library.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import sniffio

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
"""What httpcore accepts as a socket option (``setsockopt``'s arguments)."""

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's default pool limits, for a transport built without ``limits``."""

HIGH_WATER = 256 * 1024
"""Received bytes held unread before the socket's reading is paused (and resumed below it)."""

_TIMED_OUT = object()


class _Protocol(asyncio.Protocol):
    """The bytes and the state of one connection, for :class:`AsyncioStream` to read."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.eof = False  # the peer sent EOF, or the connection is gone
        self.lost = False
        self.error: BaseException | None = None  # why the connection was lost, if not cleanly
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[object] | None = None  # a read or a drain waiting
        self.closed_here = False  # closed by this side (aclose)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = self.lost = True
        self.error = exc
        self._wake()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, deadline: float | None) -> bool:
        """Wait for the next event on this connection; False if the loop's clock reached
        ``deadline`` first (a read or write waits for several events within one timeout)."""
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        timer = None if deadline is None else loop.call_at(deadline, _time_out, waiter)
        try:
            return await waiter is not _TIMED_OUT
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()


def _time_out(waiter: asyncio.Future[object]) -> None:
    if not waiter.done():
        waiter.set_result(_TIMED_OUT)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection on an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        protocol.transport = transport

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        deadline = None
        while not protocol.chunks:
            if protocol.eof:
                if protocol.error is not None:
                    raise httpcore.ReadError(_describe(protocol.error)) from protocol.error
                return b""
            if protocol.closed_here:
                raise httpcore.ReadError("the connection is closed")
            if deadline is None and timeout is not None:
                deadline = asyncio.get_running_loop().time() + timeout
            if not await protocol.wait(deadline) and not protocol.chunks:
                raise httpcore.ReadTimeout("timed out reading from the server")
        chunk = protocol.chunks.popleft()
        if len(chunk) > max_bytes:
            protocol.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        protocol.size -= len(chunk)
        if protocol.reading_paused and protocol.size <= HIGH_WATER // 2 and not protocol.lost:
            protocol.reading_paused = False
            self._transport.resume_reading()
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.lost or protocol.closed_here or self._transport.is_closing():
            raise httpcore.WriteError(_describe(protocol.error) or "the connection is closed")
        self._transport.write(buffer)
        deadline = None
        while protocol.writing_paused and not protocol.lost:
            if deadline is None and timeout is not None:
                deadline = asyncio.get_running_loop().time() + timeout
            if not await protocol.wait(deadline) and protocol.writing_paused:
                raise httpcore.WriteTimeout("timed out writing to the server")
        if protocol.error is not None:
            raise httpcore.WriteError(_describe(protocol.error)) from protocol.error

    async def aclose(self) -> None:
        self._protocol.closed_here = True
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except BaseException as exc:
            self._transport.close()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
            if isinstance(exc, OSError):  # ssl.SSLError is one
                raise httpcore.ConnectError(_describe(exc)) from exc
            raise
        assert isinstance(transport, asyncio.Transport)  # start_tls returns one or raises
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "is_readable":
            # What httpcore asks of an idle connection: did the server send anything
            # (in HTTP/1.1 only its closing the connection) since the last answer?
            protocol = self._protocol
            return protocol.eof or bool(protocol.chunks) or transport.is_closing()
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's own transports (see the module's docstring)."""

    def __init__(self) -> None:
        self._other: httpcore.AsyncNetworkBackend | None = None

    def _elsewhere(self) -> httpcore.AsyncNetworkBackend | None:
        """httpcore's own backend when the running event loop is not asyncio's."""
        if sniffio.current_async_library() == "asyncio":
            return None
        if self._other is None:
            from httpcore._backends.auto import AutoBackend

            self._other = AutoBackend()
        return self._other

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        other = self._elsewhere()
        if other is not None:
            return await other.connect_tcp(
                host,
                port,
                timeout=timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol,
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                    happy_eyeballs_delay=0.25,  # as anyio's connect_tcp
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(_describe(exc)) from exc
        return _opened(transport, protocol, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        other = self._elsewhere()
        if other is not None:
            return await other.connect_unix_socket(
                path, timeout=timeout, socket_options=socket_options
            )
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Protocol, path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(_describe(exc)) from exc
        return _opened(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        other = self._elsewhere()
        if other is not None:
            await other.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


def _opened(
    transport: asyncio.BaseTransport,
    protocol: _Protocol,
    socket_options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    assert isinstance(transport, asyncio.Transport)
    if socket_options:
        sock = transport.get_extra_info("socket")
        try:
            for option in socket_options:
                sock.setsockopt(*option)
        except OSError as exc:
            transport.close()
            raise httpcore.ConnectError(_describe(exc)) from exc
    return AsyncioStream(transport, protocol)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return str(exc) or type(exc).__name__


__all__ = [
    "DEFAULT_LIMITS",
    "AsyncioBackend",
    "AsyncioStream",
    "SocketOption",
]

"""httpx transports whose connections obey the URL policy and one total deadline.

httpx resolves a host when it opens a connection. Checking a URL's address
beforehand with a separate lookup leaves a gap: a DNS server can answer with a
public address to the check and with ``127.0.0.1`` to the connection. So the
check happens *in* the connection step instead: an httpcore network backend
(httpcore's documented extension point, see ``network_backend`` in its docs)
resolves the host once, applies :class:`~visionkit.images.urlpolicy.Guard`,
and connects to one of the checked address literals. TLS still verifies the
certificate against the URL's host name, since httpcore passes the origin's
name as the server name; only the TCP endpoint is pinned.

Every read, write and connect is also given at most the time left before the
download's deadline, so a server that drips its headers or body one byte at a
time is cut off when the deadline passes, not after one timeout per byte.
"""

from __future__ import annotations

import ssl
import time
import typing
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from visionkit.images.urlpolicy import Guard, UrlRefused

SocketOption = typing.Any


class Deadline:
    """A point on the monotonic clock; :meth:`clip` shortens a timeout to reach it, at most."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def clip(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.remaining()
        if left <= 0:
            raise error(f"the download deadline of {self.seconds:g} s has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clipped = self._deadline.clip(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, clipped), self._deadline
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        clipped = self._deadline.clip(timeout, httpcore.ReadTimeout)
        return await self._inner.read(max_bytes, clipped)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, self._deadline.clip(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        clipped = self._deadline.clip(timeout, httpcore.ConnectTimeout)
        inner = await self._inner.start_tls(ssl_context, server_hostname, clipped)
        return _AsyncDeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve once, check with the guard, connect to a checked address literal."""

    def __init__(self, guard: Guard, deadline: Deadline) -> None:
        self._guard = guard
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self._guard.addresses(host, port):
            clipped = self._deadline.clip(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(
                    address, port, clipped, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure or httpcore.ConnectError(f"cannot connect to {host}:{port}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise UrlRefused("scheme", "image downloads never use Unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The awaitable twin of :class:`GuardedBackend`; DNS runs on a worker thread."""

    def __init__(self, guard: Guard, deadline: Deadline) -> None:
        self._guard = guard
        self._deadline = deadline
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(self._guard.addresses, host, port)
        failure: Exception | None = None
        for address in addresses:
            clipped = self._deadline.clip(timeout, httpcore.ConnectTimeout)
            try:
                stream = await self._inner.connect_tcp(
                    address, port, clipped, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _AsyncDeadlineStream(stream, self._deadline)
        raise failure or httpcore.ConnectError(f"cannot connect to {host}:{port}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UrlRefused("scheme", "image downloads never use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (request mapping, error mapping) over a guarded connection pool.

    Environment proxy variables are not used: through a proxy, the proxy picks
    the address, and the policy could not see it.
    """

    def __init__(self, guard: Guard, deadline: Deadline) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=GuardedBackend(guard, deadline),
        )


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """The awaitable twin of :class:`GuardedTransport`."""

    def __init__(self, guard: Guard, deadline: Deadline) -> None:
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=AsyncGuardedBackend(guard, deadline),
        )


__all__ = [
    "AsyncGuardedBackend",
    "AsyncGuardedTransport",
    "Deadline",
    "GuardedBackend",
    "GuardedTransport",
]

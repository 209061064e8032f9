"""A batch's connections as several small httpcore pools instead of one wide one.

httpcore's pool walks all of its connections whenever a request arrives or an
answer is closed (to assign waiting requests and drop expired connections,
polling each idle socket), so its cost per request grows with the pool's size.
At 64 connections on two busy cores that walk cost more than the requests
themselves: bare httpx and visionkit alike fell to about 45 images/s against a
200 ms service, a seventh of what 64 in flight allow (docs/benchmarks/batch.md).
:class:`ShardedTransport` keeps the same number of connections as pools of at
most :data:`CONNECTIONS_PER_POOL` and sends each request to the pool with the
most free connections, so each walk stays short. Each pool is a
:class:`~visionkit.backends.http.http11.LeanHTTPTransport`: httpcore's pool of
lean HTTP/1.1 connections on asyncio's own transports: at 64 requests in flight
they cost a quarter less client CPU per call than httpcore's h11 connections over
anyio (1.40 against 1.95 ms, docs/benchmarks/batch.md). They do not go through the
environment's proxies, as the httpx transports here did not either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from visionkit.backends.http.clients import shared_ssl_context
from visionkit.backends.http.http11 import LeanHTTPTransport

CONNECTIONS_PER_POOL = 8
"""The widest pool :class:`ShardedTransport` builds; measured against 4 and one wide pool."""


class ShardedTransport(httpx.AsyncBaseTransport):
    """``max_connections`` keep-alive connections as ``ceil(max / per_pool)`` httpx pools.

    With at most ``max_connections`` requests in flight (the batch engine's
    window), some pool always has a free connection, so no request waits in a
    pool while another has room. Closing it closes every pool.
    """

    def __init__(self, max_connections: int, *, per_pool: int = CONNECTIONS_PER_POOL) -> None:
        count = max(1, -(-max_connections // max(per_pool, 1)))
        base, extra = divmod(max(max_connections, 1), count)
        self._sizes = [base + (1 if i < extra else 0) for i in range(count)]
        # One TLS context for all, and for every run: loading the CA bundle costs 30-50 ms.
        context = shared_ssl_context()
        self._pools = [
            LeanHTTPTransport(
                verify=context,
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            )
            for size in self._sizes
        ]
        self._busy = [0] * count

    @property
    def pool_sizes(self) -> tuple[int, ...]:
        return tuple(self._sizes)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = max(range(len(self._pools)), key=lambda i: self._sizes[i] - self._busy[i])
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        if response.is_closed:  # read already (a mock transport): nothing holds the slot
            self._busy[index] -= 1
        else:
            response.stream = _Releasing(response.stream, self._busy, index)
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its pool's slot back when it is closed (once)."""

    def __init__(
        self, stream: httpx.AsyncByteStream | httpx.SyncByteStream, busy: list[int], index: int
    ) -> None:
        self._stream = stream
        self._busy = busy
        self._index = index
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._busy[self._index] -= 1
        if isinstance(self._stream, httpx.AsyncByteStream):
            await self._stream.aclose()


__all__ = ["CONNECTIONS_PER_POOL", "ShardedTransport"]

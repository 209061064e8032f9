"""The pooled httpx clients a cloud backend owns, created on first use.

One :class:`httpx.Client` and one :class:`httpx.AsyncClient` per analyzer keep
TLS connections alive across images, which matters more than anything else for
the latency of small requests. Both are created lazily (a sync-only program
never builds the async one) unless the caller injects its own, which is how
tests, the cassette recorder and applications with their own proxy or
connection limits attach. Injected clients belong to the caller and are never
closed here.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import threading

import httpx


def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context every client and pool visionkit builds verifies servers with.

    What httpx would build for ``verify=True`` (certifi's CA bundle, or the
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` the environment names), built once per
    process and per bundle: loading the bundle costs 30-50 ms, which every
    analyzer, and every ``analyze_many`` run's pools, paid again before. A
    context is safe to share between threads, loops and connections.
    """
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments are the cache key: httpx reads the same variables itself.
    return httpx.create_ssl_context()


class HttpClients:
    """A sync and an async client, injected or built lazily with the same settings.

    ``transport`` is handed to whichever client it can serve (an
    :class:`httpx.MockTransport` serves both).
    """

    def __init__(
        self,
        *,
        timeout: float,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        user_agent: str = "visionkit",
    ) -> None:
        self._timeout = httpx.Timeout(timeout)
        self._transport = transport
        self._headers = {"User-Agent": user_agent}
        self._sync = http_client
        self._async = async_http_client
        self._owns_sync = http_client is None
        self._owns_async = async_http_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def sync(self) -> httpx.Client:
        with self._lock:
            if self._sync is None:
                transport = self._transport
                given = transport if isinstance(transport, httpx.BaseTransport) else None
                self._sync = httpx.Client(
                    timeout=self._timeout,
                    headers=self._headers,
                    transport=given,
                    verify=True if given is not None else shared_ssl_context(),
                )
            return self._sync

    @property
    def asynchronous(self) -> httpx.AsyncClient:
        """The async client for the running event loop.

        An owned client is rebuilt when the loop changes: its pooled
        connections belong to the loop that opened them, and a script that
        calls ``asyncio.run`` twice must not reuse connections of a closed loop.
        The old client is dropped, not closed: closing it needs the loop it
        belonged to.
        """
        loop = _running_loop()
        with self._lock:
            stale = self._owns_async and self._async_loop is not loop
            if self._async is None or stale:
                transport = self._transport
                given_async = transport if isinstance(transport, httpx.AsyncBaseTransport) else None
                self._async = httpx.AsyncClient(
                    timeout=self._timeout,
                    headers=self._headers,
                    transport=given_async,
                    verify=True if given_async is not None else shared_ssl_context(),
                )
                self._async_loop = loop
            return self._async

    def close(self) -> None:
        """Close the sync client if it is ours; the async one needs :meth:`aclose`."""
        with self._lock:
            client = self._sync if self._owns_sync else None
            if client is not None:
                self._sync = None  # a later request builds a fresh one
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close every client this object created."""
        self.close()
        with self._lock:
            client = self._async if self._owns_async else None
            if client is not None:
                self._async = None
        if client is not None:
            await client.aclose()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


__all__ = ["HttpClients", "shared_ssl_context"]

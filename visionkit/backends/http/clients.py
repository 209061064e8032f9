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
import logging
import os
import ssl
import threading
import urllib.request
from typing import Any

import httpx

_httpx_logger = logging.getLogger("httpx")


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


def _goes_direct(client: httpx.Client | httpx.AsyncClient, auth: Any, follow: Any) -> bool:
    """Whether a request to ``client`` of visionkit's own may go straight to its transport.

    ``httpx.Client.send`` runs, for every request, an auth flow, a redirect
    loop, event hooks, a proxy lookup, cookie extraction (which builds a urllib
    request for each answer) and an INFO log line: about 0.3 ms of CPU per call,
    a fifth of what a whole Azure analysis costs in ``analyze_many``. None of it
    applies to the clients visionkit builds for itself when there is no auth, no
    hooks, no cookie (no visionkit service uses one; these clients do not keep
    them) and httpx's INFO log is off: such a request goes straight to the
    transport, which still pools, times out and streams as before, and errors
    still carry their request. Any other case takes the client's own path,
    unchanged. A lean client is always given its transport, and httpx mounts the
    environment's proxies only on a client that builds its own, so where the
    environment names a proxy :class:`HttpClients` builds a plain httpx client.
    """
    return (
        auth is httpx.USE_CLIENT_DEFAULT
        and follow is httpx.USE_CLIENT_DEFAULT
        and client.auth is None
        and not client.follow_redirects
        and not any(client.event_hooks.values())
        and not client.cookies
        and not client.is_closed
        and not _httpx_logger.isEnabledFor(logging.INFO)
    )


def _with_timeout(client: httpx.Client | httpx.AsyncClient, request: httpx.Request) -> None:
    """The client's timeouts on a request built without them, as ``send`` would set them."""
    if "timeout" not in request.extensions:
        request.extensions = {**request.extensions, "timeout": client.timeout.as_dict()}


class LeanAsyncClient(httpx.AsyncClient):
    """An :class:`httpx.AsyncClient` whose plain requests skip what cannot apply
    (:func:`_goes_direct`)."""

    def __init__(self, *, transport: httpx.AsyncBaseTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self._direct_transport = transport

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if not _goes_direct(self, auth, follow_redirects):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        _with_timeout(self, request)
        try:
            response = await self._direct_transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's own send attaches it
            raise
        response.request = request
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response


class LeanClient(httpx.Client):
    """The sync twin of :class:`LeanAsyncClient`."""

    def __init__(self, *, transport: httpx.BaseTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self._direct_transport = transport

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if not _goes_direct(self, auth, follow_redirects):
            return super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        _with_timeout(self, request)
        try:
            response = self._direct_transport.handle_request(request)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        response.request = request
        if not stream:
            try:
                response.read()
            except BaseException:
                response.close()
                raise
        return response


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
                common: dict[str, Any] = {"timeout": self._timeout, "headers": self._headers}
                if given is None and _environment_proxies():
                    # httpx mounts the environment's proxies only on a client that builds
                    # its own transports, so this one takes httpx's whole path.
                    self._sync = httpx.Client(verify=shared_ssl_context(), **common)
                else:
                    self._sync = LeanClient(
                        transport=given or httpx.HTTPTransport(verify=shared_ssl_context()),
                        **common,
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
                common_async: dict[str, Any] = {"timeout": self._timeout, "headers": self._headers}
                if given_async is None and _environment_proxies():
                    self._async = httpx.AsyncClient(verify=shared_ssl_context(), **common_async)
                else:
                    self._async = LeanAsyncClient(
                        transport=given_async
                        or httpx.AsyncHTTPTransport(verify=shared_ssl_context()),
                        **common_async,
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


def _environment_proxies() -> bool:
    """Whether the environment names a proxy (``HTTPS_PROXY``, ``ALL_PROXY``, ...), as
    httpx reads it for a client that builds its own transports."""
    return bool(urllib.request.getproxies())


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


__all__ = ["HttpClients", "LeanAsyncClient", "LeanClient", "shared_ssl_context"]

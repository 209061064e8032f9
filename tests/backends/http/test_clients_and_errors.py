from __future__ import annotations

import httpx
import pytest

from visionkit.backends.http import HttpClients, transport_error
from visionkit.backends.http.clients import shared_ssl_context
from visionkit.errors import BackendTimeoutError, BackendUnavailableError


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text=request.url.path)


class TestHttpClients:
    def test_owned_clients_verify_with_the_one_process_wide_tls_context(self, monkeypatch):
        import ssl

        import certifi

        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        context = shared_ssl_context()
        assert isinstance(context, ssl.SSLContext) and context is shared_ssl_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        clients = HttpClients(timeout=5)
        for client in (clients.sync, HttpClients(timeout=5).sync):
            assert client._transport._pool._ssl_context is context  # type: ignore[attr-defined]
        clients.close()
        # A CA bundle named by the environment is honoured, as httpx does, with its own context.
        monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
        assert shared_ssl_context() is not context
        assert shared_ssl_context() is shared_ssl_context()

    async def test_the_owned_async_client_shares_the_tls_context(self):
        clients = HttpClients(timeout=5)
        pool = clients.asynchronous._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context is shared_ssl_context()
        await clients.aclose()

    def test_clients_are_created_once_and_reused(self):
        clients = HttpClients(timeout=5, transport=httpx.MockTransport(_ok))
        assert clients.sync is clients.sync
        assert clients.sync.timeout.read == 5
        assert clients.sync.get("https://x.test/ping").text == "/ping"
        clients.close()

    async def test_one_mock_transport_serves_both_clients(self):
        clients = HttpClients(timeout=5, transport=httpx.MockTransport(_ok))
        response = await clients.asynchronous.get("https://x.test/async")
        assert response.text == "/async"
        await clients.aclose()

    def test_each_event_loop_gets_its_own_async_client(self):
        import asyncio

        clients = HttpClients(timeout=5, transport=httpx.MockTransport(_ok))

        async def use() -> httpx.AsyncClient:
            client = clients.asynchronous
            assert (await client.get("https://x.test/a")).text == "/a"
            assert clients.asynchronous is client  # reused within one loop
            return client

        first = asyncio.run(use())
        second = asyncio.run(use())
        assert first is not second

    def test_close_rebuilds_lazily_and_is_idempotent(self):
        clients = HttpClients(timeout=5, transport=httpx.MockTransport(_ok))
        first = clients.sync
        clients.close()
        clients.close()
        assert first.is_closed
        assert clients.sync is not first
        clients.close()

    async def test_injected_clients_are_used_and_never_closed(self):
        mine = httpx.Client(transport=httpx.MockTransport(_ok))
        my_async = httpx.AsyncClient(transport=httpx.MockTransport(_ok))
        clients = HttpClients(timeout=5, http_client=mine, async_http_client=my_async)
        assert clients.sync is mine
        assert clients.asynchronous is my_async
        await clients.aclose()
        assert not mine.is_closed and not my_async.is_closed
        mine.close()
        await my_async.aclose()


class TestTransportError:
    def _error(self, cls: type[httpx.TransportError]) -> httpx.TransportError:
        request = httpx.Request("POST", "https://x.test/vision/analyze?secret=1")
        return cls("boom", request=request)

    def test_timeouts_become_backend_timeout_errors(self):
        error = transport_error(self._error(httpx.ReadTimeout), backend="b", service="Svc")
        assert isinstance(error, BackendTimeoutError)
        assert error.backend == "b"
        assert "Svc did not answer in time" in str(error)
        assert "timeout_s" in str(error)

    @pytest.mark.parametrize("cls", [httpx.ConnectError, httpx.RemoteProtocolError])
    def test_other_failures_become_unavailable(self, cls):
        error = transport_error(self._error(cls), backend="b", service="Svc")
        assert isinstance(error, BackendUnavailableError)
        assert "https://x.test/vision/analyze" in str(error)
        assert "secret" not in str(error)


class TestLeanClients:
    """visionkit's own clients send a plain request straight to the transport, and take
    httpx's full path whenever anything that path does could apply."""

    @staticmethod
    def _answering(seen: list[httpx.Request]) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, text="ok", headers={"Set-Cookie": "affinity=1; Path=/"})

        return httpx.MockTransport(answer)

    async def test_a_plain_request_goes_straight_to_the_transport(self):
        from visionkit.backends.http.clients import LeanAsyncClient, _goes_direct

        seen: list[httpx.Request] = []
        client = LeanAsyncClient(transport=self._answering(seen))
        request = client.build_request("POST", "https://x.test/analyze", content=b"img")
        assert _goes_direct(client, httpx.USE_CLIENT_DEFAULT, httpx.USE_CLIENT_DEFAULT)
        response = await client.send(request)
        assert response.text == "ok" and response.request is request and seen == [request]
        assert not client.cookies  # no visionkit service uses cookies: none are kept
        streamed = await client.send(request, stream=True)
        assert (await streamed.aread()) == b"ok"
        await client.aclose()

    async def test_hooks_cookies_logging_and_auth_take_httpx_s_own_path(self, caplog):
        import logging

        from visionkit.backends.http.clients import LeanAsyncClient, _goes_direct

        seen: list[httpx.Request] = []
        hooked: list[httpx.Response] = []

        async def hook(response: httpx.Response) -> None:
            hooked.append(response)

        client = LeanAsyncClient(transport=self._answering(seen), event_hooks={"response": [hook]})
        await client.get("https://x.test/a")
        assert len(hooked) == 1 and client.cookies["affinity"] == "1"
        plain = LeanAsyncClient(transport=self._answering(seen))
        with caplog.at_level(logging.INFO, logger="httpx"):
            await plain.get("https://x.test/b")
        assert any("HTTP Request: GET https://x.test/b" in r.getMessage() for r in caplog.records)
        assert plain.cookies["affinity"] == "1"  # httpx kept it, so it is sent from now on
        assert not _goes_direct(plain, httpx.USE_CLIENT_DEFAULT, httpx.USE_CLIENT_DEFAULT)
        await plain.get("https://x.test/c")
        assert seen[-1].headers["Cookie"] == "affinity=1"
        auth = httpx.BasicAuth("u", "p")
        assert not _goes_direct(plain, auth, httpx.USE_CLIENT_DEFAULT)
        await client.aclose()
        await plain.aclose()

    async def test_a_proxy_in_the_environment_is_used_by_the_clients_visionkit_builds(
        self, monkeypatch
    ):
        """httpx honours HTTPS_PROXY only on a client that builds its own transports, so
        with one set visionkit builds plain httpx clients, and lean ones without."""
        import os

        from visionkit.backends.http.clients import HttpClients, LeanAsyncClient, LeanClient

        for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
            monkeypatch.delenv(name)  # whatever proxies the machine running the tests has
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        proxied = HttpClients(timeout=5)
        for client in (proxied.sync, proxied.asynchronous):
            assert not isinstance(client, LeanClient | LeanAsyncClient)
            transport = client._transport_for_url(
                httpx.URL("https://x.cognitiveservices.azure.com/")
            )
            assert transport is not client._transport  # the proxy's mount, not the direct one
        await proxied.aclose()
        monkeypatch.delenv("HTTPS_PROXY")
        direct = HttpClients(timeout=5)
        assert isinstance(direct.sync, LeanClient)
        assert isinstance(direct.asynchronous, LeanAsyncClient)
        await direct.aclose()

    def test_the_sync_twin_and_errors_carry_their_request(self):
        from visionkit.backends.http.clients import LeanClient

        client = LeanClient(transport=httpx.MockTransport(_ok), timeout=7)
        request = client.build_request("GET", "https://x.test/sync")
        assert client.send(request).text == "/sync"
        bare = httpx.Request("GET", "https://x.test/bare")  # built without the client
        assert client.send(bare).text == "/bare"
        assert bare.extensions["timeout"] == httpx.Timeout(7).as_dict()  # as httpx sets it

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused")  # as httpx's transports raise it: no request

        failing = LeanClient(transport=httpx.MockTransport(refuse))
        request = failing.build_request("GET", "https://x.test/down")
        with pytest.raises(httpx.ConnectError) as caught:
            failing.send(request)
        assert caught.value.request is request
        client.close()
        failing.close()
        with pytest.raises(RuntimeError, match="closed"):
            client.send(request)  # a closed client refuses, as httpx's does

    def test_the_clients_an_analyzer_builds_are_lean(self):
        from visionkit.backends.http.clients import LeanAsyncClient, LeanClient

        clients = HttpClients(timeout=5, transport=httpx.MockTransport(_ok))
        assert isinstance(clients.sync, LeanClient)
        assert isinstance(HttpClients(timeout=5).sync, LeanClient)
        clients.close()

        async def use() -> None:
            assert isinstance(clients.asynchronous, LeanAsyncClient)
            await clients.aclose()

        import asyncio

        asyncio.run(use())

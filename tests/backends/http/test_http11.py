"""LeanHTTPTransport: httpx over httpcore's pool of lean HTTP/1.1 connections, on real sockets."""

from __future__ import annotations

import asyncio
import json
import ssl

import httpcore
import httpx
import pytest
import respx
from backends.http.local_servers import keep_alive_answers, read_request, self_signed, serve

from visionkit.backends.http.http11 import (
    LeanConnectionPool,
    LeanHTTP11Connection,
    LeanHTTPTransport,
)
from visionkit.backends.http.netio import AsyncioBackend


def _client(**kwargs) -> httpx.AsyncClient:
    verify = kwargs.pop("verify", ssl.create_default_context())
    limits = kwargs.pop("limits", httpx.Limits(max_connections=4, max_keepalive_connections=4))
    return httpx.AsyncClient(
        transport=LeanHTTPTransport(verify=verify, limits=limits), timeout=5, **kwargs
    )


def _answering(*answers: bytes):
    """A handler that reads a request and writes the next raw answer, per request."""
    remaining = list(answers)

    async def handler(reader, writer, _):
        while remaining and (await read_request(reader)) is not None:
            writer.write(remaining.pop(0))
            await writer.drain()
        await asyncio.sleep(0.05)

    return handler


def test_the_transport_is_httpx_over_the_lean_pool_on_the_asyncio_backend():
    transport = LeanHTTPTransport(verify=ssl.create_default_context())
    pool = transport._pool
    assert isinstance(pool, LeanConnectionPool) and isinstance(pool, httpcore.AsyncConnectionPool)
    assert isinstance(pool._network_backend, AsyncioBackend)
    origin = httpcore.URL("http://example.com/").origin
    assert isinstance(pool.create_connection(origin), LeanHTTP11Connection)


async def test_requests_and_answers_go_through_and_the_connection_is_kept_alive():
    requests: list = []
    async with serve(keep_alive_answers(requests, body=b'{"n": 1}')) as served, _client() as client:
        for _ in range(3):
            response = await client.post(
                served.url + "/vision/v3.2/analyze?visualFeatures=Tags",
                content=b"\xff\xd8image",
                headers={"Ocp-Apim-Subscription-Key": "k", "Content-Type": "image/jpeg"},
            )
            assert response.status_code == 200 and response.json() == {"n": 1}
            assert response.http_version == "HTTP/1.1"
            assert response.reason_phrase == "OK"
            assert response.headers["content-type"] == "application/json"
    assert served.connections == 1
    line, headers, body = requests[0]
    assert line == b"POST /vision/v3.2/analyze?visualFeatures=Tags HTTP/1.1"
    assert headers[b"host"] == f"127.0.0.1:{served.port}".encode()
    assert headers[b"ocp-apim-subscription-key"] == b"k"
    assert headers[b"content-length"] == b"7" and body == b"\xff\xd8image"


async def test_concurrent_requests_each_get_their_own_connection_and_answer():
    async def echo_path(reader, writer, _):
        while (request := await read_request(reader)) is not None:
            await asyncio.sleep(0.05)
            body = request[0].split(b" ")[1]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body))
            await writer.drain()

    async with serve(echo_path) as served, _client() as client:
        paths = [f"/{i}" for i in range(12)]
        responses = await asyncio.gather(*(client.get(served.url + p) for p in paths))
        assert [r.text for r in responses] == paths
    assert served.connections <= 4


async def test_a_large_body_goes_out_whole_and_a_large_answer_comes_back_whole():
    payload = bytes(range(256)) * 4096  # 1 MB, sent apart from the head

    async def echo_body(reader, writer, _):
        while (request := await read_request(reader)) is not None:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(request[2]))
            writer.write(request[2])
            await writer.drain()

    async with serve(echo_body) as served, _client() as client:
        response = await client.post(served.url + "/", content=payload)
        assert response.content == payload


async def test_a_streamed_request_body_is_sent_chunked():
    requests: list = []

    async def parts():
        yield b"first,"
        yield b""
        yield b"second"

    async with serve(keep_alive_answers(requests)) as served, _client() as client:
        response = await client.post(served.url + "/", content=parts())
        assert response.json() == {"ok": True}
    _, headers, body = requests[0]
    assert headers[b"transfer-encoding"] == b"chunked" and body == b"first,second"


async def test_a_chunked_answer_with_extensions_and_trailers_is_decoded():
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;name=value\r\n{"a"\r\n5\r\n: 12}\r\n0\r\nX-Trailer: yes\r\n\r\n'
    )
    async with serve(_answering(answer, answer)) as served, _client() as client:
        for _ in range(2):
            response = await client.get(served.url + "/")
            assert response.json() == {"a": 12}
    assert served.connections == 1  # the connection is reusable after a complete chunked body


async def test_interim_answers_are_skipped_and_obsolete_folding_is_joined():
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\nContent-Length: 2\r\n\r\nok"
    )
    async with serve(_answering(answer)) as served, _client() as client:
        response = await client.get(served.url + "/")
        assert response.text == "ok" and response.headers["x-long"] == "one two"


async def test_an_answer_without_a_length_runs_to_the_end_and_the_connection_is_not_reused():
    async def until_close(reader, writer, _):
        await read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    async with serve(until_close) as served, _client() as client:
        for _ in range(2):
            response = await client.get(served.url + "/")
            assert response.text == "all of it" and response.http_version == "HTTP/1.0"
    assert served.connections == 2


async def test_connection_close_from_the_server_opens_a_new_connection_next_time():
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with serve(_answering(answer, answer, answer)) as served, _client() as client:
        for _ in range(3):
            assert (await client.get(served.url + "/")).text == "ok"
    assert served.connections == 3


async def test_a_connection_the_server_closed_while_idle_is_not_reused():
    async def one_answer_then_close(reader, writer, _):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # an idle keep-alive connection the server drops

    async with serve(one_answer_then_close) as served, _client() as client:
        assert (await client.get(served.url + "/")).text == "ok"
        await asyncio.sleep(0.1)  # the FIN reaches the client's protocol
        assert (await client.get(served.url + "/")).text == "ok"
    assert served.connections == 2


async def test_bytes_after_a_complete_answer_keep_its_connection_from_being_reused():
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"
    async with serve(_answering(answer, answer)) as served, _client() as client:
        for _ in range(2):
            assert (await client.get(served.url + "/")).text == "ok"
    assert served.connections == 2


async def test_head_and_204_answers_have_no_body_whatever_their_length_says():
    answers = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 100\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    )
    async with serve(_answering(*answers)) as served, _client() as client:
        head = await client.head(served.url + "/")
        assert head.status_code == 200 and head.content == b""
        empty = await client.delete(served.url + "/")
        assert empty.status_code == 204 and empty.content == b""
        assert (await client.get(served.url + "/")).text == "ok"
    assert served.connections == 1


async def test_an_answer_closed_before_its_end_closes_its_connection():
    big = b"x" * 200_000
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(big), big)
    async with serve(_answering(answer, answer)) as served, _client() as client:
        async with client.stream("GET", served.url + "/") as response:
            async for _ in response.aiter_raw():
                break
        assert (await client.get(served.url + "/")).content == big
    assert served.connections == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"", "without sending a response"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "middle of the answer's headers"),
        (b"NOT HTTP\r\n\r\n", "Malformed status line"),
        (b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n", "Malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Only Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "complete message body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "Malformed chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "complete message"),
    ],
)
async def test_malformed_or_truncated_answers_are_remote_protocol_errors(answer, message):
    async def once_then_close(reader, writer, _):
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        writer.close()

    async with serve(once_then_close) as served, _client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await client.get(served.url + "/")
        # the pool dropped the broken connection: the next request opens another
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(served.url + "/")
    assert served.connections == 2


async def test_headers_too_long_are_refused():
    answer = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    async with serve(_answering(answer)) as served, _client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="too long"):
            await client.get(served.url + "/")


async def test_a_header_that_would_split_the_request_is_a_local_protocol_error():
    requests: list = []
    async with serve(keep_alive_answers(requests)) as served, _client() as client:
        request = client.build_request("GET", served.url + "/")
        request.headers["X-Evil"] = "a\r\nInjected: yes"
        with pytest.raises(httpx.LocalProtocolError):
            await client.send(request)
        assert (await client.get(served.url + "/")).json() == {"ok": True}
    assert len(requests) == 1 and b"injected" not in requests[0][1]


async def test_a_body_longer_or_shorter_than_its_content_length_is_refused():
    async def body():
        yield b"12345"

    async with serve(keep_alive_answers()) as served, _client() as client:
        for length in ("3", "9"):
            request = client.build_request(
                "POST", served.url + "/", content=body(), headers={"Content-Length": length}
            )
            with pytest.raises(httpx.LocalProtocolError):
                await client.send(request)


async def test_a_silent_server_is_a_read_timeout():
    async def silent(reader, writer, _):
        await asyncio.sleep(30)

    async with serve(silent) as served, _client() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(served.url + "/", timeout=httpx.Timeout(5, read=0.1))


async def test_a_refused_connection_is_a_connect_error():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with _client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_https_with_the_callers_context(tmp_path):
    certificate = self_signed(tmp_path)
    if certificate is None:
        pytest.skip("needs the openssl command to make a certificate")
    tls = certificate.server_context()
    async with serve(keep_alive_answers(), tls=tls) as served:
        async with _client(verify=certificate.client_context()) as client:
            for _ in range(2):
                response = await client.get(f"https://localhost:{served.port}/")
                assert response.json() == {"ok": True}
            assert served.connections == 1
        async with _client(verify=ssl.create_default_context()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"https://localhost:{served.port}/")


@respx.mock(assert_all_mocked=True)
async def test_respx_mocks_the_transport_like_any_httpcore_pool(respx_mock):
    route = respx_mock.post("https://example.invalid/analyze").mock(
        return_value=httpx.Response(200, json={"mocked": True})
    )
    async with _client() as client:
        response = await client.post("https://example.invalid/analyze", content=b"x")
    assert response.json() == {"mocked": True} and route.call_count == 1
    assert json.loads(route.calls.last.response.content) == {"mocked": True}


async def test_a_connection_idle_past_its_keep_alive_expiry_is_replaced():
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2, keepalive_expiry=0.05)
    async with serve(keep_alive_answers()) as served, _client(limits=limits) as client:
        assert (await client.get(served.url + "/")).json() == {"ok": True}
        assert (await client.get(served.url + "/")).json() == {"ok": True}
        assert served.connections == 1  # reused within the expiry
        await asyncio.sleep(0.15)
        assert (await client.get(served.url + "/")).json() == {"ok": True}
    assert served.connections == 2


async def test_a_request_cancelled_while_it_waits_closes_its_connection_and_frees_the_pool():
    async def slow(reader, writer, n):
        await read_request(reader)
        if n == 1:
            await asyncio.sleep(30)  # the first connection's answer never comes
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.05)

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with serve(slow) as served, _client(limits=limits) as client:
        task = asyncio.create_task(client.get(served.url + "/"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the pool's one slot is free again, on a new connection
        assert (await client.get(served.url + "/")).text == "ok"
    assert served.connections == 2

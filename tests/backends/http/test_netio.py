"""AsyncioBackend: httpcore's network backend on asyncio transports, over real local sockets."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct

import httpcore
import httpx
import pytest
from backends.http.local_servers import keep_alive_answers, self_signed, serve

from visionkit.backends.http import netio
from visionkit.backends.http.netio import AsyncioBackend


def h11_transport(verify: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """httpx over httpcore's own pool and h11 connections, on the asyncio backend alone."""
    transport = httpx.AsyncHTTPTransport(verify=verify)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=verify, http1=True, http2=False, network_backend=AsyncioBackend()
    )
    return transport


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    made = self_signed(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("needs the openssl command to make a certificate")
    return made


async def _echo(reader, writer, _):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def test_bytes_go_out_and_come_back_and_the_addresses_are_known():
    async with serve(_echo) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        await stream.write(b"hello ", timeout=5)
        await stream.write(b"", timeout=5)  # nothing to send is not an error
        await stream.write(b"world", timeout=5)
        received = b""
        while len(received) < 11:
            received += await stream.read(65536, timeout=5)
        assert received == b"hello world"
        assert stream.get_extra_info("server_addr") == (served.host, served.port)
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("ssl_object") is None
        assert stream.get_extra_info("socket") is not None
        assert stream.get_extra_info("no such thing") is None
        assert stream.get_extra_info("is_readable") is False
        await stream.aclose()


async def test_a_read_never_returns_more_than_asked_and_keeps_the_rest():
    async with serve(_echo) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        await stream.write(b"abcdef", timeout=5)
        first = await stream.read(2, timeout=5)
        assert first == b"ab"
        rest = b""
        while len(rest) < 4:
            rest += await stream.read(65536, timeout=5)
        assert rest == b"cdef"
        await stream.aclose()


async def test_a_large_answer_arrives_whole_through_paused_and_resumed_reading(monkeypatch):
    monkeypatch.setattr(netio, "HIGH_WATER", 64 * 1024)
    payload = bytes(range(256)) * 8 * 1024  # 2 MB

    async def send_all(reader, writer, _):
        await reader.readexactly(1)
        writer.write(payload)
        await writer.drain()

    async with serve(send_all) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        await stream.write(b"!", timeout=5)
        await asyncio.sleep(0.2)  # let the buffer fill past the mark before reading any
        received = bytearray()
        while len(received) < len(payload):
            chunk = await stream.read(65536, timeout=5)
            assert chunk
            received += chunk
        assert bytes(received) == payload
        await stream.aclose()


async def test_the_end_of_the_stream_reads_empty_and_an_idle_closed_connection_is_readable():
    async def close_at_once(reader, writer, _):
        writer.close()

    async with serve(close_at_once) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        assert await stream.read(65536, timeout=5) == b""
        # what httpcore's pool asks of an idle connection before it reuses it
        assert stream.get_extra_info("is_readable") is True
        await stream.aclose()


async def test_a_silent_server_times_the_read_out():
    async def silent(reader, writer, _):
        await asyncio.sleep(30)

    async with serve(silent) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(65536, timeout=0.1)
        assert loop.time() - started < 5
        await stream.aclose()


async def test_a_write_the_peer_does_not_take_times_out(monkeypatch):
    async def never_reads(reader, writer, _):
        await asyncio.sleep(30)

    async with serve(never_reads) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)

        async def flood() -> None:
            for _ in range(1000):  # fills the kernel's buffers, then asyncio's, then waits
                await stream.write(b"x" * (1024 * 1024), timeout=0.2)

        with pytest.raises(httpcore.WriteTimeout):
            await flood()
        await stream.aclose()


async def test_a_reset_connection_is_a_read_error():
    async def reset(reader, writer, _):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async with serve(reset) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        await asyncio.sleep(0.1)
        with pytest.raises(httpcore.ReadError):
            await stream.read(65536, timeout=5)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"more", timeout=5)
        await stream.aclose()


async def test_reading_or_writing_a_stream_closed_here_is_an_error():
    async with serve(_echo) as served:
        stream = await AsyncioBackend().connect_tcp(served.host, served.port, timeout=5)
        await stream.aclose()
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"late", timeout=5)
        with pytest.raises(httpcore.ReadError):
            await stream.read(10, timeout=5)


async def test_a_refused_connection_is_a_connect_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)


async def test_a_connection_that_never_completes_times_out(monkeypatch):
    loop = asyncio.get_running_loop()

    async def hang(*args, **kwargs):
        await asyncio.sleep(30)

    # A peer that never answers a SYN cannot be made on loopback: the loop's
    # connect is what hangs, and the backend's own deadline must end it.
    monkeypatch.setattr(loop, "create_connection", hang)
    with pytest.raises(httpcore.ConnectTimeout):
        await AsyncioBackend().connect_tcp("127.0.0.1", 9, timeout=0.1)


async def test_socket_options_are_set_on_the_connection():
    async with serve(_echo) as served:
        options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        stream = await AsyncioBackend().connect_tcp(
            served.host, served.port, timeout=5, socket_options=options
        )
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        await stream.aclose()


async def test_a_unix_socket_connects(tmp_path):
    path = str(tmp_path / "s.sock")
    async with serve(_echo, unix=path):
        stream = await AsyncioBackend().connect_unix_socket(path, timeout=5)
        await stream.write(b"ping", timeout=5)
        assert await stream.read(10, timeout=5) == b"ping"
        await stream.aclose()
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_unix_socket(str(tmp_path / "none.sock"), timeout=5)


async def test_sleep_sleeps():
    loop = asyncio.get_running_loop()
    started = loop.time()
    await AsyncioBackend().sleep(0.05)
    assert loop.time() - started >= 0.04


class TestTls:
    async def test_tls_to_a_local_server_with_the_callers_context(self, certificate):
        async with serve(_echo, tls=certificate.server_context()) as served:
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", served.port, timeout=5)
            stream = await plain.start_tls(
                certificate.client_context(), server_hostname="localhost", timeout=5
            )
            assert isinstance(stream.get_extra_info("ssl_object"), ssl.SSLObject)
            await stream.write(b"secret", timeout=5)
            assert await stream.read(100, timeout=5) == b"secret"
            await stream.aclose()

    async def test_a_certificate_that_is_not_trusted_is_a_connect_error(self, certificate):
        async with serve(_echo, tls=certificate.server_context()) as served:
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", served.port, timeout=5)
            with pytest.raises(httpcore.ConnectError):
                await plain.start_tls(
                    ssl.create_default_context(), server_hostname="localhost", timeout=5
                )

    async def test_a_name_the_certificate_does_not_cover_is_a_connect_error(self, certificate):
        async with serve(_echo, tls=certificate.server_context()) as served:
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", served.port, timeout=5)
            with pytest.raises(httpcore.ConnectError):
                await plain.start_tls(
                    certificate.client_context(), server_hostname="example.com", timeout=5
                )

    async def test_a_server_that_never_finishes_the_handshake_times_it_out(self, certificate):
        async def silent(reader, writer, _):
            await asyncio.sleep(30)

        async with serve(silent) as served:  # plain TCP: no ServerHello ever comes
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", served.port, timeout=5)
            with pytest.raises(httpcore.ConnectTimeout):
                await plain.start_tls(
                    certificate.client_context(), server_hostname="localhost", timeout=0.2
                )

    async def test_httpx_over_the_backend_speaks_https(self, certificate):
        async with serve(keep_alive_answers(), tls=certificate.server_context()) as served:
            transport = h11_transport(verify=certificate.client_context())
            async with httpx.AsyncClient(transport=transport) as client:
                for _ in range(3):
                    response = await client.get(f"https://localhost:{served.port}/x")
                    assert response.json() == {"ok": True}
        assert served.connections == 1  # kept alive


async def test_httpx_over_the_backend_pools_and_maps_errors():
    requests: list = []
    async with serve(keep_alive_answers(requests)) as served:
        transport = h11_transport(verify=ssl.create_default_context())
        assert isinstance(transport._pool._network_backend, AsyncioBackend)
        async with httpx.AsyncClient(transport=transport) as client:
            responses = await asyncio.gather(*(client.get(served.url + "/a") for _ in range(5)))
            assert all(r.json() == {"ok": True} for r in responses)
            assert len(requests) == 5 and served.connections <= 5
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = h11_transport(verify=ssl.create_default_context())
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")

"""Small asyncio servers on 127.0.0.1 for the network backend and HTTP/1.1 connection tests.

Real sockets in the test's own event loop: each test hands :func:`serve` a
handler ``(reader, writer, connection_number)`` that answers however the test
needs, and reads the URL and the number of connections accepted off the
returned :class:`Served`. :func:`self_signed` makes a certificate for
``localhost`` / 127.0.0.1 with the ``openssl`` command, for the TLS tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@dataclass
class Served:
    host: str
    port: int
    scheme: str
    connections: int = 0

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def serve(
    handler: Handler,
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
    unix: str | None = None,
) -> AsyncIterator[Served]:
    served = Served(host=host, port=0, scheme="https" if tls else "http")
    tasks: set[asyncio.Task[None]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.connections += 1
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer, served.connections)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # the server is closing: end quietly (asyncio logs a cancelled handler)
        finally:
            tasks.discard(task)
            writer.transport.abort()

    if unix is not None:
        server = await asyncio.start_unix_server(on_connection, unix)
    else:
        server = await asyncio.start_server(on_connection, "127.0.0.1", 0, ssl=tls)
        served.port = server.sockets[0].getsockname()[1]
    try:
        yield served
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def read_request(
    reader: asyncio.StreamReader,
) -> tuple[bytes, dict[bytes, bytes], bytes] | None:
    """One request: ``(request line, lower-cased headers, body)``; None at the end."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return lines[0], headers, body


def keep_alive_answers(
    requests: list[tuple[bytes, dict[bytes, bytes], bytes]] | None = None,
    body: bytes = b'{"ok": true}',
) -> Handler:
    """A handler answering every request on a connection with 200 and ``body``, keeping
    each request it read in ``requests``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        while (request := await read_request(reader)) is not None:
            if requests is not None:
                requests.append(request)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
            )
            await writer.drain()

    return handler


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(folder: Path) -> Certificate | None:
    """A certificate for localhost and 127.0.0.1, or None where ``openssl`` is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert=cert, key=key)

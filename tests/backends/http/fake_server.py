"""A misbehaving HTTP server on 127.0.0.1, for testing any cloud backend's defences.

Real sockets, not respx: dripping bodies, stalls after the headers, endless
bodies and gzip bombs only exist on a real connection. Each test gives the
server a *behaviour*, a function that receives the parsed request and the raw
socket and answers however badly it likes; the server runs it in a thread per
connection. Bound to loopback only. Used through the ``misbehaving_server``
fixture (``tests/backends/conftest.py``, shared by every backend's tests).

Everything this server answers is hand-made, not recorded: it is the point.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Behaviour = Callable[[Request, socket.socket], None]


@dataclass
class MisbehavingServer:
    """The running server: set :attr:`behaviour`, point a backend at :attr:`url`."""

    url: str
    behaviour: Behaviour | None = None
    requests: list[Request] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body)


@contextlib.contextmanager
def serve() -> Iterator[MisbehavingServer]:
    """Start a server on a free loopback port; stop it (and wake its handlers) on exit."""
    state = MisbehavingServer(url="")

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(30)
            with contextlib.suppress(OSError):
                while not state.stop.is_set():
                    request = _read_request(sock)
                    if request is None or state.behaviour is None:
                        return
                    state.requests.append(request)
                    state.behaviour(request, sock)
                    if request.headers.get("connection") == "close":
                        return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- behaviours ---------------------------------------------------------------------------


def answer(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, reason: str = "X"
) -> Behaviour:
    """A well-formed answer (whatever its content says)."""

    def behave(request: Request, sock: socket.socket) -> None:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        all_headers["Content-Length"] = str(len(body))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in all_headers.items()
        )
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)

    return behave


def _wait(stop: threading.Event | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)


def drip(byte_every_s: float = 0.05, total: int = 10_000, status: int = 200) -> Behaviour:
    """Headers at once, then the body one byte at a time, slower than anyone should wait.

    ``status`` makes it a slow error instead (a 503 whose body takes its time).
    """

    def behave(request: Request, sock: socket.socket) -> None:
        sock.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {total}\r\n\r\n".encode()
        )
        for _ in range(total):
            sock.sendall(b" ")
            time.sleep(byte_every_s)

    return behave


def stall(after: bytes, seconds: float = 20.0) -> Behaviour:
    """Send ``after`` (headers, ``100 Continue``, or nothing) and then say nothing more."""

    def behave(request: Request, sock: socket.socket) -> None:
        if after:
            sock.sendall(after)
        _wait(None, seconds)

    return behave


def endless(chunk: bytes = b"[" * 65536) -> Behaviour:
    """A chunked body that never ends."""

    def behave(request: Request, sock: socket.socket) -> None:
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while True:
            sock.sendall(frame)

    return behave


def gzip_bomb(layers: int = 1, expanded: int = 64 * 1024 * 1024) -> Behaviour:
    """A small gzip body (``layers`` times over) that inflates to ``expanded`` bytes."""
    body = gzip.compress(b" " * expanded, compresslevel=9)
    for _ in range(layers - 1):
        body = gzip.compress(body, compresslevel=9)
    encoding = ", ".join(["gzip"] * layers)
    return answer(200, body, {"Content-Encoding": encoding})


def slow_answers() -> list[Any]:
    """The ways an answer can take forever, as ``pytest.param``s: every backend's
    deadline test runs the same four."""
    import pytest

    return [
        pytest.param(drip(), id="drips-its-body"),
        pytest.param(stall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), id="stalls-in-body"),
        pytest.param(stall(b"HTTP/1.1 100 Continue\r\n\r\n"), id="100-continue-then-nothing"),
        pytest.param(stall(b""), id="never-answers"),
    ]


__all__ = [
    "Behaviour",
    "MisbehavingServer",
    "Request",
    "answer",
    "drip",
    "endless",
    "gzip_bomb",
    "serve",
    "slow_answers",
    "stall",
]

"""Tiny HTTP servers bound to 127.0.0.1 only, for the URL policy and download tests.

Each server answers from a table of path -> handler and records every request
it receives, so a test can assert that a refused hop never reached it.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Server:
    port: int
    routes: dict[str, Handler]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@contextmanager
def serve(routes: dict[str, Handler]) -> Iterator[Server]:
    """A threaded server on 127.0.0.1 (an ephemeral port) answering ``routes``."""
    holder: dict[str, Server] = {}

    class Handle(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server = holder["server"]
            server.requests.append((self.path, dict(self.headers.items())))
            handler = server.routes.get(self.path.split("?", 1)[0])
            if handler is None:
                self.send_error(404)
                return
            handler(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    httpd.daemon_threads = True
    holder["server"] = Server(port=httpd.server_address[1], routes=routes)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def body(data: bytes, content_type: str = "image/png", **headers: str) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(data)

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handler

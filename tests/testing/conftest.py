"""Fixtures for the cassette tests: hand-built cassettes and a fake upstream on 127.0.0.1.

The upstream is a real HTTP server on the loopback interface, so record mode
is tested through httpx's real transports and sockets without leaving the
machine. It plays a small Azure: analyze, a Read operation that is running
once before it succeeds, a gzip-encoded answer and a binary one.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from testing.cassette_factories import PNG_BYTES

from visionkit.testing.cassette import Interaction, write_cassette


class FakeAzure(BaseHTTPRequestHandler):
    """Answers like Azure would, and echoes the key back to prove the scrubber removes it."""

    polls: ClassVar[dict[str, int]] = {}

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: object, **headers: str) -> None:
        body = json.dumps(data).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        host = self.headers["Host"]
        key = self.headers.get("Ocp-Apim-Subscription-Key", "")
        if self.path.startswith("/vision/v3.2/analyze"):
            self._json(
                200,
                {"tags": [{"name": "cat", "confidence": 0.99}], "echo": f"key was {key}"},
                **{"apim-request-id": "req-1", "Set-Cookie": f"session={key}"},
            )
        elif self.path.startswith("/vision/v3.2/read/analyze"):
            location = f"http://{host}/vision/v3.2/read/analyzeResults/op-1"
            self._send(202, b"", {"Operation-Location": location})
        else:
            self._json(404, {"error": {"code": "NotFound"}})

    def do_GET(self) -> None:
        if self.path == "/vision/v3.2/read/analyzeResults/op-1":
            count = FakeAzure.polls.get(self.path, 0)
            FakeAzure.polls[self.path] = count + 1
            status = "running" if count == 0 else "succeeded"
            self._json(200, {"status": status})
        elif self.path == "/gzip":
            body = gzip.compress(json.dumps({"zipped": True}).encode())
            self._send(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        elif self.path == "/thumbnail":
            self._send(200, PNG_BYTES, {"Content-Type": "image/png"})
        else:
            self._json(404, {"error": {"code": "NotFound"}})


@pytest.fixture
def upstream() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of a fresh fake Azure."""
    FakeAzure.polls = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAzure)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def make_cassette(tmp_path: Path) -> Callable[..., Path]:
    """Write interactions as a cassette under ``tmp_path`` and return its directory."""

    def make(*interactions: Interaction, name: str = "cassette") -> Path:
        write_cassette(tmp_path / name, interactions)
        return tmp_path / name

    return make


@pytest.fixture(autouse=True)
def _no_record_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose their mode explicitly; a developer's VISIONKIT_RECORD must not leak in."""
    for name in ("VISIONKIT_RECORD", "AZURE_VISION_KEY", "VISION_KEY", "VISIONKIT_AZURE_KEY"):
        monkeypatch.delenv(name, raising=False)

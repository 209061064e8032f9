"""A stand-in for Azure's Analyze Image endpoint on 127.0.0.1, for throughput benchmarks.

It answers every ``POST .../analyze`` after a fixed latency with the sections
of Azure's own published example body (the bundled ``analyze-all-features``
cassette) that ``visualFeatures`` asks for, and,
like a real resource, enforces a quota: requests beyond ``--quota`` a second
get an immediate 429 with ``Retry-After: 1`` and Azure's error body. It speaks
HTTP/1.1 with keep-alive and chunked request bodies (the official SDK uploads
streams chunked). ``GET /stats`` returns the counts and the server process's own
CPU seconds so far (``cpu_s``, :func:`time.process_time`), so a benchmark can say
what each call cost the server; ``POST /stats/reset`` zeroes the counts.

Run: ``python benchmarks/fake_azure_server.py --port 8765 --latency 0.2 --quota 10``
(it prints ``READY <port>`` once listening). Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CASSETTE = (
    Path(__file__).resolve().parent.parent
    / "visionkit/testing/cassettes/azure/analyze-all-features/001-post-vision-v3.2-analyze.json"
)
SECTIONS = {
    "adult": "adult",
    "brands": "brands",
    "categories": "categories",
    "color": "color",
    "description": "description",
    "faces": "faces",
    "imagetype": "imageType",
    "objects": "objects",
    "tags": "tags",
}
"""visualFeatures values and the body section each one adds."""
THROTTLED = json.dumps(
    {
        "error": {
            "code": "429",
            "message": "Requests to the Analyze Image Operation under Computer Vision API have "
            "exceeded rate limit of your current tier. Please retry after 1 second.",
        }
    }
).encode()


class Quota:
    """Azure-style per-second quota: a token bucket holding one second's worth of calls."""

    def __init__(self, per_second: float | None) -> None:
        self.rate = per_second
        self.tokens = per_second or 0.0
        self.updated = time.monotonic()

    def allow(self) -> bool:
        if self.rate is None:
            return True
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Server:
    def __init__(self, latency: float, quota: float | None) -> None:
        self.latency = latency
        self.quota = Quota(quota)
        self.full = json.loads(CASSETTE.read_text())["response"]["body"]
        self.bodies: dict[str, bytes] = {}
        self.stats = {"requests": 0, "ok": 0, "throttled": 0, "bytes_in": 0}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
                }
                body = await self._body(reader, headers)
                status, payload, extra = await self._answer(method, target, body)
                response = (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Too Many Requests'}\r\n"
                    f"Content-Type: application/json; charset=utf-8\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    f"apim-request-id: 00000000-0000-0000-0000-{self.stats['requests']:012d}\r\n"
                    f"{extra}\r\n"
                ).encode() + payload
                writer.write(response)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _body(self, reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    return b"".join(chunks)
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
        return await reader.readexactly(int(headers.get("content-length", "0")))

    async def _answer(self, method: str, target: str, body: bytes) -> tuple[int, bytes, str]:
        path = target.split("?", 1)[0]
        if path == "/stats":
            return 200, json.dumps({**self.stats, "cpu_s": time.process_time()}).encode(), ""
        if path == "/stats/reset":
            for key in self.stats:
                self.stats[key] = 0
            return 200, b"{}", ""
        self.stats["requests"] += 1
        self.stats["bytes_in"] += len(body)
        if not self.quota.allow():
            self.stats["throttled"] += 1
            return 429, THROTTLED, "Retry-After: 1\r\n"
        await asyncio.sleep(self.latency)
        self.stats["ok"] += 1
        return 200, self._body_for(target), ""

    def _body_for(self, target: str) -> bytes:
        """Only the sections asked for, as Azure answers (plus what it always sends)."""
        query = parse_qs(urlsplit(target).query)
        asked = ",".join(query.get("visualFeatures", [])).lower()
        body = self.bodies.get(asked)
        if body is None:
            keys = {"requestId", "metadata", "modelVersion"}
            keys |= {SECTIONS[f] for f in asked.split(",") if f in SECTIONS}
            body = json.dumps({k: v for k, v in self.full.items() if k in keys}).encode()
            self.bodies[asked] = body
        return body


async def serve(port: int, latency: float, quota: float | None) -> None:
    server = Server(latency, quota)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=1024)
    bound = listener.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    async with listener:
        await listener.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per 200 answer")
    parser.add_argument("--quota", type=float, default=None, help="calls a second before 429s")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency, args.quota))


if __name__ == "__main__":
    main()

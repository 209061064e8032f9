"""Cloud batch throughput against a fake Azure on 127.0.0.1 (``fake_azure_server.py``).

Measures, each as the median of ``--runs`` runs, in one process so that ratios
compare like with like:

1. throughput of ``visionkit.analyze_many`` at concurrency 1, 4, 16, 64, as a
   fraction of the ideal ``concurrency / latency``;
2. the same requests sent with bare ``httpx`` (an ``AsyncClient`` and a
   semaphore, the least code that can do it): visionkit's overhead per call;
   and with a raw asyncio HTTP/1.1 client (``asyncio.open_connection``, one
   keep-alive connection per slot, no library): the harness ceiling, what this
   machine and the fake server allow at all, with the fake server's own CPU
   per call (it reports its ``process_time`` in ``GET /stats``);
3. the official ``azure-cognitiveservices-vision-computervision`` SDK, one
   image after another, as a user would write it without visionkit;
4. against a quota of ``--quota`` calls a second: how many 429s and how much
   throughput with the adaptive limiter alone, and with ``rate="S1"``.

The server runs in its own process, so its work does not share the client's GIL.
Run: ``python benchmarks/batch_cloud.py`` (about five minutes on a busy 2-core machine).
Client CPU per call is ``time.process_time()`` of this process over the run divided by
the images, for visionkit and bare httpx in the same run; "ratio" divides the two.
"Of harness ceiling" divides visionkit's rate by the raw client's in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from visionkit.batch import analyze_many

HERE = Path(__file__).resolve().parent
CIFAR = Path("/work/shared/data/cifar10/test")
KEY = "0123456789abcdef0123456789abcdef"


def photos(n: int) -> list[Path]:
    """``n`` distinct real JPEGs, taken round-robin from the ten CIFAR-10 classes."""
    per_class = [sorted((CIFAR / c).glob("*.jpg")) for c in sorted(p.name for p in CIFAR.iterdir())]
    interleaved = (p for group in itertools.zip_longest(*per_class) for p in group if p)
    return list(itertools.islice(interleaved, n))


def fitting_photos(paths: list[Path], folder: Path) -> list[Path]:
    """``paths`` upscaled to 64x64 (bicubic, JPEG quality 90) into ``folder``: images Azure
    takes as they are (it refuses sides under 50 px, so visionkit upscales the 32x32
    originals and re-encodes them before every upload, which bare httpx does not)."""
    from PIL import Image

    made = []
    for path in paths:
        target = folder / f"{path.parent.name}-{path.name}"
        with Image.open(path) as img:
            img.convert("RGB").resize((64, 64), Image.Resampling.BICUBIC).save(target, quality=90)
        made.append(target)
    return made


@contextmanager
def fake_azure(latency: float, quota: float | None = None) -> Iterator[str]:
    cmd = [sys.executable, str(HERE / "fake_azure_server.py"), "--latency", str(latency)]
    if quota is not None:
        cmd += ["--quota", str(quota)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None  # stdout=PIPE
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line
        yield f"http://127.0.0.1:{line.split()[1]}/"
    finally:
        proc.terminate()
        proc.wait()


def server_stats(url: str, reset: bool = False) -> dict[str, int]:
    if reset:
        httpx.post(url + "stats/reset")
    stats: dict[str, int] = json.loads(httpx.get(url + "stats").text)
    return stats


def load() -> tuple[float, float, float]:
    """The machine's load average: the figures depend on what else runs on its cores."""
    return os.getloadavg()


def server_cpu_s(url: str) -> float:
    """The fake server process's CPU seconds so far (its own ``time.process_time()``)."""
    return float(json.loads(httpx.get(url + "stats").text)["cpu_s"])


def median_rate(
    fn: Callable[[], float], n: int, runs: int, url: str | None = None
) -> tuple[float, float, float]:
    """Median images/s over ``runs`` runs of ``fn`` (which returns seconds), the median
    client CPU milliseconds per image (this process only), and, given the server's
    ``url``, the median fake-server CPU milliseconds per image (else NaN)."""
    times, cpu, server = [], [], []
    for _ in range(runs):
        before = server_cpu_s(url) if url else math.nan
        started = time.process_time()
        times.append(fn())
        cpu.append((time.process_time() - started) / n * 1000)
        server.append(((server_cpu_s(url) if url else math.nan) - before) / n * 1000)
    return n / statistics.median(times), statistics.median(cpu), statistics.median(server)


def run_visionkit(paths: list[Path], url: str, concurrency: int, **extra: Any) -> float:
    started = time.perf_counter()
    run = analyze_many(
        paths,
        ["tags"],
        backend="azure",
        endpoint=url,
        key=KEY,
        concurrency=concurrency,
        cache=False,
        **extra,
    )
    failed = sum(1 for item in run if not item.ok)
    elapsed = time.perf_counter() - started
    assert failed == 0, run.stats.failures[:3]
    return elapsed


def run_httpx(paths: list[Path], url: str, concurrency: int) -> float:
    async def main() -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        semaphore = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def one(path: Path) -> None:
                async with semaphore:
                    response = await client.post(
                        url + "vision/v3.2/analyze",
                        params={"visualFeatures": "Tags"},
                        headers={
                            "Ocp-Apim-Subscription-Key": KEY,
                            "Content-Type": "application/octet-stream",
                        },
                        content=path.read_bytes(),
                    )
                    response.raise_for_status()
                    response.json()

            await asyncio.gather(*(one(p) for p in paths))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def run_raw(paths: list[Path], url: str, concurrency: int) -> float:
    """The harness ceiling: the same requests from a minimal HTTP/1.1 client, no library.

    ``concurrency`` keep-alive connections (``asyncio.open_connection``), each
    sending its next file as soon as the previous answer is read: only what any
    client must do (write the request, read the status line, the headers and
    ``Content-Length`` bytes, parse the JSON). What it reaches is what the machine
    and the fake server allow; nothing written in Python can do much better.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST /vision/v3.2/analyze?visualFeatures=Tags HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Ocp-Apim-Subscription-Key: {KEY}\r\nContent-Type: application/octet-stream\r\n"
    )
    todo = list(reversed(paths))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while todo:
                body = todo.pop().read_bytes()
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
                assert lines[0].split(b" ", 2)[1] == b"200", lines[0]
                fields = dict(line.split(b":", 1) for line in lines[1:] if b":" in line)
                length = int(next(v for k, v in fields.items() if k.lower() == b"content-length"))
                json.loads(await reader.readexactly(length))
        finally:
            writer.close()

    async def main() -> None:
        await asyncio.gather(*(connection() for _ in range(min(concurrency, len(paths)))))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def run_analyzer_direct(paths: list[Path], url: str, concurrency: int) -> float:
    """The Azure backend without the batch engine: ``analyze_async`` under a semaphore."""
    from visionkit.backends.azure import AzureAnalyzer

    async def main() -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        analyzer = AzureAnalyzer(
            endpoint=url, key=KEY, transport=httpx.AsyncHTTPTransport(limits=limits)
        )
        semaphore = asyncio.Semaphore(concurrency)

        async def one(path: Path) -> None:
            async with semaphore:
                await analyzer.analyze_async(path, ["tags"])

        await asyncio.gather(*(one(p) for p in paths))
        await analyzer.aclose()

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def run_sdk(paths: list[Path], url: str) -> float:
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from azure.cognitiveservices.vision.computervision.models import VisualFeatureTypes
    from msrest.authentication import CognitiveServicesCredentials

    # The SDK ships no type information.
    client = ComputerVisionClient(url, CognitiveServicesCredentials(KEY))  # type: ignore[no-untyped-call]
    started = time.perf_counter()
    for path in paths:
        with path.open("rb") as fh:
            analysis = client.analyze_image_in_stream(  # type: ignore[no-untyped-call]
                fh, visual_features=[VisualFeatureTypes.tags]
            )
        assert analysis.tags
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quota", type=float, default=10.0)
    parser.add_argument("--quota-images", type=int, default=60)
    args = parser.parse_args()
    latency = args.latency
    print("Load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}\n".format(*load()))

    print(f"## Throughput, latency {latency * 1000:.0f} ms, median of {args.runs} runs\n")
    print(
        "| concurrency | images | ideal img/s | visionkit img/s | of ideal | of harness ceiling "
        "| bare httpx img/s | of ideal | client CPU per call: visionkit | bare httpx | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ceiling = []
    with fake_azure(latency) as url:
        run_visionkit(photos(4), url, 4)  # warm up imports and the JPEG decoder
        measured = {}
        for concurrency in (1, 4, 16, 64):
            n = max(16, concurrency * 8)
            paths = photos(n)
            ideal = concurrency / latency
            vk_rate, vk_cpu, vk_server = median_rate(
                partial(run_visionkit, paths, url, concurrency), n, args.runs, url
            )
            hx_rate, hx_cpu, _ = median_rate(
                partial(run_httpx, paths, url, concurrency), n, args.runs
            )
            raw_rate, raw_cpu, raw_server = median_rate(
                partial(run_raw, paths, url, concurrency), n, args.runs, url
            )
            measured[concurrency] = vk_rate
            ceiling.append((concurrency, ideal, raw_rate, raw_cpu, raw_server, vk_server, vk_cpu))
            print(
                f"| {concurrency} | {n} | {ideal:.1f} | {vk_rate:.1f} | {vk_rate / ideal:.1%} "
                f"| {vk_rate / raw_rate:.1%} | {hx_rate:.1f} | {hx_rate / ideal:.1%} "
                f"| {vk_cpu:.1f} ms | {hx_cpu:.1f} ms | {vk_cpu / hx_cpu:.2f}x |"
            )

        print(f"\n## Harness ceiling (raw asyncio HTTP/1.1 client), median of {args.runs} runs\n")
        print(
            "| concurrency | raw client img/s | of ideal | its CPU per call "
            "| fake server CPU per call: raw client | visionkit "
            "| cores for visionkit + server at the ideal rate |"
        )
        print("|---|---|---|---|---|---|---|")
        for concurrency, ideal, raw_rate, raw_cpu, raw_server, vk_server, vk_cpu in ceiling:
            cores = ideal * (vk_cpu + vk_server) / 1000
            print(
                f"| {concurrency} | {raw_rate:.1f} | {raw_rate / ideal:.1%} | {raw_cpu:.2f} ms "
                f"| {raw_server:.2f} ms | {vk_server:.2f} ms | {cores:.2f} |"
            )

        n, width = 128, 16
        with tempfile.TemporaryDirectory() as folder:
            sets = (
                ("CIFAR-10 32x32 (visionkit upscales them to 50x50 and re-encodes)", photos(n)),
                (
                    "the same upscaled to 64x64 beforehand (sent as they are)",
                    fitting_photos(photos(n), Path(folder)),
                ),
            )
            print(f"\n## Where the client CPU goes (concurrency {width}, {n} images)\n")
            print(
                "| images | client | img/s | of ideal | client CPU per call | against bare httpx |"
            )
            print("|---|---|---|---|---|---|")
            for kind, paths in sets:
                bare_cpu = None
                for label, fn in (
                    ("bare httpx", run_httpx),
                    ("AzureAnalyzer.analyze_async under a semaphore", run_analyzer_direct),
                    ("visionkit.analyze_many", run_visionkit),
                    ("raw asyncio client (harness ceiling)", run_raw),
                ):
                    rate, cpu, _ = median_rate(partial(fn, paths, url, width), n, args.runs)
                    bare_cpu = bare_cpu or cpu
                    print(
                        f"| {kind} | {label} | {rate:.1f} | {rate / (width / latency):.1%} "
                        f"| {cpu:.2f} ms | {cpu / bare_cpu:.2f}x |"
                    )

        n = 16
        paths = photos(n)
        sdk_rate, _, _ = median_rate(lambda: run_sdk(paths, url), n, args.runs)
        print(f"\n## Official SDK one by one ({n} images, median of {args.runs})\n")
        print("| client | img/s | visionkit speed-up |")
        print("|---|---|---|")
        print(
            f"| azure-cognitiveservices-vision-computervision, sequential | {sdk_rate:.2f} | 1x |"
        )
        for concurrency in (1, 16, 64):
            rate = measured[concurrency]
            print(
                f"| visionkit.analyze_many, concurrency {concurrency} | {rate:.1f} "
                f"| {rate / sdk_rate:.1f}x |"
            )

    n = args.quota_images
    paths = photos(n)
    print(
        f"\n## Against a quota of {args.quota:g} calls/s ({n} images, concurrency 16, "
        f"median of {args.runs} runs, a fresh server each)\n"
    )
    print("| client-side limit | img/s | of quota | HTTP calls | 429s | failed |")
    print("|---|---|---|---|---|---|")
    for label, extra in (("none (adaptive only)", {}), ('rate="S1" (10/s)', {"rate": "S1"})):
        rows = [quota_run(paths, latency, args.quota, extra) for _ in range(args.runs)]
        columns = zip(*rows, strict=True)
        rate, calls, throttled, failed = (statistics.median(column) for column in columns)
        print(
            f"| {label} | {rate:.2f} | {rate / args.quota:.0%} | {calls:.0f} "
            f"| {throttled:.0f} | {failed:.0f} |"
        )
    print("\nLoad average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*load()))


def quota_run(
    paths: list[Path], latency: float, quota: float, extra: dict[str, Any]
) -> tuple[float, int, int, int]:
    """images/s, HTTP calls, 429s and failures of one run against a fresh quota."""
    with fake_azure(latency, quota) as url:
        started = time.perf_counter()
        run = analyze_many(
            paths,
            ["tags"],
            backend="azure",
            endpoint=url,
            key=KEY,
            concurrency=16,
            cache=False,
            **extra,
        )
        failed = sum(1 for item in run if not item.ok)
        elapsed = time.perf_counter() - started
        stats = server_stats(url)
    return len(paths) / elapsed, stats["requests"], stats["throttled"], failed


if __name__ == "__main__":
    main()

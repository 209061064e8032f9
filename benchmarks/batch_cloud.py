"""Cloud batch throughput against a fake Azure on 127.0.0.1 (``fake_azure_server.py``).

Measures, each as the median of ``--runs`` runs, in one process so that ratios
compare like with like:

1. throughput of ``visionkit.analyze_many`` at concurrency 1, 4, 16, 64, as a
   fraction of the ideal ``concurrency / latency``;
2. the same requests sent with bare ``httpx`` (an ``AsyncClient`` and a
   semaphore, the least code that can do it): visionkit's overhead per call;
3. the official ``azure-cognitiveservices-vision-computervision`` SDK, one
   image after another, as a user would write it without visionkit;
4. against a quota of ``--quota`` calls a second: how many 429s and how much
   throughput with the adaptive limiter alone, and with ``rate="S1"``.

The server runs in its own process, so its work does not share the client's GIL.
Run: ``python benchmarks/batch_cloud.py`` (about five minutes on a busy 2-core machine).
Client CPU per call is ``time.process_time()`` of this process over the run divided by
the images, for visionkit and bare httpx in the same run; "ratio" divides the two.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
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


def median_rate(fn: Callable[[], float], n: int, runs: int) -> tuple[float, float]:
    """Median images/s over ``runs`` runs of ``fn`` (which returns seconds), and the median
    client CPU milliseconds per image (this process only: the server has its own)."""
    times, cpu = [], []
    for _ in range(runs):
        started = time.process_time()
        times.append(fn())
        cpu.append((time.process_time() - started) / n * 1000)
    return n / statistics.median(times), statistics.median(cpu)


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

    print(f"## Throughput, latency {latency * 1000:.0f} ms, median of {args.runs} runs\n")
    print(
        "| concurrency | images | ideal img/s | visionkit img/s | of ideal | bare httpx img/s "
        "| of ideal | client CPU per call: visionkit | bare httpx | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with fake_azure(latency) as url:
        run_visionkit(photos(4), url, 4)  # warm up imports and the JPEG decoder
        measured = {}
        for concurrency in (1, 4, 16, 64):
            n = max(16, concurrency * 8)
            paths = photos(n)
            ideal = concurrency / latency
            vk_rate, vk_cpu = median_rate(
                partial(run_visionkit, paths, url, concurrency), n, args.runs
            )
            hx_rate, hx_cpu = median_rate(partial(run_httpx, paths, url, concurrency), n, args.runs)
            measured[concurrency] = vk_rate
            print(
                f"| {concurrency} | {n} | {ideal:.1f} | {vk_rate:.1f} | {vk_rate / ideal:.1%} "
                f"| {hx_rate:.1f} | {hx_rate / ideal:.1%} | {vk_cpu:.1f} ms | {hx_cpu:.1f} ms "
                f"| {vk_cpu / hx_cpu:.2f}x |"
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
                ):
                    rate, cpu = median_rate(partial(fn, paths, url, width), n, args.runs)
                    bare_cpu = bare_cpu or cpu
                    print(
                        f"| {kind} | {label} | {rate:.1f} | {rate / (width / latency):.1%} "
                        f"| {cpu:.2f} ms | {cpu / bare_cpu:.2f}x |"
                    )

        n = 16
        paths = photos(n)
        sdk_rate, _ = median_rate(lambda: run_sdk(paths, url), n, args.runs)
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

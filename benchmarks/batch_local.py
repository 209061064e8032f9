"""Local backend: batched throughput against one-by-one calls, and memory for a long stream.

``speed``: images per second for the same real photos (CIFAR-10 test JPEGs and
scikit-image's photos) through ``analyze_many`` (two batches in flight on the
batch engine's threads, one stacked model call per batch) and through ``analyzer.analyze`` one
image at a time; median of ``--runs`` runs of each, alternating, in one process.

``memory``: streams the 10,000 CIFAR-10 test JPEGs through ``analyze_many``
in a fresh process and reports the resident set size after 1,000, 5,000 and
10,000 images and the peak, so a growing footprint would show.

Run: ``python benchmarks/batch_local.py speed`` / ``python benchmarks/batch_local.py memory``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CIFAR = Path("/work/shared/data/cifar10/test")


def cifar(n: int | None = None) -> list[Path]:
    groups = [sorted((CIFAR / c).glob("*.jpg")) for c in sorted(p.name for p in CIFAR.iterdir())]
    interleaved = (p for group in itertools.zip_longest(*groups) for p in group if p)
    return list(itertools.islice(interleaved, n))


def skimage_photos() -> list[Path]:
    import skimage.data

    folder = Path(skimage.data.__path__[0])
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"]
    return [folder / n for n in names if (folder / n).exists()]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def speed(args: argparse.Namespace) -> None:
    from visionkit.api import get_analyzer
    from visionkit.batch import analyze_many

    features = args.features.split(",")
    sets = {
        f"CIFAR-10 test JPEGs (32x32), {args.images}": cifar(args.images),
        f"scikit-image photos (300-512 px), {len(skimage_photos()) * 20}": skimage_photos() * 20,
    }
    analyzer = get_analyzer("local", **({"model": args.model} if args.model else {}))
    options = {"model": args.model} if args.model else {}
    analyzer.analyze(sets[next(iter(sets))][0], features)  # load the model once, outside timing
    print(f"features: {','.join(features)}; median of {args.runs} runs; {os.cpu_count()} CPUs\n")
    print("| photos | one by one img/s | analyze_many img/s | speed-up |")
    print("|---|---|---|---|")
    for label, paths in sets.items():

        def single(paths: list[Path] = paths) -> float:
            started = time.perf_counter()
            for path in paths:
                analyzer.analyze(path, features)
            return time.perf_counter() - started

        def batched(paths: list[Path] = paths) -> float:
            started = time.perf_counter()
            run = analyze_many(paths, features, backend="local", **options)
            assert all(item.ok for item in run)
            return time.perf_counter() - started

        # Alternate the two, so a change of load between runs hits both sides alike.
        pairs = [(single(), batched()) for _ in range(args.runs)]
        one = len(paths) / statistics.median(p[0] for p in pairs)
        many = len(paths) / statistics.median(p[1] for p in pairs)
        print(f"| {label} | {one:.0f} | {many:.0f} | {many / one:.2f}x |")
    if "tags" in features:
        model_only(analyzer, sets[next(iter(sets))], args.runs)


def model_only(analyzer: Any, paths: list[Path], runs: int) -> None:
    """The CNN alone on one thread: one stacked call against one call per image."""
    from visionkit.images import load_image

    classifier = analyzer.classifier
    pixels = [load_image(p).pixels for p in paths]

    def stacked() -> float:
        started = time.perf_counter()
        classifier.predict(pixels)
        return time.perf_counter() - started

    def each() -> float:
        started = time.perf_counter()
        for image in pixels:
            classifier.predict([image])
        return time.perf_counter() - started

    stacked()  # size the interpreter for the big batch once
    one = len(pixels) / statistics.median(each() for _ in range(runs))
    many = len(pixels) / statistics.median(stacked() for _ in range(runs))
    print(f"\nThe model alone, one thread, {len(pixels)} decoded CIFAR-10 images:\n")
    print("| one call per image img/s | one stacked call img/s | ratio |")
    print("|---|---|---|")
    print(f"| {one:.0f} | {many:.0f} | {many / one:.2f}x |")


def memory(args: argparse.Namespace) -> None:
    if not args.child:
        cmd = [sys.executable, __file__, "memory", "--child", "--features", args.features]
        if args.model:
            cmd += ["--model", args.model]
        subprocess.run(cmd, check=True)
        return
    from visionkit.batch import analyze_many

    paths = cifar()
    options = {"model": args.model} if args.model else {}
    features = args.features.split(",")
    list(analyze_many(paths[:64], features, backend="local", **options))  # warm up
    before = rss_mb()
    checkpoints = {1000: 0.0, 5000: 0.0, 10000: 0.0}
    started = time.perf_counter()
    run = analyze_many((p for p in paths), features, backend="local", **options)
    for count, item in enumerate(run, 1):
        assert item.ok, item.error
        if count in checkpoints:
            checkpoints[count] = rss_mb()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux
    print(f"{len(paths):,} images streamed, features {args.features}, in {elapsed:.1f}s\n")
    print("| after | resident MB |")
    print("|---|---|")
    print(f"| warm-up (64 images) | {before:.0f} |")
    for count, value in checkpoints.items():
        print(f"| {count:,} images | {value:.0f} |")
    print(f"| peak (ru_maxrss) | {peak:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["speed", "memory"])
    parser.add_argument("--features", default="tags,colors,image_type,metadata")
    parser.add_argument("--model", help="a .tflite model (default: the shipped one)")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    speed(args) if args.what == "speed" else memory(args)


if __name__ == "__main__":
    main()

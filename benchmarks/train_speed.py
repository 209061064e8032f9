"""Measure training speed (seconds per 50,000-image epoch) and peak memory per architecture.

Each measurement runs in a fresh subprocess, so peak memory (max RSS) belongs
to one architecture alone and no run warms another's caches. A run trains two
epochs on a slice of CIFAR-10 and times the second (the first includes
tracing), then scales to 50,000 images. The median of ``--repeats`` runs is
reported. Results replace the "Training speed" section of
``docs/benchmarks/local-model.md``.

    python benchmarks/train_speed.py --data /work/shared/data/cifar10 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from visionkit.training.architectures import Recipe

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "benchmarks" / "local-model.md"
FULL_EPOCH = 50_000


def write_section(name: str, body: str, path: Path = REPORT) -> None:
    """Replace the section between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else "# Local model benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line naming the CPU, core count and library versions."""
    cpu = cpu_name()
    import keras
    import tensorflow as tf

    load = os.getloadavg()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, Keras {keras.__version__} "
        f"(1-minute load average {load:.1f} when the report was written)"
    )


def worker(arch: str, data: str, images: int, seed: int) -> None:
    """Train ``arch`` for two epochs on ``images`` images; print seconds of epoch 2 and max RSS."""
    import tempfile

    from visionkit.training.data import load_dataset
    from visionkit.training.train import train

    dataset = load_dataset(data).subset(images, 200, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        result = train(
            dataset,
            arch,
            epochs=2,
            out=Path(tmp) / "m.keras",
            seed=seed,
            evaluate_each_epoch=False,
            progress=lambda _: None,
        )
        history = json.loads(result.card_json.read_text())["training"]["history"]
    batch = result_batch(arch, len(dataset.train))
    steps_images = len(dataset.train) - len(dataset.train) % batch
    print(
        json.dumps(
            {
                "seconds": history[1]["seconds"],
                "images": steps_images,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def recipe(arch: str) -> Recipe:
    """The architecture's training recipe (imported late: it pulls in Keras)."""
    from visionkit.training.architectures import get_architecture

    return get_architecture(arch).recipe


def result_batch(arch: str, n: int) -> int:
    """The batch size the recipe uses on ``n`` images (never more than ``n``)."""
    return min(recipe(arch).batch_size, n)


def measure(arch: str, data: str, images: int, seed: int) -> dict[str, float]:
    """Run one worker subprocess and return its JSON line."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", arch, "--data", data, "--images", str(images),
         "--seed", str(seed)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("VISIONKIT_CIFAR10_DIR"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--archs", nargs="+", default=["tutorial", "small", "airbench94"])
    parser.add_argument("--images", type=int, default=6144, help="images per timed epoch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.data:
        parser.error("give --data or set VISIONKIT_CIFAR10_DIR")
    if args.worker:
        worker(args.worker, args.data, args.images, args.seed)
        return

    rows = []
    for arch in args.archs:
        runs = [measure(arch, args.data, args.images, seed) for seed in range(args.repeats)]
        per_epoch = [r["seconds"] * FULL_EPOCH / r["images"] for r in runs]
        rss = [r["max_rss_mb"] for r in runs]
        median = statistics.median(per_epoch)
        rows.append((arch, median, min(per_epoch), max(per_epoch), statistics.median(rss)))
        runs_text = ", ".join(f"{s:.0f}" for s in per_epoch)
        print(f"{arch}: {median:.0f} s/epoch (runs: {runs_text}), max RSS {rows[-1][4]:.0f} MB")

    base = {r[0]: r[1] for r in rows}.get("tutorial")
    lines = [
        "## Training speed",
        "",
        f"`python benchmarks/train_speed.py --repeats {args.repeats} --images {args.images}` on "
        f"{machine()}. Seconds per 50,000-image epoch, float32, extrapolated from a timed "
        f"second epoch of {args.images} images; median of {args.repeats} runs (min-max in "
        "brackets). Peak memory is the whole process's max RSS, including the dataset. "
        "The last column multiplies the median by the recipe's epoch count.",
        "",
        "| architecture | s / epoch | range | relative to tutorial | peak RSS | recipe |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for arch, med, lo, hi, peak in rows:
        rel = f"{med / base:.2f}x" if base else "-"
        epochs = recipe(arch).epochs
        lines.append(
            f"| {arch} | {med:.0f} | {lo:.0f}-{hi:.0f} | {rel} | {peak:.0f} MB "
            f"| {epochs} epochs, {med * epochs / 60:.0f} min |"
        )
    write_section("train_speed", "\n".join(lines))
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()

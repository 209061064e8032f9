"""Measure inference speed of the local model: LiteRT against the Keras fallback.

Both go through :class:`visionkit.backends.local.classifier.ImageClassifier`,
so both compute the same thing (calibrated probabilities averaged over the
model's test-time views). Each runtime is measured in a fresh subprocess, which
gives honest cold-start time (imports + load + first prediction) and peak
memory. Throughput at batch 256 and latency at batch 1 are medians of
``--repeats`` timings. Results replace the "Inference speed" section of
``docs/benchmarks/local-model.md``; compare the ratios, which are stable,
rather than the absolute figures, which drift on shared machines.

    python benchmarks/inference_speed.py --model visionkit/models/cifar10-default
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_speed import machine, write_section  # noqa: E402


def worker(path: str, repeats: int) -> None:
    """Time one runtime; print a JSON line of its figures."""
    import numpy as np

    t0 = time.perf_counter()
    from visionkit.backends.local.classifier import ImageClassifier

    classifier = ImageClassifier.load(path)
    rng = np.random.default_rng(0)
    size = classifier.image_size
    one = rng.uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    classifier.predict_arrays(one)
    cold = time.perf_counter() - t0

    batch = rng.uniform(0, 255, (256, size, size, 3)).astype(np.float32)
    classifier.predict_arrays(batch)  # warm-up at this shape
    throughput = []
    for _ in range(repeats):
        t = time.perf_counter()
        classifier.predict_arrays(batch)
        throughput.append(len(batch) / (time.perf_counter() - t))
    classifier.predict_arrays(one)
    latency = []
    for _ in range(repeats * 20):
        t = time.perf_counter()
        classifier.predict_arrays(one)
        latency.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "cold_start_s": cold,
                "images_per_s_256": statistics.median(throughput),
                "latency_ms_1": 1000 * statistics.median(latency),
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure(path: Path, repeats: int) -> dict[str, float]:
    """Run one worker subprocess and return its figures."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(path), "--repeats", str(repeats)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        default=str(REPO / "visionkit" / "models" / "cifar10-default"),
        help="path without suffix; <model>.tflite and <model>.keras are compared",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats)
        return

    # Imported here, not at the top: the worker's cold start must include importing visionkit.
    from visionkit.backends.local.views import get_policy

    stem = Path(args.model)
    views = get_policy(json.loads(stem.with_suffix(".json").read_text()).get("views", "flip"))
    lite = measure(stem.with_suffix(".tflite"), args.repeats)
    keras = measure(stem.with_suffix(".keras"), args.repeats)
    for name, r in (("LiteRT", lite), ("Keras", keras)):
        print(name, json.dumps(r))

    def row(label: str, key: str, fmt: str, better_high: bool) -> str:
        ratio = lite[key] / keras[key] if better_high else keras[key] / lite[key]
        return f"| {label} | {lite[key]:{fmt}} | {keras[key]:{fmt}} | {ratio:.1f}x |"

    lines = [
        "## Inference speed",
        "",
        f"`python benchmarks/inference_speed.py --repeats {args.repeats}` on {machine()}, "
        f"model `{stem.name}`. Both columns run `ImageClassifier` ({views.label}, calibrated "
        f"probabilities: {len(views.view_weights)} network passes per image), each in its own "
        "fresh process. "
        "Medians; the last column is how many times better LiteRT is.",
        "",
        "| measure | LiteRT (.tflite) | Keras (.keras) | LiteRT advantage |",
        "| --- | --- | --- | --- |",
        row("images/s at batch 256", "images_per_s_256", ",.0f", True),
        row("latency at batch 1 (ms)", "latency_ms_1", ".2f", False),
        row("cold start: import + load + first prediction (s)", "cold_start_s", ".2f", False),
        row("peak memory, max RSS (MB)", "max_rss_mb", ",.0f", False),
    ]
    write_section("inference_speed", "\n".join(lines))
    print("wrote docs/benchmarks/local-model.md")


if __name__ == "__main__":
    main()

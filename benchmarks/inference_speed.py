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


def worker(path: str, repeats: int, views: str | None) -> None:
    """Time one runtime; print a JSON line of its figures."""
    import numpy as np

    t0 = time.perf_counter()
    from visionkit.backends.local.classifier import ImageClassifier

    classifier = ImageClassifier.load(path, views=views)
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


def measure(path: Path, repeats: int, views: str | None = None) -> dict[str, float]:
    """Run one worker subprocess and return its figures."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, __file__, "--worker", str(path), "--repeats", str(repeats)]
    proc = subprocess.run(
        command + (["--views", views] if views else []),
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
    parser.add_argument("--views", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats, args.views)
        return

    # Imported here, not at the top: the worker's cold start must include importing visionkit.
    from visionkit.backends.local.views import get_policy

    stem = Path(args.model)
    meta = json.loads(stem.with_suffix(".json").read_text())
    shipped = get_policy(meta.get("views", "flip"))
    weights = meta.get("quantization", "float32")
    card = stem.with_suffix(".card.json")
    evaluation = json.loads(card.read_text())["evaluation"] if card.exists() else {}
    keras_views = get_policy(evaluation.get("views", shipped.name))
    # The .tflite as shipped, the .tflite over the Keras model's own views (the
    # like-for-like comparison), and the Keras model itself.
    lite = measure(stem.with_suffix(".tflite"), args.repeats)
    same = measure(stem.with_suffix(".tflite"), args.repeats, keras_views.name)
    keras = measure(stem.with_suffix(".keras"), args.repeats)
    for name, r in (("LiteRT", lite), ("LiteRT same views", same), ("Keras", keras)):
        print(name, json.dumps(r))

    def row(label: str, key: str, fmt: str, better_high: bool) -> str:
        cells = []
        for r in (lite, same):
            ratio = r[key] / keras[key] if better_high else keras[key] / r[key]
            cells.append(f"{r[key]:{fmt}} ({ratio:.1f}x)")
        return f"| {label} | {' | '.join(cells)} | {keras[key]:{fmt}} |"

    lines = [
        "## Inference speed",
        "",
        f"`python benchmarks/inference_speed.py --repeats {args.repeats}` on {machine()}, "
        f"model `{stem.name}`. Every column runs `ImageClassifier` (calibrated probabilities "
        "averaged over test-time views), each in its own fresh process: the `.tflite` "
        f"as shipped ({weights} weights, {shipped.label}: {shipped.count} network passes per "
        f"image), the same file over the Keras model's views ({keras_views.label}: "
        f"{keras_views.count} passes), and the `.keras` file. Medians; in brackets, how many "
        "times better than Keras.",
        "",
        f"| measure | LiteRT as shipped ({shipped.name}) | LiteRT, {keras_views.name} "
        f"| Keras, {keras_views.name} |",
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

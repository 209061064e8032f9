"""What the test-time views and int8 quantisation cost and buy, for exported LiteRT models.

For each ``.tflite`` given (exports of the same ``.keras`` model, e.g. float32 and int8)
and each view policy it is calibrated for: accuracy on the CIFAR-10 test split, the
negative log-likelihood and calibration error at the policy's fitted temperature, and
the model's speed in images per second at batch 256 on one interpreter thread (the
batch engine runs one interpreter per core), median of ``--repeats`` runs, all in one
process. Accuracy differences under ~0.3 points are within the standard error on
10,000 images. Replaces the "Exported models" section of
``docs/benchmarks/local-model.md``.

    python benchmarks/export_accuracy.py visionkit/models/cifar10-default.tflite \
        runs/export/float32/cifar10-default.tflite --data ../shared/data/cifar10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from train_speed import machine, write_section

from visionkit.backends.local.classifier import ImageClassifier
from visionkit.training.calibration import expected_calibration_error, negative_log_likelihood
from visionkit.training.data import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help=".tflite files (format 2)")
    parser.add_argument("--data", default=None, help="CIFAR-10 directory")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    test = load_dataset(args.data).test
    pixels = test.images.astype(np.float32)
    speed_batch = pixels[:256]
    rows, models = [], []
    for path in args.models:
        meta = json.loads(path.with_suffix(".json").read_text())
        base = ImageClassifier.load(path)
        for name in base.offered_views:
            model = base.with_views(name)
            probabilities = model.predict_arrays(pixels)
            model.predict_arrays(speed_batch)  # size the interpreter
            models.append(model)
            rows.append(
                [
                    f"`{path.parent.name}/{path.name}`" if path.parent.name else path.name,
                    meta.get("quantization", "float32"),
                    f"{path.stat().st_size / 1e6:.1f} MB",
                    f"{name}{' (default)' if name == base.views.name else ''}",
                    model.views.count,
                    f"{np.mean(probabilities.argmax(1) == test.labels):.2%}",
                    f"{negative_log_likelihood(probabilities, test.labels):.3f}",
                    f"{expected_calibration_error(probabilities, test.labels):.2%}",
                ]
            )
            print(rows[-1], flush=True)
    # Speed last, every model in turn within each repeat, so a change of machine
    # load during the run hits every row alike and the ratios hold.
    load_before = os.getloadavg()[0]
    times: list[list[float]] = [[] for _ in models]
    for _ in range(args.repeats):
        for i, model in enumerate(models):
            started = time.perf_counter()
            model.predict_arrays(speed_batch)
            times[i].append(time.perf_counter() - started)
    for row, t in zip(rows, times, strict=True):
        row.append(f"{len(speed_batch) / statistics.median(t):.0f}")
    print(f"1-minute load average {load_before:.1f} before the speed runs", flush=True)
    header = (
        "| model | weights | size | views | passes | test accuracy | NLL | ECE | img/s |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    body = "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    write_section(
        "export_accuracy",
        "## Exported models: views and int8\n\n"
        f"`python benchmarks/export_accuracy.py {' '.join(str(m) for m in args.models)} "
        f"--data DIR` on {machine()}; {len(test):,} CIFAR-10 test images. Each file is "
        "made by `visionkit export MODEL.keras --data DIR --views flip [--quantize int8]`. "
        "Temperatures "
        "were fitted per policy on the training run's validation split from each file's "
        "own logits (`visionkit export --data`); NLL and ECE (15 bins) are at those "
        "temperatures. Speed: the model alone, one interpreter thread, batch 256, median "
        f"of {args.repeats} runs, the rows alternated (1-minute load average "
        f"{load_before:.1f} before them).\n\n{header}\n{body}\n",
    )
    print("wrote docs/benchmarks/local-model.md")


if __name__ == "__main__":
    main()

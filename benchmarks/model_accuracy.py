"""Measure trained models' test accuracy three ways, and what averaging them would give.

For each ``.keras`` model: accuracy on one view, on the image and its mirror
("flip"), and as shipped (the calibrated probabilities averaged over the
model's own test-time views). Then the ensemble of all the given models: the
mean of their as-shipped probabilities, which is the question "would shipping
two networks beat shipping one?". Agreement is how often two models pick the
same class; the less they agree, the more an ensemble can gain.

Choosing between models by these figures selects on the test set, so a
difference of a few tenths of a point (the standard error on 10,000 images is
about 0.3) is noise. Results replace the "Model accuracy" section of
``docs/benchmarks/local-model.md``.

    python benchmarks/model_accuracy.py visionkit/models/cifar10-default.keras \
        runs/airbench94/cifar10-airbench94.keras --data /work/shared/data/cifar10
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from train_speed import machine, write_section

from visionkit.backends.local.views import FLIP
from visionkit.training.data import load_dataset
from visionkit.training.evaluate import keras_view_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help=".keras files")
    parser.add_argument("--data", default=None, help="CIFAR-10 directory")
    args = parser.parse_args()

    dataset = load_dataset(args.data)
    labels = dataset.test.labels
    rows = []
    shipped: dict[str, np.ndarray] = {}
    for path in args.models:
        views = keras_view_logits(path, dataset)
        if views.class_names != dataset.class_names:
            # The ensemble averages probabilities column by column.
            raise SystemExit(f"{path}: classes {views.class_names} differ from the data's")
        # FLIP's views are the first two of every policy (the image, then its mirror).
        flip = views.probabilities(FLIP)
        shipped[path.stem] = probs = views.probabilities()
        rows.append(
            (
                path.stem,
                f"{views.parameters:,}",
                views.policy.name,
                f"{views.temperature:.3f}",
                _accuracy(views.logits[0], views.labels),
                _accuracy(flip, views.labels),
                _accuracy(probs, views.labels),
            )
        )
        print(rows[-1], flush=True)

    lines = [
        "## Model accuracy",
        "",
        f"`python benchmarks/model_accuracy.py {' '.join(str(p) for p in args.models)} "
        f"--data {dataset.source}` on {machine()}, all {len(labels):,} test images. "
        "Single view: no test-time augmentation; flip: the image and its mirror; "
        "as shipped: the model's own views. Flip and as shipped use the model's "
        "temperature, which was fitted for its own views.",
        "",
        "| model | parameters | views | temperature | single view | flip | as shipped |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    if len(shipped) > 1:
        ensemble = np.mean(list(shipped.values()), axis=0)
        lines += [
            "",
            f"Ensemble of the {len(shipped)} (mean of their as-shipped probabilities): "
            f"**{_accuracy(ensemble, labels)}**.",
            "",
            "| models | agree on |",
            "| --- | --- |",
        ]
        for (a, pa), (b, pb) in itertools.combinations(shipped.items(), 2):
            agree = np.mean(pa.argmax(1) == pb.argmax(1))
            lines.append(f"| {a}, {b} | {agree:.2%} |")
    write_section("model_accuracy", "\n".join(lines))
    print("\n".join(lines))


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> str:
    return f"{np.mean(scores.argmax(axis=1) == labels):.2%}"


if __name__ == "__main__":
    main()

"""Compare open-set scores for the local model: which one best says "none of my classes"?

Seven scores, each higher for "looks like one of my classes": the top
calibrated probability (what ships), the top logit, the energy
(log-sum-exp of the logits), Mahalanobis distance to the nearest class mean of
the penultimate features (shared covariance, fitted on training images),
k-nearest-neighbour cosine similarity to training features (k = 10, 50), and
the feature norm. Features and logits are averaged over the image and its
mirror. Each is scored by AUROC, CIFAR-10 class photos against the real
non-class development photos of ``benchmarks/real_photos.py``, and by the
share of real class photos still right when the threshold lets 5% of non-class
photos through. The statistics are fitted on a seeded sample of the *training*
split; the CIFAR-10 images scored are from the *validation* side of training
when the model was trained with one, so the test split is not used.
Results go to the "Other open-set scores" section of ``docs/benchmarks/real-photos.md``.

    python benchmarks/open_set_scores.py MODEL.keras \
        --data ../shared/data/cifar10 --shared ../shared
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from real_photos import DOC, development_photos

from visionkit.backends.local.classifier import to_model_input
from visionkit.backends.local.keras_model import load_keras_model
from visionkit.training.data import load_dataset
from visionkit.training.train import validation_size

Array = NDArray[np.float64]


def features_and_logits(model: Any, pixels: NDArray[Any]) -> tuple[Array, Array]:
    """Penultimate features and logits, averaged over the image and its mirror."""
    import keras

    penultimate = next(
        layer for layer in reversed(model.layers) if isinstance(layer, keras.layers.Flatten)
    )
    net = keras.Model(model.inputs, [penultimate.output, model.get_layer("logits").output])
    feats, logits = [], []
    for i in range(0, len(pixels), 500):
        batch = pixels[i : i + 500].astype(np.float32)
        f1, l1 = net(batch, training=False)
        f2, l2 = net(batch[:, :, ::-1], training=False)
        feats.append((np.asarray(f1) + np.asarray(f2)) / 2)
        logits.append((np.asarray(l1) + np.asarray(l2)) / 2)
    return np.concatenate(feats).astype(np.float64), np.concatenate(logits).astype(np.float64)


def auroc(pos: Array, neg: Array) -> float:
    """Probability that a positive scores above a negative (ties count half)."""
    return float(np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--shared", type=Path, required=True)
    parser.add_argument("--fit-images", type=int, default=10000)
    args = parser.parse_args()

    model = load_keras_model(args.model)
    temperature = float(model.get_layer("head").get_config().get("temperature", 1.0))
    loaded = load_dataset(args.data)
    dataset = loaded.with_validation(validation_size(len(loaded.train)))
    assert dataset.validation is not None
    fit = dataset.train.sample(args.fit_images, 3)
    cifar = dataset.validation.sample(2000, 5)
    f_fit, _ = features_and_logits(model, fit.images)
    f_cif, l_cif = features_and_logits(model, cifar.images)
    photos = development_photos(args.shared)
    pixels = np.stack([to_model_input(Image.open(p).convert("RGB")) for _, p, _ in photos])
    f_real, l_real = features_and_logits(model, pixels)
    truth = np.array([t for _, _, t in photos])
    names = np.array(dataset.class_names)
    is_class = np.isin(truth, names)
    right = names[l_real.argmax(1)] == truth

    means = np.stack([f_fit[fit.labels == c].mean(0) for c in range(len(names))])
    centred = f_fit - means[fit.labels]
    precision = np.linalg.inv(centred.T @ centred / len(centred) + 1e-6 * np.eye(centred.shape[1]))
    unit_fit = f_fit / np.linalg.norm(f_fit, axis=1, keepdims=True)

    def msp(f: Array, lg: Array) -> Array:
        z = (lg - lg.max(1, keepdims=True)) / temperature
        return np.asarray(np.exp(z).max(1) / np.exp(z).sum(1), dtype=np.float64)

    def energy(f: Array, lg: Array) -> Array:
        top = lg.max(1)
        return np.asarray(np.log(np.exp(lg - top[:, None]).sum(1)) + top, dtype=np.float64)

    def mahalanobis(f: Array, lg: Array) -> Array:
        d = [np.einsum("ij,jk,ik->i", f - m, precision, f - m) for m in means]
        return np.asarray(-np.min(np.stack(d, 1), 1), dtype=np.float64)

    def knn(k: int) -> Callable[[Array, Array], Array]:
        def score(f: Array, lg: Array) -> Array:
            sims = (f / np.linalg.norm(f, axis=1, keepdims=True)) @ unit_fit.T
            return np.sort(sims, 1)[:, -k]

        return score

    scores: dict[str, Callable[[Array, Array], Array]] = {
        "top calibrated probability (shipped)": msp,
        "top logit": lambda f, lg: lg.max(1),
        "energy": energy,
        "Mahalanobis (penultimate)": mahalanobis,
        "kNN cosine, k=10": knn(10),
        "kNN cosine, k=50": knn(50),
        "feature norm": lambda f, lg: np.linalg.norm(f, axis=1),
    }
    lines = [
        "## Other open-set scores",
        "",
        f"Measured by `benchmarks/open_set_scores.py` with `{args.model.name}` (features and "
        f"logits over the image and its mirror; statistics from {len(fit)} training images; "
        f"CIFAR-10 side: {len(cifar)} validation images).",
        "",
        "| score | AUROC CIFAR-10 vs real non-class | AUROC real class vs real non-class "
        "| real class photos right at 5% non-class tagged |",
        "| --- | --- | --- | --- |",
    ]
    for name, fn in scores.items():
        real, cif = fn(f_real, l_real), fn(f_cif, l_cif)
        cut = np.quantile(real[~is_class], 0.95)
        kept = float(np.mean((right & (real > cut))[is_class]))
        lines.append(
            f"| {name} | {auroc(cif, real[~is_class]):.3f} | "
            f"{auroc(real[is_class], real[~is_class]):.3f} | {kept:.1%} |"
        )
    section = "\n".join(lines) + "\n"
    text = DOC.read_text() if DOC.exists() else ""
    if "## Other open-set scores" in text:
        text = text[: text.index("## Other open-set scores")]
    DOC.write_text(text.rstrip("\n") + "\n\n" + section)
    print(section)


if __name__ == "__main__":
    main()

"""Measure a trained model on labelled images: accuracy, per-class accuracy, confusion.

Works on a ``.keras`` file (where it can also report single-view accuracy,
i.e. without test-time augmentation) and on an exported ``.tflite`` file, at
its default views or any policy it was calibrated for (``views=``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import FLIP, ViewPolicy
from visionkit.errors import ConfigError
from visionkit.training.data import LabelledImages, Split, load_dataset


@dataclass(frozen=True)
class EvaluationReport:
    """Scores of one model on one labelled split.

    ``accuracy`` is for the prediction the model ships with (averaged over the
    test-time views that ``views`` describes); ``single_view_accuracy`` is
    without that averaging, or ``None`` when the model only exposes the
    averaged output. Rows of ``confusion`` are true classes, columns predicted
    classes.
    """

    class_names: tuple[str, ...]
    accuracy: float
    single_view_accuracy: float | None
    per_class_accuracy: dict[str, float]
    confusion: NDArray[np.int64]
    n_images: int
    model: str
    data: str
    views: str = FLIP.label

    def __str__(self) -> str:
        width = max(len(n) for n in self.class_names)
        lines = [
            f"{self.model} on {self.data}: {self.n_images} images",
            f"accuracy ({self.views}): {self.accuracy:.2%}",
        ]
        if self.single_view_accuracy is not None:
            lines.append(f"accuracy (single view): {self.single_view_accuracy:.2%}")
        lines.append("")
        lines.append(f"{'class':<{width}}  accuracy  most confused with")
        for i, name in enumerate(self.class_names):
            row = self.confusion[i].copy()
            row[i] = -1
            worst = int(row.argmax())
            confused = f"{self.class_names[worst]} ({row[worst]})" if row[worst] > 0 else "-"
            lines.append(f"{name:<{width}}  {self.per_class_accuracy[name]:>8.2%}  {confused}")
        return "\n".join(lines)


def score(
    probs: NDArray[np.floating],
    labels: NDArray[np.integer],
    class_names: Sequence[str],
    *,
    single_view_probs: NDArray[np.floating] | None = None,
    model: str = "model",
    data: str = "data",
    views: str = FLIP.label,
) -> EvaluationReport:
    """Build a report from predicted probabilities ``(N, C)`` and true labels ``(N,)``."""
    k = len(class_names)
    predicted = probs.argmax(axis=1)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    support = confusion.sum(axis=1)
    per_class = {
        name: float(confusion[i, i] / support[i]) if support[i] else float("nan")
        for i, name in enumerate(class_names)
    }
    single = (
        float(np.mean(single_view_probs.argmax(axis=1) == labels))
        if single_view_probs is not None
        else None
    )
    return EvaluationReport(
        class_names=tuple(class_names),
        accuracy=float(np.mean(predicted == labels)),
        single_view_accuracy=single,
        per_class_accuracy=per_class,
        confusion=confusion,
        n_images=len(labels),
        model=model,
        data=data,
        views=views,
    )


def view_logits(
    logits_fn: Any,
    images: NDArray[np.uint8],
    policy: ViewPolicy,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32]:
    """Return ``(views, N, C)`` logits for every test-time view of the images.

    ``logits_fn`` maps a float32 pixel batch to logits (a Keras model or a
    ``tf.function``); batches are fixed-size so a traced function is reused.
    View 0 is always the image itself.
    """
    outputs: list[list[NDArray[np.float32]]] = [[] for _ in range(policy.count)]
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        for view, x in enumerate(policy.views(batch)):
            outputs[view].append(np.asarray(logits_fn(x), np.float32))
        if progress is not None:
            progress(start + len(batch), len(images))
    return np.stack([np.concatenate(v) for v in outputs])


def keras_logits_fn(model: Any) -> Any:
    """Wrap a visionkit Keras model's logits in a ``tf.function`` (3x faster than ``predict``)."""
    import tensorflow as tf

    from visionkit.backends.local.keras_model import logits_model

    body = logits_model(model)
    size = model.inputs[0].shape[1:]
    return tf.function(
        lambda x: body(x, training=False),
        input_signature=[tf.TensorSpec((None, *size), tf.float32)],
    )


def evaluate(
    model_path: str | os.PathLike[str],
    data: str | os.PathLike[str] | LabelledImages | None = None,
    *,
    batch_size: int = 500,
    views: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvaluationReport:
    """Evaluate a ``.keras`` or ``.tflite`` model on the evaluation split of ``data``.

    ``data`` is a directory in any layout :func:`load_dataset` understands
    (default ``$VISIONKIT_CIFAR10_DIR``) or an already-loaded dataset. The
    model's class names must be the dataset's, in any order. ``views`` picks
    one of the view policies a ``.tflite`` file is calibrated for (a ``.keras``
    file is scored at its own); ``progress(done, total)`` is called after each
    batch of images. ``model_path`` may also name a shipped model (``"default"``,
    ``"default-int8"``, ``"fast"``, ...), as ``local.model`` does.
    """
    from visionkit.backends.local.classifier import SHIPPED_NAMES, shipped_model

    path = Path(model_path)
    if os.fspath(model_path) in SHIPPED_NAMES:
        path = Path(str(shipped_model(os.fspath(model_path))))
    if views is not None and path.suffix != ".tflite":
        raise ConfigError(
            f"views={views!r} applies to exported .tflite models; {path.name} is scored "
            "at the views it was trained with."
        )
    dataset = data if isinstance(data, LabelledImages) else load_dataset(data)
    if path.suffix == ".tflite":
        from visionkit.backends.local.classifier import ImageClassifier

        classifier = ImageClassifier.load(path, views=views)
        split = _relabel(dataset, classifier.class_names)
        total = len(split.images)
        chunks = []
        # A LiteRT interpreter runs on one core; the classifier lends one interpreter to
        # each concurrent caller, so chunks on a thread per core use them all: the 10,000
        # CIFAR-10 test images took 54 s on one thread, 28 s on two (docs/benchmarks/evaluate.md).
        with ThreadPoolExecutor(max(1, min(os.cpu_count() or 1, 4))) as pool:
            pending = [
                pool.submit(
                    classifier.predict_arrays,
                    split.images[start : start + batch_size],
                    batch_size=batch_size,
                )
                for start in range(0, total, batch_size)
            ]
            for future in pending:
                chunks.append(future.result())
                if progress is not None:
                    progress(min(len(chunks) * batch_size, total), total)
        probs = np.concatenate(chunks) if chunks else np.zeros((0, len(classifier.class_names)))
        return score(
            probs,
            split.labels,
            classifier.class_names,
            model=str(path),
            data=dataset.source,
            views=classifier.views.label,
        )

    from visionkit.training.calibration import softmax

    keras = keras_view_logits(path, dataset, batch_size=batch_size, progress=progress)
    return score(
        keras.probabilities(),
        keras.labels,
        keras.class_names,
        single_view_probs=softmax(keras.logits[0], keras.temperature),
        model=str(path),
        data=dataset.source,
        views=keras.policy.label,
    )


@dataclass(frozen=True)
class ViewLogits:
    """A Keras model's logits for every test-time view of the evaluation split.

    Kept as logits, not probabilities, so a caller can average any subset of
    the views (flip only, say) at the model's own temperature.
    """

    logits: NDArray[np.float32]
    labels: NDArray[np.int64]
    class_names: tuple[str, ...]
    policy: ViewPolicy
    temperature: float
    parameters: int

    def probabilities(self, views: ViewPolicy | None = None) -> NDArray[np.float64]:
        """Calibrated probabilities averaged over ``views`` (default: the model's own).

        ``views`` must be a policy whose views come first in the model's own.
        """
        from visionkit.training.calibration import view_average

        policy = views or self.policy
        return view_average(self.logits[: policy.count], self.temperature, policy.view_weights)


def keras_view_logits(
    model_path: str | os.PathLike[str],
    dataset: LabelledImages,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> ViewLogits:
    """Run a ``.keras`` model over every test-time view of ``dataset``'s evaluation split."""
    from visionkit.backends.local.keras_model import head_of, load_keras_model

    model = load_keras_model(model_path)
    head = head_of(model)
    split = _relabel(dataset, head.class_names)
    return ViewLogits(
        logits=view_logits(keras_logits_fn(model), split.images, head.views, batch_size, progress),
        labels=split.labels,
        class_names=tuple(head.class_names),
        policy=head.views,
        temperature=float(np.asarray(head.temperature)),
        parameters=int(model.count_params()),
    )


def _relabel(dataset: LabelledImages, model_classes: Sequence[str]) -> Split:
    """Return the evaluation split with labels indexing ``model_classes``."""
    if set(model_classes) != set(dataset.class_names):
        raise ConfigError(
            f"The model knows classes {list(model_classes)} but {dataset.source} has "
            f"{list(dataset.class_names)}; evaluate on data with the model's classes."
        )
    mapping = np.array([model_classes.index(n) for n in dataset.class_names], np.int64)
    return Split(dataset.test.images, mapping[dataset.test.labels])

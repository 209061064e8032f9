"""Export a trained ``.keras`` model to a LiteRT ``.tflite`` file plus a sidecar JSON.

The exported graph is the network and nothing else: pixels in, logits out.
The test-time views, the temperature and the softmax average are applied by
the runtime in NumPy (:class:`~visionkit.backends.local.classifier.ImageClassifier`,
:mod:`~visionkit.backends.local.views`), so one file serves every view policy
and a user can trade the six flip-and-shift views for the two flip views at
run time. A temperature is fitted per policy on the validation split, from
the exported graph's own logits, so an int8 graph is calibrated for what it
actually computes rather than for the float model it came from.

``quantize="int8"`` stores weights and activations as 8-bit integers (inputs
and outputs stay float32), calibrated on a few hundred training images: a
quarter of the size, and the same accuracy for the shipped network; whether it
is faster depends on the CPU's int8 kernels (on this project's AVX2 machines it
was not: ``docs/benchmarks/local-model.md``). The sidecar (``<name>.json``) carries
what a flatbuffer cannot hold conveniently: class names, the input contract,
the temperatures, the default view policy and the digest of the source model.

Sidecar format 1 (a graph with the views and temperature built in) is still
read by the runtime; this module writes format 2.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import POLICIES, ViewPolicy, get_policy, view_average
from visionkit.errors import ConfigError
from visionkit.training.data import LabelledImages, load_dataset

SIDECAR_FORMAT = 2
REPRESENTATIVE_IMAGES = 300
"""Training images the int8 converter calibrates activation ranges on (a few hundred is
the converter's documented practice; more changed nothing measurable)."""

Quantization = Literal["float32", "int8"]


@dataclass(frozen=True)
class ExportResult:
    """The written files and, when checked, how closely LiteRT matches Keras."""

    tflite_path: Path
    sidecar_path: Path
    checked_images: int
    max_abs_diff: float | None
    argmax_agreement: float | None


def sidecar_path(tflite_path: Path) -> Path:
    """``model.tflite`` -> ``model.json``: where the class names and input contract live."""
    return tflite_path.with_suffix(".json")


def export_tflite(
    model_path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    check_data: str | os.PathLike[str] | LabelledImages | None = None,
    check_images: int | None = None,
    quantize: Quantization = "float32",
    views: str | None = None,
    seed: int | None = None,
) -> ExportResult:
    """Export ``model_path`` to a LiteRT logits graph and its sidecar.

    Args:
        model_path: The ``.keras`` file that training wrote.
        out: Defaults to the model path with a ``.tflite`` suffix.
        check_data: A dataset directory or loaded dataset. With it, every view
            policy gets a temperature fitted on the validation split (the same
            seeded hold-out training used, so no training image calibrates),
            an int8 export gets its representative images, and the export is
            compared with the Keras model on the evaluation images (all, or
            the first ``check_images``); the result is stored in the sidecar
            so the claim travels with the file. Without it only the model's own
            policy, at its saved temperature, is offered, and int8 is refused.
        check_images: Compare on only the first this many evaluation images.
        quantize: ``"float32"`` or ``"int8"`` (see the module docstring).
        views: The policy the runtime uses by default; default: the model's own.
        seed: The training run's seed, which fixes its validation split; default:
            read from the model's card (``<name>.card.json``), else 0.
    """
    import tensorflow as tf

    from visionkit.backends.local.keras_model import head_of, load_keras_model, logits_model

    if quantize not in ("float32", "int8"):
        raise ConfigError(f"quantize must be 'float32' or 'int8', got {quantize!r}.")
    source = Path(model_path)
    model = load_keras_model(source)
    head = head_of(model)
    body = logits_model(model)
    size = tuple(int(d) for d in model.inputs[0].shape[1:])
    dataset = _dataset(check_data, source, seed)
    if quantize == "int8" and dataset is None:
        raise ConfigError(
            "An int8 export needs check_data (`visionkit export --data DIR`): "
            "its training images calibrate the 8-bit ranges."
        )
    if views is not None and views not in POLICIES:
        raise ConfigError(f"views must be one of {', '.join(POLICIES)}, got {views!r}.")
    default = get_policy(views) if views else head.views
    if dataset is None and default.name != head.views.name:
        raise ConfigError(
            f"The model is calibrated for the views {head.views.name!r} only; pass check_data "
            f"(`visionkit export --data DIR`) to calibrate {default.name!r} too."
        )

    flatbuffer = _convert(
        body,
        lambda pixels: body(pixels, training=False),
        tf.TensorSpec((None, *size), tf.float32, name="pixels"),
        representative=_representative(dataset) if quantize == "int8" else None,
    )
    tflite_path = Path(out) if out is not None else source.with_suffix(".tflite")
    tflite_path.parent.mkdir(parents=True, exist_ok=True)
    tflite_path.write_bytes(flatbuffer)

    temperatures = {head.views.name: float(np.asarray(head.temperature))}
    if dataset is not None and dataset.validation is not None:
        temperatures = _fit_temperatures(tflite_path, dataset)
    if default.name not in temperatures:  # data without a validation split
        tflite_path.unlink()
        raise ConfigError(
            f"No validation split in check_data to calibrate the views {default.name!r} on."
        )

    checked, max_diff, agreement = 0, None, None
    if dataset is not None:
        images = dataset.test.images[:check_images]
        reference = _keras_reference(model, images)
        own = head.views
        exported = view_average(
            view_logits_litert(tflite_path, images, own), temperatures[own.name], own.view_weights
        )
        checked = len(images)
        max_diff = float(np.max(np.abs(reference - exported)))
        agreement = float(np.mean(reference.argmax(1) == exported.argmax(1)))

    sidecar = {
        "format": SIDECAR_FORMAT,
        "class_names": list(head.class_names),
        "input": {
            "shape": list(size),
            "dtype": "float32",
            "range": [0.0, 255.0],
            "layout": "NHWC, RGB",
            "preprocessing": (
                "convert to RGB, resize so the short side equals the input size "
                "(Lanczos, antialiased), centre crop; no normalisation (done in the graph)"
            ),
        },
        "output": "logits; the runtime averages the softmax at temperatures[views] over the views",
        "quantization": quantize,
        "views": default.name,
        "temperatures": temperatures,
        "test_time_augmentation": {
            name: _describe_views(get_policy(name)) for name in temperatures
        },
        "source_model": {
            "file": source.name,
            "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        },
        "tflite_sha256": hashlib.sha256(flatbuffer).hexdigest(),
        "tensorflow": tf.__version__,
        "check": {
            "images": checked,
            "views": head.views.name,
            "max_abs_prob_diff_vs_keras": max_diff,
            "argmax_agreement_vs_keras": agreement,
        },
    }
    side = sidecar_path(tflite_path)
    side.write_text(json.dumps(sidecar, indent=2) + "\n")
    return ExportResult(tflite_path, side, checked, max_diff, agreement)


def _dataset(
    data: str | os.PathLike[str] | LabelledImages | None, source: Path, seed: int | None
) -> LabelledImages | None:
    """The check data with the training run's validation split held out of its train split."""
    if data is None:
        return None
    from visionkit.training.train import validation_size

    dataset = data if isinstance(data, LabelledImages) else load_dataset(data)
    if seed is None:
        card = source.with_suffix(".card.json")
        seed = 0
        if card.is_file():
            seed = int(json.loads(card.read_text()).get("training", {}).get("seed", 0))
    return dataset.with_validation(validation_size(len(dataset.train)), seed)


def _representative(dataset: LabelledImages | None) -> Any:
    assert dataset is not None
    sample = dataset.train.sample(REPRESENTATIVE_IMAGES, seed=0)

    def images() -> Iterator[list[NDArray[np.float32]]]:
        for image in sample.images:
            yield [image[None].astype(np.float32)]

    return images


def _fit_temperatures(path: Path, dataset: LabelledImages) -> dict[str, float]:
    """One temperature per view policy, fitted to the exported graph on the validation split."""
    from visionkit.training.calibration import fit_temperature

    assert dataset.validation is not None
    split = dataset.validation
    return {
        name: round(
            fit_temperature(
                view_logits_litert(path, split.images, policy),
                split.labels,
                weights=policy.view_weights,
            ),
            6,
        )
        for name, policy in POLICIES.items()
    }


def tf_views(policy: ViewPolicy, pixels: Any) -> list[Any]:
    """:meth:`ViewPolicy.views` in TensorFlow ops, for the exported graph."""
    import tensorflow as tf

    p = policy.pad
    h, w = pixels.shape[1], pixels.shape[2]
    padded = tf.pad(pixels, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT") if p else pixels
    out = []
    for dy, dx in policy.shifts:
        shifted = padded[:, p - dy : p - dy + h, p - dx : p - dx + w, :]
        out += [shifted, tf.reverse(shifted, axis=[2])] if policy.mirror else [shifted]
    return out


def _describe_views(policy: ViewPolicy) -> str:
    pair = " and its mirror" if policy.mirror else ""
    parts = [
        f"shift {dy:+d},{dx:+d} px (reflect){pair}, weight {w / sum(policy.weights):g}"
        if (dy, dx) != (0, 0)
        else f"image{pair}, weight {w / sum(policy.weights):g}"
        for (dy, dx), w in zip(policy.shifts, policy.weights, strict=True)
    ]
    return f"{policy.name}: " + "; ".join(parts)


def _convert(model: Any, serve: Any, spec: Any, *, representative: Any = None) -> bytes:
    """Convert ``serve`` to a builtins-only flatbuffer with the weights frozen in.

    Going through Keras' ``ExportArchive`` (a SavedModel) is what makes the
    converter see Keras 3 variables as constants; converting the concrete
    function directly leaves uninitialised READ_VARIABLE ops that output garbage.
    """
    import tempfile

    import keras
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as tmp:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", serve, input_signature=[spec])
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if representative is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative
        return bytes(converter.convert())


def _keras_reference(model: Any, images: NDArray[np.uint8]) -> NDArray[np.float64]:
    """What the exported graph should output, computed with the Keras model."""
    from visionkit.backends.local.keras_model import head_of
    from visionkit.training.calibration import view_average
    from visionkit.training.evaluate import keras_logits_fn, view_logits

    head = head_of(model)
    temperature = float(np.asarray(head.temperature))
    logits = view_logits(keras_logits_fn(model), images, head.views)
    return view_average(logits, temperature, head.views.view_weights)


def view_logits_litert(
    path: Path, images: NDArray[np.uint8], policy: ViewPolicy, batch_size: int = 256
) -> NDArray[np.float32]:
    """``(views, N, C)`` logits of an exported logits graph, as training's ``view_logits``."""
    from ai_edge_litert.interpreter import Interpreter

    from visionkit.backends.local.classifier import _without_delegate_notice

    interpreter = Interpreter(model_path=str(path))
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    outputs: list[list[NDArray[np.float32]]] = [[] for _ in range(policy.count)]
    current = -1
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        if len(batch) != current:
            with _without_delegate_notice():  # LiteRT's INFO line on the first allocation
                interpreter.resize_tensor_input(inp["index"], batch.shape)
                interpreter.allocate_tensors()
            current = len(batch)
        for view, x in enumerate(policy.views(batch)):
            interpreter.set_tensor(inp["index"], x)
            interpreter.invoke()
            outputs[view].append(interpreter.get_tensor(out["index"]).copy())
    return np.stack([np.concatenate(v) for v in outputs])

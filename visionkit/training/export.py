"""Export a trained ``.keras`` model to a LiteRT ``.tflite`` file plus a sidecar JSON.

The exported graph is the whole prediction, not just the network: it runs
every test-time view of the image the model was calibrated for (the image and
its mirror, and for ``flip+shift`` models both again shifted by a pixel),
divides the logits by the calibration temperature and takes the weighted
mean of the softmaxes. Inference then needs no TensorFlow and no
post-processing that could drift from what the model card measured.

The sidecar (``<name>.json`` next to the ``.tflite``) carries what a
flatbuffer cannot hold conveniently: class names, the input contract, the
temperature and the digest of the source model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.views import ViewPolicy
from visionkit.training.data import LabelledImages, load_dataset

SIDECAR_FORMAT = 1


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
) -> ExportResult:
    """Export ``model_path`` to float32 LiteRT with view averaging and temperature built in.

    ``out`` defaults to the model path with a ``.tflite`` suffix. With
    ``check_data`` (a dataset directory or a loaded dataset) the export is run
    on its evaluation images (all, or the first ``check_images``) and compared
    with the Keras model computing the same thing; the result is stored in the
    sidecar so the claim travels with the file.
    """
    import tensorflow as tf

    from visionkit.backends.local.keras_model import head_of, load_keras_model, logits_model

    source = Path(model_path)
    model = load_keras_model(source)
    head = head_of(model)
    temperature = float(np.asarray(head.temperature))
    policy = head.views
    weights = [float(w) for w in policy.view_weights]
    body = logits_model(model)
    size = tuple(int(d) for d in model.inputs[0].shape[1:])

    def serve(pixels: Any) -> Any:
        probs = [
            tf.nn.softmax(body(v, training=False) / temperature) for v in tf_views(policy, pixels)
        ]
        return tf.add_n([w * p for w, p in zip(weights, probs, strict=True)])

    flatbuffer = _convert(body, serve, tf.TensorSpec((None, *size), tf.float32, name="pixels"))
    tflite_path = Path(out) if out is not None else source.with_suffix(".tflite")
    tflite_path.parent.mkdir(parents=True, exist_ok=True)
    tflite_path.write_bytes(flatbuffer)

    checked, max_diff, agreement = 0, None, None
    if check_data is not None:
        dataset = check_data if isinstance(check_data, LabelledImages) else load_dataset(check_data)
        images = dataset.test.images[:check_images]
        reference = _keras_reference(model, images)
        exported = _litert_predict(tflite_path, images)
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
        "output": f"calibrated class probabilities, {policy.label}",
        "temperature": temperature,
        "views": policy.name,
        "test_time_augmentation": _describe_views(policy),
        "source_model": {
            "file": source.name,
            "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        },
        "tflite_sha256": hashlib.sha256(flatbuffer).hexdigest(),
        "tensorflow": tf.__version__,
        "check": {
            "images": checked,
            "max_abs_prob_diff_vs_keras": max_diff,
            "argmax_agreement_vs_keras": agreement,
        },
    }
    side = sidecar_path(tflite_path)
    side.write_text(json.dumps(sidecar, indent=2) + "\n")
    return ExportResult(tflite_path, side, checked, max_diff, agreement)


def tf_views(policy: ViewPolicy, pixels: Any) -> list[Any]:
    """:meth:`ViewPolicy.views` in TensorFlow ops, for the exported graph."""
    import tensorflow as tf

    p = policy.pad
    h, w = pixels.shape[1], pixels.shape[2]
    padded = tf.pad(pixels, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT") if p else pixels
    out = []
    for dy, dx in policy.shifts:
        shifted = padded[:, p - dy : p - dy + h, p - dx : p - dx + w, :]
        out += [shifted, tf.reverse(shifted, axis=[2])]
    return out


def _describe_views(policy: ViewPolicy) -> str:
    parts = [
        f"shift {dy:+d},{dx:+d} px (reflect) and its mirror, weight {w / sum(policy.weights):g}"
        if (dy, dx) != (0, 0)
        else f"image and its mirror, weight {w / sum(policy.weights):g}"
        for (dy, dx), w in zip(policy.shifts, policy.weights, strict=True)
    ]
    return f"{policy.name}: " + "; ".join(parts)


def _convert(model: Any, serve: Any, spec: Any) -> bytes:
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


def _litert_predict(
    path: Path, images: NDArray[np.uint8], batch_size: int = 256
) -> NDArray[np.float32]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    inp = interpreter.get_input_details()[0]
    outputs: list[NDArray[np.float32]] = []
    current = -1
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        if len(batch) != current:
            interpreter.resize_tensor_input(inp["index"], batch.shape)
            interpreter.allocate_tensors()
            current = len(batch)
        interpreter.set_tensor(inp["index"], batch)
        interpreter.invoke()
        out = interpreter.get_output_details()[0]
        outputs.append(interpreter.get_tensor(out["index"]).copy())
    return np.concatenate(outputs)

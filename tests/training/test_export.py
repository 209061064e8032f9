"""LiteRT export: same probabilities as Keras, sidecar complete, usable by the runtime."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from visionkit.backends.local.classifier import ImageClassifier
from visionkit.training.evaluate import evaluate
from visionkit.training.export import export_tflite


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory):
    result, data, _ = tiny_run
    out = tmp_path_factory.mktemp("export") / "tiny.tflite"
    return export_tflite(result.model_path, out, check_data=data), result, data


def test_litert_matches_keras_on_the_test_images(exported):
    export, _, data = exported

    assert export.checked_images == len(data.test)
    assert export.max_abs_diff is not None
    assert export.max_abs_diff < 1e-4
    assert export.argmax_agreement == 1.0


def test_sidecar_describes_the_model(exported):
    export, result, data = exported
    sidecar = json.loads(export.sidecar_path.read_text())

    assert sidecar["class_names"] == list(data.class_names)
    assert sidecar["input"]["shape"] == [32, 32, 3]
    assert sidecar["temperature"] == pytest.approx(result.temperature)
    assert len(sidecar["source_model"]["sha256"]) == 64
    assert sidecar["check"]["argmax_agreement_vs_keras"] == 1.0


def test_runtime_gives_the_same_answers_from_both_files(exported):
    export, result, data = exported
    lite = ImageClassifier.load(export.tflite_path)
    keras_fallback = ImageClassifier.load(result.model_path)

    assert lite.class_names == keras_fallback.class_names == data.class_names
    np.testing.assert_allclose(
        lite.predict_arrays(data.test.images),
        keras_fallback.predict_arrays(data.test.images),
        atol=1e-5,
    )
    assert evaluate(export.tflite_path, data).accuracy == pytest.approx(result.report.accuracy)

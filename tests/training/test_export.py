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
    assert sidecar["views"] == "flip+shift"
    assert sidecar["test_time_augmentation"].startswith("flip+shift: image and its mirror")


def test_graph_views_are_the_numpy_views_pixel_for_pixel(chelsea_png):
    import tensorflow as tf
    from PIL import Image

    from visionkit.backends.local.classifier import to_model_input
    from visionkit.backends.local.views import POLICIES
    from visionkit.training.export import tf_views

    with Image.open(chelsea_png) as photo:
        batch = np.stack([to_model_input(photo, 32)] * 2)
    for policy in POLICIES.values():
        graph = [v.numpy() for v in tf_views(policy, tf.constant(batch))]
        for got, want in zip(graph, policy.views(batch), strict=True):
            np.testing.assert_array_equal(got, want)


def test_runtime_gives_the_same_answers_from_both_files(exported):
    export, result, data = exported
    lite = ImageClassifier.load(export.tflite_path)
    keras_fallback = ImageClassifier.load(result.model_path)

    assert lite.class_names == keras_fallback.class_names == data.class_names
    assert lite.views is keras_fallback.views
    np.testing.assert_allclose(
        lite.predict_arrays(data.test.images),
        keras_fallback.predict_arrays(data.test.images),
        atol=1e-5,
    )
    assert evaluate(export.tflite_path, data).accuracy == pytest.approx(result.report.accuracy)

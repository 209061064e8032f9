"""LiteRT export: same probabilities as Keras, sidecar complete, usable by the runtime."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from visionkit.backends.local.classifier import ImageClassifier
from visionkit.errors import ConfigError
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

    assert sidecar["format"] == 2
    assert sidecar["class_names"] == list(data.class_names)
    assert sidecar["input"]["shape"] == [32, 32, 3]
    assert sidecar["quantization"] == "float32"
    # Refitted on the same validation split from the graph's own (identical) logits.
    assert sidecar["temperatures"]["flip+shift"] == pytest.approx(result.temperature, rel=1e-3)
    assert set(sidecar["temperatures"]) == {"single", "flip", "flip+shift"}
    assert len(sidecar["source_model"]["sha256"]) == 64
    assert sidecar["check"]["argmax_agreement_vs_keras"] == 1.0
    assert sidecar["views"] == "flip+shift"
    described = sidecar["test_time_augmentation"]["flip+shift"]
    assert described.startswith("flip+shift: image and its mirror")


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


def test_every_policy_is_offered_and_changes_the_answer(exported):
    export, _, data = exported
    default = ImageClassifier.load(export.tflite_path)
    flip = ImageClassifier.load(export.tflite_path, views="flip")
    single = ImageClassifier.load(export.tflite_path, views="single")

    assert default.offered_views == ("flip+shift", "single", "flip")
    assert flip.views.name == "flip" and flip.views.count == 2
    assert single.views.name == "single" and single.views.count == 1
    a, b = default.predict_arrays(data.test.images), flip.predict_arrays(data.test.images)
    c = single.predict_arrays(data.test.images)
    for probs in (a, b, c):
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # fewer views, another temperature: other probabilities
    assert not np.allclose(a, b) and not np.allclose(b, c)


def test_a_policy_the_model_was_not_calibrated_for_is_refused(exported):
    from visionkit.errors import ModelError

    _, result, _ = exported
    with pytest.raises(ModelError, match="calibrated for the views flip\\+shift, not 'flip'"):
        ImageClassifier.load(result.model_path, views="flip")  # a .keras: its own policy only


def test_int8_export_is_smaller_and_agrees_with_keras(tiny_run, tmp_path):
    result, data, _ = tiny_run
    export = export_tflite(
        result.model_path, tmp_path / "int8.tflite", check_data=data, quantize="int8"
    )
    float_export = export_tflite(result.model_path, tmp_path / "f32.tflite")
    sidecar = json.loads(export.sidecar_path.read_text())

    assert sidecar["quantization"] == "int8"
    assert export.tflite_path.stat().st_size < 0.5 * float_export.tflite_path.stat().st_size
    assert export.argmax_agreement is not None and export.argmax_agreement >= 0.9
    lite = ImageClassifier.load(export.tflite_path)
    probabilities = lite.predict_arrays(data.test.images)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_int8_needs_data_to_calibrate_on(tiny_run, tmp_path):
    result, _, _ = tiny_run
    with pytest.raises(ConfigError, match="int8 export needs check_data"):
        export_tflite(result.model_path, tmp_path / "x.tflite", quantize="int8")


def test_another_default_policy_needs_data_to_calibrate_it(tiny_run, tmp_path):
    result, _, _ = tiny_run
    with pytest.raises(ConfigError, match="calibrated for the views 'flip\\+shift' only"):
        export_tflite(result.model_path, tmp_path / "x.tflite", views="flip")
    with pytest.raises(ConfigError, match="views must be one of single, flip, flip\\+shift"):
        export_tflite(result.model_path, tmp_path / "x.tflite", views="mirror")
    assert not (tmp_path / "x.tflite").exists()


def test_evaluate_reports_progress_and_scores_any_calibrated_policy(exported):
    export, result, data = exported
    calls: list[tuple[int, int]] = []
    flip = evaluate(
        export.tflite_path, data, views="flip", batch_size=64, progress=lambda *a: calls.append(a)
    )
    total = len(data.test)

    assert calls[-1] == (total, total) and len(calls) == -(-total // 64)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert flip.views == "averaged over the image and its mirror" and flip.n_images == total
    # The chunks run on several threads; their answers must land on their own images.
    classifier = ImageClassifier.load(export.tflite_path, views="flip")
    assert classifier.class_names == data.class_names
    predicted = classifier.predict_arrays(data.test.images).argmax(axis=1)
    expected = np.zeros_like(flip.confusion)
    np.add.at(expected, (data.test.labels, predicted), 1)
    np.testing.assert_array_equal(flip.confusion, expected)
    with pytest.raises(ConfigError, match=r"applies to exported \.tflite models"):
        evaluate(result.model_path, data, views="flip")

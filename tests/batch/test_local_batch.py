"""The local backend's batched path gives what one-by-one calls give, on real photos."""

from __future__ import annotations

import dataclasses

import pytest

from visionkit.backends.local import LocalAnalyzer
from visionkit.batch import analyze_many
from visionkit.errors import InvalidImageError, ModelError


def same(a, b):
    return dataclasses.replace(a, elapsed_s=None) == dataclasses.replace(b, elapsed_s=None)


@pytest.fixture
def photos(cifar10_dir, chelsea_png, rocket_jpg):
    return [chelsea_png, rocket_jpg, *sorted((cifar10_dir / "test" / "ship").glob("*.jpg"))[:10]]


def test_pixel_features_batched_equal_single_calls(photos):
    analyzer = LocalAnalyzer()
    features = ["colors", "image_type", "metadata"]
    batched = analyzer.analyze_batch(photos, features)
    assert all(same(b, analyzer.analyze(p, features)) for b, p in zip(batched, photos, strict=True))
    analyzer.close()


def test_a_broken_file_fails_alone_inside_a_batch(photos, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(photos[2].read_bytes()[:100])
    analyzer = LocalAnalyzer()
    outcomes = analyzer.analyze_batch([photos[0], broken, photos[1]], ["colors"])
    assert isinstance(outcomes[1], InvalidImageError) and str(broken) in str(outcomes[1])
    assert outcomes[0].colors is not None and outcomes[2].colors is not None
    analyzer.close()


def test_without_a_model_every_tag_request_fails_with_the_model_error(photos, tmp_path):
    analyzer = LocalAnalyzer(model=tmp_path / "missing.tflite")
    outcomes = analyzer.analyze_batch(photos[:3], ["tags", "colors"])
    assert all(isinstance(o, ModelError) for o in outcomes)
    analyzer.close()


def test_analyze_many_streams_a_folder_through_the_local_backend(photos):
    run = analyze_many(iter(photos), ["colors", "metadata"], backend="local", batch_size=5)
    items = list(run)
    assert [it.input for it in items] == photos
    assert all(it.ok and it.result.metadata.width > 0 for it in items)
    assert run.stats.done == len(photos) and run.stats.requests == 0


def test_tags_batched_equal_tags_one_by_one(photos):
    from visionkit.api import get_analyzer

    analyzer = get_analyzer("local")  # the configured model (VISIONKIT_MODEL), else the shipped one
    batched = analyzer.analyze_batch(photos, ["tags"])
    for result, photo in zip(batched, photos, strict=True):
        single = analyzer.analyze(photo, ["tags"])
        assert [t.name for t in result.tags] == [t.name for t in single.tags]
        for a, b in zip(result.tags, single.tags, strict=True):
            assert a.confidence == pytest.approx(b.confidence, abs=1e-4)


class _MeanColourModel:
    """A stand-in CNN: class scores from the mean of each colour channel, so that batching
    mistakes (rows swapped, images dropped) change the answer."""

    calls: list[int]

    def __init__(self):
        self.calls = []

    def __call__(self, batch):
        import numpy as np

        self.calls.append(len(batch))
        means = batch.mean(axis=(1, 2))
        scores = np.exp((means - means.mean(axis=1, keepdims=True)) / 20)
        return (scores / scores.sum(axis=1, keepdims=True)).astype("float32")


def test_one_stacked_model_call_per_batch_with_rows_in_the_right_place(photos, tmp_path):
    from visionkit.backends.local.classifier import ImageClassifier

    model = _MeanColourModel()
    classifier = ImageClassifier(
        model, class_names=("red", "green", "blue"), image_size=32, path=tmp_path, version="t"
    )
    analyzer = LocalAnalyzer(top_k=3, derived_tags=False, min_confidence=0.0)
    analyzer._classifier = classifier
    batched = analyzer.analyze_batch(photos, ["tags"])
    assert model.calls == [len(photos)]
    for result, photo in zip(batched, photos, strict=True):
        single = analyzer.analyze(photo, ["tags"])
        assert [(t.name, pytest.approx(t.confidence)) for t in single.tags] == [
            (t.name, t.confidence) for t in result.tags
        ]
    analyzer.close()


class _PathReturningInt:
    """An os.PathLike whose __fspath__ returns an int (issue 13: it cost a batch everything)."""

    def __fspath__(self):
        return 42


class _PathThatRaises:
    def __fspath__(self):
        raise RuntimeError("the path is gone")


def test_hostile_inputs_fail_alone_and_the_batch_keeps_every_other_result(photos):
    import os

    os.PathLike.register(_PathReturningInt)
    os.PathLike.register(_PathThatRaises)
    released = memoryview(b"released")
    released.release()
    hostile = [_PathReturningInt(), _PathThatRaises(), released, object(), None]
    inputs = [photos[0], *hostile, photos[1]]
    for cache in (False, True):
        run = analyze_many(inputs, ["tags", "colors"], backend="local", cache=cache)
        items = list(run)
        assert [item.index for item in items] == list(range(len(inputs)))
        assert items[0].ok and items[-1].ok
        assert items[0].result.top_tag.name == "cat"
        assert all(item.error is not None for item in items[1:-1])
        assert run.stats.done == 2 and run.stats.failed == len(hostile)
        assert all(label for label, _ in run.stats.failures)  # every input could be named

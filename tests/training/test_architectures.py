"""The architecture registry, the whitening initialisation and the class-name head."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from visionkit.backends.local.keras_model import ClassifierHead, head_of  # noqa: E402
from visionkit.backends.local.views import FLIP, FLIP_SHIFT  # noqa: E402
from visionkit.errors import ConfigError  # noqa: E402
from visionkit.training.architectures import (  # noqa: E402
    build_model,
    get_architecture,
    whitening_kernel,
)

MODELS = Path(__file__).resolve().parents[2] / "visionkit" / "models"

NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def test_tutorial_is_the_classic_keras_cifar10_cnn():
    model = build_model(get_architecture("tutorial"), NAMES, [128.0] * 3, [64.0] * 3)

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [(c.filters, c.padding) for c in convs] == [
        (32, "same"),
        (32, "valid"),
        (64, "same"),
        (64, "valid"),
    ]
    dropouts = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert dropouts == [0.25, 0.25, 0.5]
    # the published example's parameter count (the normaliser and head add none trainable)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 1_250_858


def test_unknown_architecture_lists_the_choices():
    with pytest.raises(ConfigError, match="airbench94, default, small, tutorial"):
        get_architecture("resnet1000")


def test_default_is_the_architecture_the_shipped_model_was_trained_with():
    shipped = json.loads((MODELS / "cifar10-default.card.json").read_text())

    assert get_architecture("default").name == shipped["architecture"]["name"]


def test_whitening_kernel_decorrelates_patches(small_cifar_images):
    images = (small_cifar_images.astype(np.float32) - 120.0) / 60.0
    kernel = whitening_kernel(images, eps=1e-6)

    windows = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2))
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12)
    responses = patches @ kernel.reshape(12, 24)[:, :12]
    covariance = responses.T @ responses / len(responses)

    np.testing.assert_allclose(covariance, np.eye(12), atol=1e-2)
    np.testing.assert_allclose(kernel[..., 12:], -kernel[..., :12])


def test_class_names_temperature_and_views_survive_save_and_load(tmp_path):
    model = build_model(get_architecture("small"), NAMES, [128.0] * 3, [64.0] * 3)
    head_of(model).set_temperature(0.5)
    head_of(model).set_views(FLIP_SHIFT)
    path = tmp_path / "m.keras"
    model.save(path)

    loaded = keras.saving.load_model(path, compile=False)

    assert head_of(loaded).class_names == NAMES
    assert head_of(loaded).views is FLIP_SHIFT
    assert float(np.asarray(head_of(loaded).temperature)) == pytest.approx(0.5)
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_a_head_saved_before_views_were_recorded_is_flip_averaged():
    config = ClassifierHead(NAMES).get_config()
    del config["views"]

    assert ClassifierHead.from_config(config).views is FLIP


def test_head_rejects_bad_class_names():
    with pytest.raises(ValueError, match="distinct"):
        ClassifierHead(["cat", "cat"])

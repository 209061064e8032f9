"""Load a visionkit ``.keras`` file: the custom head it needs, the loader, the head lookup.

Inference owns this module, training imports it (never the reverse): the
``.keras`` fallback of :class:`~visionkit.backends.local.classifier.ImageClassifier`
must load a model fresh out of ``visionkit train`` without importing
:mod:`visionkit.training`. Importing it imports Keras (and so TensorFlow), which
is why the classifier imports it only when handed a ``.keras`` path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from visionkit.backends.local.views import LEGACY_POLICY, ViewPolicy, get_policy
from visionkit.errors import ModelError

PACKAGE = "visionkit"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClassifierHead(keras.layers.Layer):  # type: ignore[misc]
    """Logits in, calibrated probabilities out; carries the class names in the saved file.

    The class names live in the layer config, so a model trained on someone's
    own folders is self-describing: whoever loads the file gets the labels
    without a side file that could go missing or drift. The temperature is a
    weight (and mirrored in the config) because it is fitted *after*
    training, on held-out images, and must be settable without rebuilding
    the graph. It always computes in float32: a bfloat16 softmax rounds
    confidences to about two decimal digits. ``views`` names the test-time
    augmentation the temperature was fitted for (see
    :mod:`visionkit.backends.local.views`); files saved before it existed
    were flip-averaged, which is what a missing entry means.
    """

    def __init__(
        self,
        class_names: Sequence[str],
        temperature: float = 1.0,
        views: str = LEGACY_POLICY.name,
        **kwargs: Any,
    ) -> None:
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        if len(class_names) < 2 or len(set(class_names)) != len(class_names):
            raise ValueError(f"need at least two distinct class names, got {list(class_names)}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.class_names = tuple(str(n) for n in class_names)
        self._initial_temperature = float(temperature)
        self.views: ViewPolicy = get_policy(views)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if input_shape[-1] != len(self.class_names):
            raise ValueError(f"{len(self.class_names)} class names for {input_shape[-1]} logits")
        self.temperature = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self._initial_temperature),
            trainable=False,
            name="temperature",
        )

    def call(self, logits: Any) -> Any:
        logits = keras.ops.cast(logits, "float32")
        return keras.ops.softmax(logits / self.temperature, axis=-1)

    def set_temperature(self, value: float) -> None:
        """Set the calibration temperature (> 0; 1 means uncalibrated)."""
        if not value > 0:
            raise ValueError(f"temperature must be positive, got {value}")
        self.temperature.assign(float(value))

    def set_views(self, policy: ViewPolicy) -> None:
        """Record the test-time augmentation the temperature is (about to be) fitted for."""
        self.views = get_policy(policy.name)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        current = (
            float(keras.ops.convert_to_numpy(self.temperature))
            if self.built
            else self._initial_temperature
        )
        config.update(
            class_names=list(self.class_names), temperature=current, views=self.views.name
        )
        return config


def head_of(model: keras.Model) -> ClassifierHead:
    """Return the model's :class:`ClassifierHead` (its last layer), or raise ``TypeError``."""
    head = model.layers[-1]
    if not isinstance(head, ClassifierHead):
        raise TypeError(
            f"model {model.name!r} does not end in a visionkit ClassifierHead "
            f"(last layer: {type(head).__name__}); it was not trained by visionkit"
        )
    return head


def logits_model(model: keras.Model) -> keras.Model:
    """Return a model sharing ``model``'s layers that outputs the logits before the head.

    Calibration and test-time augmentation need logits, not the saved probabilities.
    """
    head = head_of(model)
    return keras.Model(model.inputs, head.input, name=f"{model.name}_logits")


def load_keras_model(path: str | os.PathLike[str]) -> Any:
    """Load a visionkit ``.keras`` file, turning every failure into a :class:`ModelError`."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(
            f"Model file {p} does not exist. Train one with visionkit.training.train()."
        )
    try:
        return keras.saving.load_model(p, compile=False)
    except Exception as exc:  # Keras raises ValueError, OSError, zipfile errors, ...
        raise ModelError(
            f"{p} is not a loadable Keras model ({type(exc).__name__}: {exc}). "
            "Retrain it, or pass the path of a .keras file written by visionkit."
        ) from exc

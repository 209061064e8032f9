"""The registry of trainable networks, each with the recipe it is meant to be trained with.

An architecture is a network body *and* its training recipe, because the
recipe is most of what makes a fast CIFAR-10 net accurate: the same
``airbench94`` layers trained with the ``tutorial`` recipe land several points lower.

* ``tutorial``: the classic Keras CIFAR-10 example CNN (Adam, cross-entropy),
  kept unchanged as the baseline every other number is compared with.
* ``airbench94``: a Keras port of Keller Jordan's airbench94 (2024): three
  conv-pool-BN-GELU groups of widths 64/256/256 behind a 2x2 whitening
  convolution, Nesterov SGD with a triangular learning-rate schedule,
  64x learning rate on BatchNorm biases, label smoothing 0.2, lookahead, and
  identity ("dirac") initialisation. It reaches 94% on the original CIFAR-10
  in ~10 epochs on a GPU; two CPU cores train its 10 epochs in under two hours.
  ``default`` is another name for it: the shipped model was trained with it.
* ``small``: the same network and recipe at widths 32/128/128, 3.6x fewer
  multiply-adds, for 20 epochs: about 75 minutes on two cores, for 0.8 points
  less; see ``docs/training.md``.

Every model takes raw float32 pixels in 0..255 and normalises them itself, so
no caller can forget or mis-order the normalisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import keras
import numpy as np
from numpy.typing import NDArray

from visionkit.backends.local.keras_model import ClassifierHead
from visionkit.errors import ConfigError

WHITEN_LAYER = "whiten"


@dataclass(frozen=True)
class Recipe:
    """How an architecture is trained. Learning rates are per step on the batch-mean loss.

    ``weight_decay`` is coupled L2, as in PyTorch's SGD: ``weight_decay /
    learning_rate`` times each weight is added to its gradient, so at the peak
    rate a step removes ``weight_decay`` of the weight before momentum, and
    momentum carries (and amplifies, ~1/(1-momentum)) the decay like any other
    gradient. airbench94's weight decay is tuned for exactly this form.
    ``bias_lr_scale`` multiplies the learning rate of BatchNorm shifts only.
    ``schedule`` ``"triangle"`` rises linearly from ``start_factor`` to 1 over
    ``warmup_fraction`` of the steps, then falls linearly to ``end_factor``.
    """

    epochs: int
    batch_size: int
    optimizer: Literal["adam", "nesterov"]
    learning_rate: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    bias_lr_scale: float = 1.0
    label_smoothing: float = 0.0
    translate: int = 4
    schedule: Literal["constant", "triangle"] = "constant"
    warmup_fraction: float = 0.0
    start_factor: float = 1.0
    end_factor: float = 1.0
    lookahead: bool = False
    whiten_bias_epochs: int | None = None
    mixed_precision: bool = True


Initialiser = Callable[[keras.Model, NDArray[np.uint8], np.random.Generator], None]


@dataclass(frozen=True)
class Architecture:
    """A network body (normalised pixels -> logits), its recipe and its data-aware init."""

    name: str
    summary: str
    body: Callable[[Any, int, str], Any]
    recipe: Recipe
    initialise: Initialiser = field(default=lambda model, images, rng: None)


def build_model(
    arch: Architecture,
    class_names: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    *,
    image_size: int = 32,
    mixed_precision: bool = False,
) -> keras.Model:
    """Build ``arch`` as a model from raw pixels (0..255) to class probabilities.

    ``mean``/``std`` are per-channel statistics of the training pixels on the
    0..255 scale. With ``mixed_precision`` the convolutions compute in bfloat16
    (the CPU has bf16 units: about 1.8x the float32 matmul rate) while weights,
    normalisation, logits and softmax stay float32.
    """
    policy = "mixed_bfloat16" if mixed_precision else "float32"
    inputs = keras.Input((image_size, image_size, 3), dtype="float32", name="pixels")
    x = keras.layers.Normalization(
        mean=list(mean),
        variance=[s * s for s in std],
        dtype="float32",
        name="normalize",
    )(inputs)
    logits = arch.body(x, len(class_names), policy)
    probs = ClassifierHead(class_names, name="head")(logits)
    return keras.Model(inputs, probs, name=f"visionkit_{arch.name}")


def _tutorial_body(x: Any, num_classes: int, policy: str) -> Any:
    layers = keras.layers
    for width in (32, 64):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", dtype=policy)(x)
        x = layers.Conv2D(width, 3, activation="relu", dtype=policy)(x)
        x = layers.MaxPooling2D(2, dtype=policy)(x)
        x = layers.Dropout(0.25, dtype=policy)(x)
    x = layers.Flatten(dtype=policy)(x)
    x = layers.Dense(512, activation="relu", dtype=policy)(x)
    x = layers.Dropout(0.5, dtype=policy)(x)
    return layers.Dense(num_classes, dtype="float32", name="logits")(x)


def _airbench_body(
    x: Any, num_classes: int, policy: str, widths: tuple[int, int, int] = (64, 256, 256)
) -> Any:
    layers = keras.layers
    # 24 = 2 x (3 channels x 2 x 2 pixels): the whitening filters and their negatives,
    # so the following GELU sees both signs of every decorrelated direction.
    x = layers.Conv2D(24, 2, use_bias=True, name=WHITEN_LAYER, dtype=policy)(x)
    x = layers.Activation("gelu", dtype=policy)(x)
    for i, width in enumerate(widths, start=1):
        x = layers.Conv2D(
            width, 3, padding="same", use_bias=False, name=f"g{i}_conv1", dtype=policy
        )(x)
        x = layers.MaxPooling2D(2, dtype=policy)(x)
        x = _batchnorm(f"g{i}_bn1", policy)(x)
        x = layers.Activation("gelu", dtype=policy)(x)
        x = layers.Conv2D(
            width, 3, padding="same", use_bias=False, name=f"g{i}_conv2", dtype=policy
        )(x)
        x = _batchnorm(f"g{i}_bn2", policy)(x)
        x = layers.Activation("gelu", dtype=policy)(x)
    x = layers.MaxPooling2D(3, dtype=policy)(x)
    x = layers.Flatten(dtype=policy)(x)
    x = layers.Dense(num_classes, use_bias=False, dtype="float32", name="classifier")(x)
    # The 1/9 output scale keeps early logits small, so label smoothing and the
    # large learning rate do not saturate the softmax in the first steps.
    return layers.Rescaling(1 / 9, dtype="float32", name="logits")(x)


def _batchnorm(name: str, policy: str) -> Any:
    # Keras momentum is the weight of the old statistic (PyTorch's 0.6 -> 0.4).
    # No learnable scale: with the following GELU and the next BN it is redundant.
    return keras.layers.BatchNormalization(
        momentum=0.4, epsilon=1e-12, scale=False, name=name, dtype=policy
    )


def _airbench_initialise(
    model: keras.Model, images: NDArray[np.uint8], rng: np.random.Generator
) -> None:
    """Whitening first layer, identity-plus-noise convs, PyTorch-scale classifier init.

    The whitening conv makes 2x2 patches decorrelated with unit variance from
    the first step, which the airbench ablations found worth ~40% of the
    epochs. Dirac initialisation makes each conv start close to passing its
    input through, so the deep stack trains like a shallow one at first.
    """
    normalise = model.get_layer("normalize")
    mean = np.asarray(normalise.mean, np.float32).reshape(3)
    std = np.sqrt(np.asarray(normalise.variance, np.float32)).reshape(3)
    sample = images[rng.permutation(len(images))[:5000]].astype(np.float32)
    whiten = model.get_layer(WHITEN_LAYER)
    whiten.kernel.assign(whitening_kernel((sample - mean) / std, eps=5e-4))
    whiten.bias.assign(np.zeros(whiten.bias.shape, np.float32))
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and layer.name != WHITEN_LAYER:
            kh, kw, cin, cout = layer.kernel.shape
            bound = 1.0 / np.sqrt(kh * kw * cin)
            kernel = rng.uniform(-bound, bound, size=(kh, kw, cin, cout)).astype(np.float32)
            n_identity = min(cin, cout)
            kernel[:, :, :, :n_identity] = 0.0
            kernel[kh // 2, kw // 2, np.arange(n_identity), np.arange(n_identity)] = 1.0
            layer.kernel.assign(kernel)
    classifier = model.get_layer("classifier")
    fan_in = classifier.kernel.shape[0]
    bound = 1.0 / np.sqrt(fan_in)
    classifier.kernel.assign(
        rng.uniform(-bound, bound, size=classifier.kernel.shape).astype(np.float32)
    )


def whitening_kernel(images: NDArray[np.floating], eps: float) -> NDArray[np.float32]:
    """Return a ``(2, 2, 3, 24)`` kernel whose first 12 filters whiten 2x2 patches.

    The filters are the eigenvectors of the (uncentred) patch covariance, each
    divided by the square root of its eigenvalue, in decreasing order; the
    other 12 are their negatives.
    """
    windows = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2))
    # (N, H-1, W-1, C, 2, 2) -> patches in the kernel's (kh, kw, c) order
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12).astype(np.float64)
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    filters = eigenvectors[:, order].T / np.sqrt(eigenvalues[order] + eps)[:, None]
    both = np.concatenate([filters, -filters])  # (24, 12)
    return both.reshape(24, 2, 2, 3).transpose(1, 2, 3, 0).astype(np.float32)


_AIRBENCH_RECIPE = Recipe(
    epochs=10,
    batch_size=1024,
    optimizer="nesterov",
    # airbench94: lr 11.5 and wd 0.0153 per 1024 examples with momentum 0.85,
    # on a summed loss; converted to a per-step rate on the mean loss.
    learning_rate=11.5 / (1 + 1 / (1 - 0.85)),
    momentum=0.85,
    weight_decay=0.0153 / (1 + 1 / (1 - 0.85)),
    bias_lr_scale=64.0,
    label_smoothing=0.2,
    translate=2,
    schedule="triangle",
    warmup_fraction=0.23,
    start_factor=0.2,
    end_factor=0.07,
    lookahead=True,
    whiten_bias_epochs=3,
    mixed_precision=False,
)

ARCHITECTURES: dict[str, Architecture] = {
    "tutorial": Architecture(
        name="tutorial",
        summary="Classic Keras CIFAR-10 example CNN (2x[conv-conv-pool-dropout], dense 512)",
        body=_tutorial_body,
        recipe=Recipe(
            epochs=10,
            batch_size=64,
            optimizer="adam",
            learning_rate=1e-3,
            translate=4,
            mixed_precision=False,
        ),
    ),
    # The published airbench94 widths: 118M multiply-adds per image. Its 10
    # epochs took 6,488 s here and scored 90.43% as shipped (docs/training.md).
    "airbench94": Architecture(
        name="airbench94",
        summary="airbench94 port: whitening conv + 3 conv groups (64/256/256), BN, GELU",
        body=_airbench_body,
        initialise=_airbench_initialise,
        recipe=_AIRBENCH_RECIPE,
    ),
    # Until 2026-11-29 this was `default`. 3.6x fewer multiply-adds (33M); its
    # 20 epochs (it gained 1.5 points from 10 to 20) take 4,445 s here and
    # reach 89.65% (docs/training.md).
    "small": Architecture(
        name="small",
        summary="airbench94 recipe, narrower: whitening conv + 3 conv groups (32/128/128)",
        body=partial(_airbench_body, widths=(32, 128, 128)),
        initialise=_airbench_initialise,
        recipe=replace(_AIRBENCH_RECIPE, epochs=20),
    ),
}

# `default` names whichever architecture the shipped model was trained with, so
# `visionkit train --arch default` reproduces it and its card names the real one.
ALIASES: dict[str, str] = {"default": "airbench94"}


def get_architecture(name: str) -> Architecture:
    """Return the registered architecture ``name`` (or alias) or raise :class:`ConfigError`."""
    try:
        return ARCHITECTURES[ALIASES.get(name, name)]
    except KeyError:
        choices = ", ".join(sorted([*ARCHITECTURES, *ALIASES]))
        raise ConfigError(f"Unknown architecture {name!r}; choose one of {choices}.") from None

"""Optimiser, learning-rate schedule and lookahead for the training loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from visionkit.training.architectures import Recipe


@keras.saving.register_keras_serializable(package="visionkit")
class TriangleSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """Linear warm-up from ``start * peak`` to ``peak``, then linear decay to ``end * peak``.

    A short warm-up lets BatchNorm statistics settle before the large peak
    rate; decaying to near zero at the last step is what makes a short run
    converge instead of stopping mid-descent.
    """

    def __init__(
        self, peak: float, total_steps: int, warmup_fraction: float, start: float, end: float
    ) -> None:
        self.peak = peak
        self.total_steps = max(1, total_steps)
        self.warmup_steps = max(1, int(warmup_fraction * self.total_steps))
        self.start = start
        self.end = end

    def factor(self, step: Any) -> Any:
        """The schedule's multiplier of ``peak`` at ``step`` (a scalar tensor or number)."""
        step = keras.ops.cast(step, "float32")
        up = self.start + (1.0 - self.start) * step / self.warmup_steps
        down_frac = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        down = 1.0 + (self.end - 1.0) * keras.ops.minimum(down_frac, 1.0)
        return keras.ops.where(step < self.warmup_steps, up, down)

    def __call__(self, step: Any) -> Any:
        return self.peak * self.factor(step)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_steps / self.total_steps,
            "start": self.start,
            "end": self.end,
        }


def make_optimizer(recipe: Recipe, total_steps: int, batch_size: int) -> keras.optimizers.Optimizer:
    """Build the recipe's optimiser for ``total_steps`` steps of ``batch_size`` images.

    For SGD the recipe's rates are for its own batch size and are scaled
    linearly when the batch differs (e.g. a dataset smaller than one batch),
    which keeps the per-image step size constant.
    """
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=recipe.learning_rate)
    scale = batch_size / recipe.batch_size
    peak = recipe.learning_rate * scale
    lr: Any = peak
    if recipe.schedule == "triangle":
        lr = TriangleSchedule(
            peak, total_steps, recipe.warmup_fraction, recipe.start_factor, recipe.end_factor
        )
    # No Keras weight_decay: that is decoupled and bypasses momentum, ~7x weaker
    # at momentum 0.85 than the coupled decay the recipe was tuned with; the
    # training step adds it to the gradients instead (coupled_decay below).
    return keras.optimizers.SGD(learning_rate=lr, momentum=recipe.momentum, nesterov=True)


def coupled_decay(recipe: Recipe) -> float:
    """The L2 coefficient the training step adds (times each weight) to its gradient.

    Dividing by the recipe's learning rate makes the decay per step, before
    momentum, ``weight_decay`` at the peak and proportional to the schedule,
    as PyTorch's ``SGD(lr=lr, weight_decay=wd / lr)`` does in airbench. When
    :func:`make_optimizer` scales the rate for a smaller batch, the decay per
    step scales with it, as airbench's decay per 1024 examples does. Adam
    recipes take no weight decay here.
    """
    if recipe.optimizer == "adam" or not recipe.weight_decay:
        return 0.0
    return recipe.weight_decay / recipe.learning_rate


def adjust_gradients(
    grads: Sequence[Any], variables: Sequence[Any], scales: Sequence[float], decay: float
) -> list[Any]:
    """Scale each gradient by its variable's learning-rate multiplier, then add the decay.

    Scaling a gradient is scaling that variable's SGD step. The decay is added
    after the scaling, so a BatchNorm shift's 64x rate does not also make its
    decay 64x: as in airbench, whose shifts get ``weight_decay = wd / lr_biases``.
    """
    scaled = [g * s if s != 1.0 else g for g, s in zip(grads, scales, strict=True)]
    if not decay:
        return scaled
    return [g + decay * v for g, v in zip(scaled, variables, strict=True)]


class Lookahead:
    """Lookahead with a growing pull (airbench's EMA variant) over all float model state.

    Every ``every`` steps the slow copy moves towards the fast weights by
    ``1 - decay`` and the fast weights are reset to it. ``decay`` grows with
    the cube of training progress up to ``0.95 ** every``: no averaging early,
    when the weights move fast, and heavy averaging late, when they jitter
    around a minimum. BatchNorm statistics are averaged too, so they match the
    averaged weights.
    """

    def __init__(self, variables: Sequence[Any], total_steps: int, every: int = 5) -> None:
        self.every = every
        self.total_steps = max(1, total_steps)
        self._variables = [v for v in variables if v.dtype in ("float32", tf.float32)]
        self.slow = [tf.Variable(tf.convert_to_tensor(v), trainable=False) for v in self._variables]

        @tf.function  # type: ignore[untyped-decorator]
        def _update(decay: tf.Tensor) -> None:
            for slow, fast in zip(self.slow, self._variables, strict=True):
                slow.assign(slow + (1.0 - decay) * (tf.convert_to_tensor(fast) - slow))
                fast.assign(slow)

        self._update = _update

    def after_step(self, step: int) -> None:
        """Call after optimiser step number ``step`` (1-based)."""
        if step % self.every == 0:
            decay = 0.95**self.every * (step / self.total_steps) ** 3
            self._update(tf.constant(decay, tf.float32))

    def finish(self) -> None:
        """Leave the model holding the slow weights (call once, after the last step)."""
        self._update(tf.constant(1.0, tf.float32))

    def state(self) -> list[np.ndarray[Any, Any]]:
        """The slow weights, for checkpoints."""
        return [s.numpy() for s in self.slow]

    def restore(self, arrays: Sequence[np.ndarray[Any, Any]]) -> None:
        """Restore slow weights saved by :meth:`state`."""
        for slow, value in zip(self.slow, arrays, strict=True):
            slow.assign(value)

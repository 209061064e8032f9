"""The optimiser must do what the recipe it ports was tuned with, step for step."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from visionkit.training.architectures import get_architecture  # noqa: E402
from visionkit.training.optim import (  # noqa: E402
    TriangleSchedule,
    adjust_gradients,
    coupled_decay,
    make_optimizer,
)

BATCH = 1024


def torch_sgd_reference(
    p: np.ndarray, grads: list[np.ndarray], lr: float, momentum: float, weight_decay: float
) -> np.ndarray:
    """``torch.optim.SGD(nesterov=True)`` as documented, in NumPy: decay joins the gradient."""
    buf = np.zeros_like(p)
    for g in grads:
        d_p = g + weight_decay * p
        buf = momentum * buf + d_p
        p = p - lr * (d_p + momentum * buf)
    return p


def keras_steps(recipe, start: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    """Apply ``grads`` (batch-mean) to ``start`` as the training step does: decay, then SGD."""
    optimizer = make_optimizer(recipe, total_steps=len(grads), batch_size=BATCH)
    variable = keras.Variable(start.astype(np.float32))
    optimizer.build([variable])
    for g in grads:
        step = adjust_gradients([g.astype(np.float32)], [variable], [1.0], coupled_decay(recipe))
        optimizer.apply(step, [variable])
    return np.asarray(variable)


def test_decay_goes_through_momentum_as_in_airbench() -> None:
    """airbench94: SGD(lr=lr, weight_decay=wd/lr) on a loss summed over the batch.

    The port steps on the batch-mean loss, so its rate is ``lr * batch``; the
    weights must still end where PyTorch's would, decay and momentum included.
    """
    recipe = replace(get_architecture("default").recipe, schedule="constant")
    rng = np.random.default_rng(0)
    start = rng.normal(size=(4, 3)).astype(np.float64)
    mean_grads = [rng.normal(scale=0.01, size=start.shape) for _ in range(30)]

    lr_torch = recipe.learning_rate / BATCH
    expected = torch_sgd_reference(
        start,
        [g * BATCH for g in mean_grads],
        lr=lr_torch,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay / lr_torch,
    )

    np.testing.assert_allclose(
        keras_steps(recipe, start, mean_grads), expected, rtol=1e-4, atol=1e-6
    )


def test_momentum_multiplies_the_decay() -> None:
    """With no gradient, 30 steps shrink a weight far more than 30 decoupled decays would.

    Decoupled decay (Keras' ``weight_decay``) would remove 0.2% per step, 6%
    in all; through momentum 0.85 the decay compounds to ~1/(1-0.85) that rate.
    """
    recipe = replace(get_architecture("default").recipe, schedule="constant")
    weights = keras_steps(recipe, np.ones(3), [np.zeros(3)] * 30)
    decoupled = (1 - recipe.weight_decay) ** 30
    assert decoupled == pytest.approx(0.94, abs=0.01)
    assert float(weights[0]) < 0.75


def test_a_scaled_rate_leaves_the_decay_alone() -> None:
    grad, weight = np.float32(1.0), np.float32(2.0)
    (scaled,) = adjust_gradients([grad], [weight], [64.0], decay=0.5)
    assert scaled == pytest.approx(64.0 * 1.0 + 0.5 * 2.0)
    (plain,) = adjust_gradients([grad], [weight], [1.0], decay=0.0)
    assert plain == grad


def test_adam_recipes_take_no_coupled_decay() -> None:
    assert coupled_decay(get_architecture("tutorial").recipe) == 0.0
    recipe = get_architecture("default").recipe
    assert coupled_decay(recipe) == pytest.approx(recipe.weight_decay / recipe.learning_rate)


def test_triangle_schedule_rises_then_falls_to_its_end_factor() -> None:
    schedule = TriangleSchedule(1.5, total_steps=100, warmup_fraction=0.23, start=0.2, end=0.07)
    values = [float(schedule(step)) for step in (0, 23, 100, 200)]
    assert values == pytest.approx([0.3, 1.5, 0.105, 0.105])

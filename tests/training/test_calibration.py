"""Temperature scaling: recovers a known temperature, improves ECE, keeps predictions."""

from __future__ import annotations

import numpy as np

from visionkit.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    softmax,
    view_average,
)


def _overconfident(n: int, true_temperature: float, seed: int = 0):
    """Logits whose labels are drawn from softmax(logits / T): T is the right answer."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=(n, 10))
    p = softmax(logits, true_temperature)
    labels = np.array([rng.choice(10, p=row) for row in p])
    return logits, labels


def test_fitted_temperature_recovers_the_true_one():
    logits, labels = _overconfident(4000, true_temperature=2.5)

    fitted = fit_temperature(logits[None], labels)

    assert abs(fitted - 2.5) / 2.5 < 0.1


def test_calibration_lowers_ece_and_never_changes_the_prediction():
    logits, labels = _overconfident(4000, true_temperature=2.5, seed=1)
    views = np.stack([logits, logits + np.random.default_rng(2).normal(0, 0.5, logits.shape)])
    t = fit_temperature(views[:, :2000], labels[:2000])

    before = view_average(views[:, 2000:])
    after = view_average(views[:, 2000:], t)

    assert expected_calibration_error(after, labels[2000:]) < 0.5 * expected_calibration_error(
        before, labels[2000:]
    )
    np.testing.assert_array_equal(softmax(logits, t).argmax(1), softmax(logits).argmax(1))


def test_ece_is_zero_for_perfectly_calibrated_confidences():
    probs = np.tile([0.75, 0.25], (8, 1))
    labels = np.array([0, 0, 0, 1] * 2)  # right exactly 75% of the time

    assert expected_calibration_error(probs, labels) == 0.0


def test_weighted_views_count_by_their_weight():
    logits = np.log(np.array([[[0.9, 0.1]], [[0.5, 0.5]], [[0.1, 0.9]]]))

    probs = view_average(logits, 1.0, np.array([0.5, 0.25, 0.25]))

    np.testing.assert_allclose(probs, [[0.6, 0.4]])
    np.testing.assert_allclose(view_average(logits), [[0.5, 0.5]])

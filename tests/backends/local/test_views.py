"""Test-time views: exact pixels of every view, weights, and the policy registry."""

from __future__ import annotations

import numpy as np
import pytest

from visionkit.backends.local.views import FLIP, FLIP_SHIFT, POLICIES, SINGLE, get_policy


@pytest.fixture
def batch(chelsea_png):
    from PIL import Image

    from visionkit.backends.local.classifier import to_model_input

    with Image.open(chelsea_png) as photo:
        cat = to_model_input(photo, 32)
    return np.stack([cat, 255.0 - cat])


def test_flip_is_the_image_and_its_mirror(batch):
    plain, mirrored = FLIP.views(batch)

    np.testing.assert_array_equal(plain, batch)
    np.testing.assert_array_equal(mirrored, batch[:, :, ::-1])
    np.testing.assert_allclose(FLIP.view_weights, [0.5, 0.5])


def test_single_is_the_image_alone_in_one_pass(batch):
    (only,) = SINGLE.views(batch)

    np.testing.assert_array_equal(only, batch)
    assert only.dtype == np.float32 and SINGLE.count == 1
    np.testing.assert_allclose(SINGLE.view_weights, [1.0])
    # the first view of every policy, so a cached (views, N, C) stack serves it too
    for policy in POLICIES.values():
        np.testing.assert_array_equal(policy.views(batch)[0], only)


def test_shifted_views_move_the_content_and_reflect_the_border(batch):
    views = FLIP_SHIFT.views(batch)
    down_right, up_left = views[2], views[4]

    assert len(views) == 6
    assert all(v.shape == batch.shape and v.dtype == np.float32 for v in views)
    np.testing.assert_array_equal(views[0], batch)
    np.testing.assert_array_equal(down_right[:, 1:, 1:], batch[:, :-1, :-1])
    np.testing.assert_array_equal(up_left[:, :-1, :-1], batch[:, 1:, 1:])
    # the uncovered top row is the reflection of row 1 (no edge repeat), as in training
    np.testing.assert_array_equal(down_right[:, 0, 1:], batch[:, 1, :-1])
    np.testing.assert_array_equal(views[3], down_right[:, :, ::-1])


def test_weights_follow_airbench_and_sum_to_one():
    np.testing.assert_allclose(FLIP_SHIFT.view_weights, [0.25, 0.25, 0.125, 0.125, 0.125, 0.125])
    for policy in POLICIES.values():
        assert policy.view_weights.sum() == pytest.approx(1.0)


def test_combine_is_the_weighted_mean_of_the_views():
    probs = np.stack([np.full((3, 2), v) for v in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)])

    combined = FLIP_SHIFT.combine(probs)

    expected = 0.25 * (0 + 1) + 0.125 * (2 + 3 + 4 + 5)
    np.testing.assert_allclose(combined, np.full((3, 2), expected))
    with pytest.raises(ValueError, match="expected 2 views"):
        FLIP.combine(probs)


def test_unknown_policy_names_the_known_ones():
    assert get_policy("flip+shift") is FLIP_SHIFT
    with pytest.raises(ValueError, match="single, flip, flip\\+shift"):
        get_policy("mirror")


def test_the_cli_offers_exactly_the_known_policies():
    from visionkit.cli import VIEW_POLICIES

    assert tuple(POLICIES) == VIEW_POLICIES

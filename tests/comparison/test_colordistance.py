"""CIEDE2000 against the reference pairs published with the formula."""

import pytest

from visionkit.comparison.colordistance import ciede2000, delta_e, parse_hex, srgb_to_lab

# Sharma, Wu and Dalal (2005), Table 1: (Lab 1, Lab 2, ΔE00).
SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_srgb_white_and_black_are_the_ends_of_lightness():
    assert srgb_to_lab((255, 255, 255)) == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert srgb_to_lab((0, 0, 0)) == pytest.approx((0.0, 0.0, 0.0), abs=0.01)


def test_hex_colours_one_step_apart_are_nearly_identical():
    assert delta_e("#873B59", "873B5A") < 1
    assert delta_e("#FF0000", "#0000FF") > 50


def test_a_malformed_colour_is_refused():
    with pytest.raises(ValueError, match="Not a #RRGGBB colour"):
        parse_hex("#12345")

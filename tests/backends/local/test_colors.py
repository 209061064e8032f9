"""Rule-based colour scheme: the rules' building blocks, and agreement with real Azure answers."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from visionkit.backends.local.colors import (
    COLOR_NAMES,
    REFERENCE_COLORS,
    analyze_colors,
    name_pixels,
    srgb_to_lab,
    working_array,
)
from visionkit.images import load_image

skimage_data = pytest.importorskip("skimage.data")
skimage_color = pytest.importorskip("skimage.color")

SAMPLES = "images/cognitive-services-sample-data-files"


def _name(rgb: tuple[int, int, int]) -> str:
    return COLOR_NAMES[int(name_pixels(srgb_to_lab(np.array([rgb], np.uint8)))[0])]


def _delta_e(hex_a: str, hex_b: str) -> float:
    a, b = (np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.uint8) for h in (hex_a, hex_b))
    return float(np.linalg.norm(srgb_to_lab(a) - srgb_to_lab(b)))


def test_lab_conversion_matches_scikit_image():
    rgb = skimage_data.astronaut()[::8, ::8]
    assert np.allclose(srgb_to_lab(rgb), skimage_color.rgb2lab(rgb), atol=0.05)


def test_every_reference_shade_gets_its_own_name():
    for name, shades in REFERENCE_COLORS.items():
        for shade in shades:
            assert _name(shade) == name, shade
    assert set(REFERENCE_COLORS) == set(COLOR_NAMES)


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((255, 0, 0), "red"),
        ((0, 0, 128), "blue"),
        ((135, 206, 235), "blue"),  # sky blue
        ((34, 139, 34), "green"),  # forest green
        ((107, 142, 35), "green"),  # olive drab: foliage
        ((0, 128, 128), "teal"),
        ((255, 215, 0), "yellow"),  # gold
        ((255, 165, 0), "orange"),
        ((139, 69, 19), "brown"),  # saddle brown
        ((255, 192, 203), "pink"),
        ((128, 0, 128), "purple"),
        ((245, 245, 245), "white"),
        ((128, 128, 128), "gray"),
        ((20, 20, 20), "black"),
    ],
)
def test_everyday_colours_get_the_name_a_person_would_give(rgb, expected):
    assert _name(rgb) == expected


def test_working_copy_is_small_and_keeps_the_aspect_ratio():
    array = working_array(Image.fromarray(skimage_data.coffee()))  # 600x400
    assert array.shape == (128, 192, 3)  # WORK_SIDE on the long side
    assert array.dtype == np.uint8


def test_border_is_background_and_centre_is_foreground():
    # A blue poster in the middle of a white wall: the rule the docs describe.
    canvas = Image.new("RGB", (400, 300), (250, 250, 250))
    ImageDraw.Draw(canvas).rectangle((100, 75, 299, 224), fill=(30, 60, 200))
    scheme = analyze_colors(canvas)
    assert scheme.dominant_foreground == "blue"
    assert scheme.dominant_background == "white"
    assert set(scheme.dominant_colors) == {"white", "blue"}
    assert _name(_rgb(scheme.accent_color)) == "blue"


def _rgb(hex_color: str | None) -> tuple[int, int, int]:
    assert hex_color is not None
    assert re.fullmatch(r"#[0-9A-F]{6}", hex_color)
    return (int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16))


@pytest.mark.parametrize("name", ["camera", "page", "moon"])
def test_grey_images_are_black_and_white(name):
    scheme = analyze_colors(Image.fromarray(getattr(skimage_data, name)()).convert("RGB"))
    assert scheme.is_black_and_white
    assert set(scheme.dominant_colors) <= {"black", "gray", "white"}
    r, g, b = _rgb(scheme.accent_color)
    assert r == g == b  # nothing colourful to pick


def test_grey_photo_stays_black_and_white_through_jpeg_colour_noise():
    buffer = io.BytesIO()
    Image.fromarray(skimage_data.camera()).convert("RGB").save(buffer, "JPEG", quality=60)
    assert analyze_colors(load_image(buffer.getvalue()).pixels).is_black_and_white


@pytest.mark.parametrize("name", ["chelsea", "coffee", "astronaut", "rocket"])
def test_colour_photos_are_not_black_and_white(name):
    scheme = analyze_colors(Image.fromarray(getattr(skimage_data, name)()))
    assert not scheme.is_black_and_white
    assert scheme.dominant_foreground in scheme.dominant_colors
    assert scheme.dominant_background in scheme.dominant_colors
    assert set(scheme.dominant_colors) <= set(COLOR_NAMES)


def test_shaki_waterfall_matches_azures_published_answer(azure_fixtures_dir):
    """The one real Azure Color response whose image we have (docs quickstart, v2.0)."""
    pair = (
        azure_fixtures_dir
        / "pairs"
        / "docs-quickstart"
        / "javascript-analyze__Shaki_waterfall.json"
    )
    azure = json.loads(pair.read_text())["color"]

    def ours(name: str) -> str:  # Azure capitalises and spells it "Grey"
        return name.lower().replace("grey", "gray")

    scheme = analyze_colors(
        load_image(azure_fixtures_dir / "images" / "third-party" / "Shaki_waterfall.jpg").pixels
    )

    assert scheme.dominant_foreground == ours(azure["dominantColorForeground"])
    assert scheme.dominant_background == ours(azure["dominantColorBackground"])
    assert scheme.dominant_colors == tuple(ours(c) for c in azure["dominantColors"])
    assert scheme.is_black_and_white is azure["isBwImg"]
    # Same olive hue; ours is a shade lighter (measured CIE76 Delta E 3.8,
    # where about 2.3 is a just-noticeable difference).
    assert _delta_e(scheme.accent_color.lstrip("#"), azure["accentColor"]) < 6.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("filename", "foreground", "accent_name"),
    [("cheese_clipart.png", "yellow", "yellow"), ("type-image.jpg", "yellow", "yellow")],
)
def test_clip_art_on_white(azure_fixtures_dir, filename, foreground, accent_name):
    scheme = analyze_colors(load_image(azure_fixtures_dir / SAMPLES / filename).pixels)
    assert scheme.dominant_background == "white"
    assert scheme.dominant_foreground == foreground
    assert _name(_rgb(scheme.accent_color)) == accent_name
    assert not scheme.is_black_and_white


def test_red_stamp_accent_is_red(azure_fixtures_dir):
    loaded = load_image(azure_fixtures_dir / "images" / "dotnet-sdk-testimages" / "achtung.jpg")
    scheme = analyze_colors(loaded.pixels)
    assert scheme.dominant_foreground == "red"
    assert _name(_rgb(scheme.accent_color)) == "red"


def test_lion_line_drawing_is_black_and_white(azure_fixtures_dir):
    scheme = analyze_colors(load_image(azure_fixtures_dir / SAMPLES / "lion_drawing.png").pixels)
    assert scheme.is_black_and_white
    assert scheme.dominant_background == "white"


def test_tiny_and_thin_images_do_not_break_the_regions():
    for size in ((1, 1), (1, 40), (40, 1), (3, 2)):
        scheme = analyze_colors(Image.new("RGB", size, (200, 30, 30)))
        assert scheme.dominant_foreground == scheme.dominant_background == "red"
        assert scheme.dominant_colors == ("red",)


def test_result_is_deterministic():
    img = Image.fromarray(skimage_data.coffee())
    assert analyze_colors(img) == analyze_colors(img.copy())

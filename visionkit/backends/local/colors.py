"""Colour summary of an image by fixed rules over its pixels (no trained model).

This reproduces the *meaning* of Azure Computer Vision's Color feature so that
local and cloud results can be compared field by field, but it is a
hand-written heuristic, not a copy of Azure's (unpublished) model. Every
threshold below is a documented choice; ``docs/local-pixel-analysis.md`` lists
the rules, how they were calibrated against real Azure answers, and where they
disagree.

The rules, in order:

1. Work on a copy downscaled to at most :data:`WORK_SIDE` pixels per side with
   an antialiasing filter. Colour proportions survive downscaling; JPEG noise
   and sensor grain mostly do not, and the cost stops depending on the photo.
2. Convert to CIELAB (own NumPy code, sRGB with a D65 white). Lab distances
   follow perceived differences far better than RGB distances, and chroma
   (distance from the grey axis) is a direct "how colourful" measure.
3. Name every pixel with one of Azure's twelve colour names. Pixels whose
   chroma is below :data:`ACHROMATIC_CHROMA` are black, gray or white by
   lightness alone; the others take the name of the nearest hand-set reference
   colour (:data:`REFERENCE_COLORS`, several shades per name so that olive is
   green and tan is brown). Names are lowercase; Azure capitalises them
   ("Grey", "Brown") and spells gray with an "e": mappers normalise theirs.
4. Background is the most common name in the border band (the outer
   :data:`BORDER_FRACTION` of each side), foreground the most common name in
   the central box (the middle half of each side). Photographers frame
   subjects in the middle and scenery reaches the edges, which is the
   distinction Azure's two fields draw.
5. Dominant colours are the foreground and background names plus every other
   name covering at least :data:`DOMINANT_SHARE` of the image, most common first.
6. The accent colour is the most vivid frequent colour: among pixels with
   chroma of at least :data:`ACCENT_MIN_CHROMA`, each chromatic name scores its
   pixel share times its mean chroma, and the median RGB of the winner's
   pixels is reported as ``"#RRGGBB"``. The median rather than the most
   saturated pixels, because Azure's accents are representative, often dark
   shades (olive ``4D5E2F`` for a waterfall in green hills, not a bright
   green). Images without such pixels report their median colour, as Azure
   always answers with some colour.
7. The image is black and white when at most :data:`BW_MAX_COLOURFUL_SHARE` of
   its pixels reach :data:`BW_CHROMA` of chroma.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.backends.local.working import WORK_SIDE, WorkingCopy, srgb_to_lab, working_array
from visionkit.results import COLOR_NAMES, ColorScheme

ACHROMATIC_CHROMA: Final = 10.0
"""Lab chroma below which a pixel is black, gray or white (about a just-visible tint)."""

BLACK_MAX_L: Final = 25.0
"""Achromatic pixels darker than this L* are black (sRGB grey ~60)."""

WHITE_MIN_L: Final = 82.0
"""Achromatic pixels lighter than this L* are white (sRGB grey ~205); between is gray."""

BORDER_FRACTION: Final = 0.125
"""Width of the background band, as a fraction of each side."""

DOMINANT_SHARE: Final = 0.15
"""Share of the image a colour name needs to be listed as dominant."""

ACCENT_MIN_CHROMA: Final = 20.0
"""Chroma a pixel needs to take part in the accent colour (a clearly coloured pixel)."""

BW_CHROMA: Final = 12.0
"""Chroma that counts a pixel as coloured for the black-and-white test."""

BW_MAX_COLOURFUL_SHARE: Final = 0.01
"""Share of coloured pixels still tolerated in a black-and-white image (JPEG bleed, dust)."""


ACHROMATIC_NAMES: Final = frozenset({"black", "gray", "white"})

REFERENCE_COLORS: Final[dict[str, tuple[tuple[int, int, int], ...]]] = {
    # Hand-set sRGB shades per name: a typical, a dark and a light or muted
    # variant, so that everyday colours (foliage, skin, sky, wood) land on the
    # name a person would give them rather than on the nearest pure primary.
    "black": ((0, 0, 0), (35, 35, 40)),
    "gray": ((128, 128, 128), (90, 92, 95), (170, 170, 165)),
    "white": ((255, 255, 255), (230, 230, 225)),
    "red": ((220, 20, 30), (160, 20, 30), (230, 70, 60)),
    "orange": ((255, 140, 0), (235, 115, 35), (250, 175, 90)),
    "yellow": ((255, 220, 0), (240, 230, 90), (215, 185, 30)),
    "green": ((0, 150, 0), (60, 140, 60), (85, 107, 47), (30, 80, 30), (140, 200, 110)),
    "teal": ((0, 128, 128), (60, 170, 165), (0, 85, 90)),
    "blue": ((30, 60, 200), (70, 130, 220), (20, 30, 110), (130, 175, 225)),
    "purple": ((128, 0, 128), (105, 60, 160), (165, 120, 205)),
    "pink": ((255, 150, 190), (225, 80, 145), (245, 195, 205)),
    "brown": ((139, 69, 19), (150, 100, 60), (90, 55, 30), (185, 140, 95)),
}

_NAME_INDEX = {name: i for i, name in enumerate(COLOR_NAMES)}
_ACHROMATIC_INDEX = [_NAME_INDEX[name] for name in sorted(ACHROMATIC_NAMES)]
_REF_NAMES = np.array(
    [_NAME_INDEX[name] for name, shades in REFERENCE_COLORS.items() for _ in shades]
)
_REF_LAB = srgb_to_lab(
    np.array([shade for shades in REFERENCE_COLORS.values() for shade in shades], dtype=np.uint8)
)
_REF_LAB_32 = _REF_LAB.astype(np.float32)
# |x - r|^2 = |x|^2 - 2 x.r + |r|^2, and |x|^2 is the same for every r: the nearest
# reference is the argmin of [x, 1] @ [[-2 r], [|r|^2]], one matrix product.
_NEAREST = np.vstack([-2.0 * _REF_LAB_32.T, (_REF_LAB_32**2).sum(axis=1)[None, :]]).astype(
    np.float32
)
_CHUNK = 1024
"""Pixels per product. Small enough that OpenBLAS runs it on the calling thread
(it threads a product above 4 x 65,536 multiply-adds): threaded, these small
products took ten times as long whenever the other core was busy, as it is in a
batch. The distance block (1024 x references) also stays in the L1/L2 cache."""


def name_pixels(
    lab: NDArray[np.floating[Any]], chroma: NDArray[np.floating[Any]] | None = None
) -> NDArray[np.intp]:
    """Index into :data:`COLOR_NAMES` for every Lab pixel (rule 3 of the module doc).

    Only chromatic pixels need the nearest reference colour (the others are named
    by lightness), and those are searched in float32: half the memory traffic of
    the distance matrix, which is most of this function's cost, for differences
    far below a just-visible step. ``chroma``, when the caller has it (a
    :class:`WorkingCopy` does), saves computing it again.
    """
    flat = lab.reshape(-1, 3)
    lightness = flat[:, 0]
    chroma = np.hypot(flat[:, 1], flat[:, 2]) if chroma is None else chroma.reshape(-1)
    names = np.where(
        lightness < BLACK_MAX_L,
        _NAME_INDEX["black"],
        np.where(lightness < WHITE_MIN_L, _NAME_INDEX["gray"], _NAME_INDEX["white"]),
    )
    chromatic = np.flatnonzero(chroma >= ACHROMATIC_CHROMA)
    if chromatic.size:
        pixels = np.ones((chromatic.size, 4), np.float32)
        pixels[:, :3] = flat[chromatic]
        nearest = np.empty(chromatic.size, np.intp)
        for start in range(0, chromatic.size, _CHUNK):
            block = pixels[start : start + _CHUNK] @ _NEAREST
            nearest[start : start + _CHUNK] = block.argmin(axis=1)
        names[chromatic] = _REF_NAMES[nearest]
    return names.reshape(lab.shape[:-1])


def _most_common(names: NDArray[np.intp]) -> str:
    counts = np.bincount(names.ravel(), minlength=len(COLOR_NAMES))
    return COLOR_NAMES[int(np.argmax(counts))]


def _centre_and_border(height: int, width: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Masks of the central box (middle half of each side) and the border band."""
    rows, cols = np.ogrid[:height, :width]
    centre = (
        (rows >= height // 4)
        & (rows < height - height // 4)
        & (cols >= width // 4)
        & (cols < width - width // 4)
    )
    band_h = max(1, round(height * BORDER_FRACTION))
    band_w = max(1, round(width * BORDER_FRACTION))
    border = (
        (rows < band_h) | (rows >= height - band_h) | (cols < band_w) | (cols >= width - band_w)
    )
    return centre, border


def _hex(rgb: NDArray[np.float64]) -> str:
    r, g, b = (int(v) for v in np.clip(np.rint(rgb), 0, 255))
    return f"#{r:02X}{g:02X}{b:02X}"


def _accent(work: WorkingCopy, names: NDArray[np.intp]) -> str:
    """The median colour of the vivid pixels of the name with the most chroma in all.

    A name's score is its share of the image times its vivid pixels' mean chroma,
    which is their summed chroma over the pixel count: one weighted ``bincount``
    instead of a mask per name.
    """
    flat_rgb = work.rgb.reshape(-1, 3)
    chroma = work.chroma.ravel()
    flat_names = names.ravel()
    vivid = chroma >= ACCENT_MIN_CHROMA
    vivid_names = flat_names[vivid]
    totals = np.bincount(vivid_names, weights=chroma[vivid], minlength=len(COLOR_NAMES))
    totals[_ACHROMATIC_INDEX] = 0.0
    best_name = int(np.argmax(totals))
    if totals[best_name] <= 0.0:
        return _hex(np.median(flat_rgb, axis=0))
    return _hex(np.median(flat_rgb[vivid & (flat_names == best_name)], axis=0))


def analyze_colors(img: Image.Image | WorkingCopy) -> ColorScheme:
    """Dominant colours, accent colour and black-and-white flag of ``img``, by rule.

    A heuristic with Azure's field meanings (see the module docstring for each
    rule); expect it to agree with Azure on clear cases (a green landscape, a
    grey photo) and to differ on subtle ones (what counts as "foreground",
    pale tints, mixed lighting).
    """
    work = img if isinstance(img, WorkingCopy) else WorkingCopy.of(img)
    names = name_pixels(work.lab, work.chroma)
    centre, border = _centre_and_border(*names.shape)

    foreground = _most_common(names[centre])
    background = _most_common(names[border])
    counts = np.bincount(names.ravel(), minlength=len(COLOR_NAMES))
    shares = counts / counts.sum()
    listed = {foreground, background}
    listed.update(COLOR_NAMES[i] for i in np.flatnonzero(shares >= DOMINANT_SHARE))
    dominant = tuple(sorted(listed, key=lambda name: -shares[_NAME_INDEX[name]]))

    colourful_share = float((work.chroma >= BW_CHROMA).mean())

    return ColorScheme(
        dominant_foreground=foreground,
        dominant_background=background,
        dominant_colors=dominant,
        accent_color=_accent(work, names),
        is_black_and_white=colourful_share <= BW_MAX_COLOURFUL_SHARE,
    )


__all__ = [
    "COLOR_NAMES",
    "REFERENCE_COLORS",
    "WORK_SIDE",
    "WorkingCopy",
    "analyze_colors",
    "name_pixels",
    "srgb_to_lab",
    "working_array",
]

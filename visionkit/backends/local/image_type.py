"""Clip-art and line-drawing scores by fixed rules over the pixels (no trained model).

Azure scores clip art 0 (not) to 3 (good clip art) and line drawings 0/1 with
a trained classifier. This module gives the same two numbers from a handful of
measurable properties, so the local backend can answer offline. It is a
heuristic: it encodes what drawn images usually look like, and it is wrong
whenever a photo looks drawn or a drawing looks photographed (see
``docs/local-pixel-analysis.md`` for measured agreement and failure cases).

What the rules measure, on a copy at most 192 px per side
(:class:`~visionkit.backends.local.working.WorkingCopy`):

* **Texture**: the share of lit pixels (L* >= :data:`LIT_MIN_L`) whose largest
  RGB step to the right or lower neighbour is a *small* one, between
  :data:`TEXTURE_STEP` levels. Photos are full of such gentle variation
  (grain, shading, foliage); drawings are flat regions separated by sharp
  edges, so their steps are either ~0 or large. Deep shadows are left out
  because dark photo regions are flat too and would pass for drawn.
* **Palette size**: how many 5-bit-per-channel colours it takes to cover
  :data:`PALETTE_COVERAGE` of the pixels. Drawings use a few flat colours;
  photos need hundreds.
* **Paper, ink, colour**: the shares of near-white pixels, dark "ink" pixels
  and clearly coloured pixels, for the line-drawing test.

Rules:

* ``clip_art`` = 0 when either measure looks photographic (texture above
  :data:`CLIP_ART_MAX_TEXTURE` or palette above :data:`CLIP_ART_MAX_PALETTE`);
  1 (ambiguous) when either is in the band just below those limits; otherwise
  3 for a coloured image and 2 for a colourless one. Azure rated its own
  line-drawing example (a black-outline lion) 2 and its colour clip-art
  example (a cheese) 3, which is what the colour split reproduces.
* ``line_drawing`` = 1 when the image is mostly paper (at least
  :data:`LINE_MIN_PAPER` near-white), has some but not much ink
  (:data:`LINE_INK_RANGE`), almost no colour or mid-tone fills, the ink is
  thin strokes (most ink pixels lie within 2 px of paper, which rejects
  silhouettes), and the ink rows are not separated by blank rows the way lines
  of text are.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from visionkit.backends.local.working import WorkingCopy
from visionkit.results import ImageType

LIT_MIN_L: Final = 20.0
"""Pixels darker than this L* are left out of the texture measure."""

TEXTURE_STEP: Final = (3, 24)
"""Inclusive range of RGB steps (0-255) that count as gentle, photographic variation."""

PALETTE_COVERAGE: Final = 0.90
"""Share of pixels the palette must cover."""

CLIP_ART_MAX_TEXTURE: Final = 0.35
CLIP_ART_CLEAR_TEXTURE: Final = 0.30
CLIP_ART_MAX_PALETTE: Final = 64
CLIP_ART_CLEAR_PALETTE: Final = 40
"""Above the MAX values: photo (0). Between CLEAR and MAX: ambiguous (1)."""

COLOURFUL_CHROMA: Final = 15.0
"""Lab chroma that makes a pixel clearly coloured."""

COLOURED_MIN_SHARE: Final = 0.05
"""Share of coloured pixels that makes a drawing 'coloured' (clip art 3 rather than 2)."""

PAPER_MIN_L: Final = 88.0
INK_MAX_L: Final = 50.0
LINE_MIN_PAPER: Final = 0.5
LINE_INK_RANGE: Final = (0.01, 0.35)
LINE_MAX_MIDTONE: Final = 0.15
LINE_MAX_COLOURFUL: Final = 0.02
LINE_MIN_INK_NEAR_PAPER: Final = 0.6
LINE_MAX_BLANK_ROWS: Final = 0.2
"""Line-drawing thresholds; see the module docstring for what each bounds."""


def _texture(rgb: NDArray[np.uint8], lightness: NDArray[np.floating[Any]]) -> float:
    # Written for speed on uint8 (|a - b| as max - min, the channel maximum as two
    # np.maximum calls rather than a reduction over a 3-long axis): 0.1 against
    # 1.3 ms on a 192 x 128 copy, the same value to the last bit.
    right, here, below = rgb[:-1, 1:], rgb[:-1, :-1], rgb[1:, :-1]
    step3 = np.maximum(
        np.maximum(right, here) - np.minimum(right, here),
        np.maximum(below, here) - np.minimum(below, here),
    )
    step = np.maximum(np.maximum(step3[..., 0], step3[..., 1]), step3[..., 2])
    lit = lightness[:-1, :-1] >= LIT_MIN_L
    lit_count = np.count_nonzero(lit)
    if lit_count < 0.05 * lit.size or step.size == 0:
        return 1.0  # almost all shadow (or one pixel wide): no evidence of drawing
    low, high = TEXTURE_STEP
    gentle = (step >= low) & (step <= high) & lit
    return float(np.count_nonzero(gentle) / lit_count)


def _palette_size(rgb: NDArray[np.uint8]) -> int:
    q = (rgb >> 3).reshape(-1, 3).astype(np.intp)
    counts = np.bincount((q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2])
    counts = np.sort(counts[counts > 0])[::-1]  # only the colours present: a shorter sort
    covered = np.cumsum(counts) / counts.sum()
    return int(np.searchsorted(covered, PALETTE_COVERAGE) + 1)


def _dilate(mask: NDArray[np.bool_], radius: int) -> NDArray[np.bool_]:
    """Binary dilation by a square, from shifted views (no SciPy dependency).

    Padding with ``False`` (rather than ``np.roll``) keeps paper on one edge of
    the image from counting as next to ink on the opposite edge.
    """
    height, width = mask.shape
    padded = np.pad(mask, radius)
    out = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= padded[dy : dy + height, dx : dx + width]
    return out


def _is_line_drawing(
    lightness: NDArray[np.floating[Any]], chroma: NDArray[np.floating[Any]]
) -> bool:
    paper = (lightness >= PAPER_MIN_L) & (chroma < 10.0)
    ink = lightness < INK_MAX_L
    paper_share = float(paper.mean())
    ink_share = float(ink.mean())
    midtone_share = 1.0 - paper_share - ink_share
    colourful_share = float((chroma >= COLOURFUL_CHROMA).mean())
    low, high = LINE_INK_RANGE
    if (
        paper_share < LINE_MIN_PAPER
        or not low <= ink_share <= high
        or midtone_share > LINE_MAX_MIDTONE
        or colourful_share > LINE_MAX_COLOURFUL
    ):
        return False
    near_paper = float((ink & _dilate(paper, 2)).sum() / ink.sum())
    if near_paper < LINE_MIN_INK_NEAR_PAPER:
        return False  # solid shapes (silhouettes), not strokes
    row_has_ink = np.any(ink, axis=1)
    ink_rows = np.flatnonzero(row_has_ink)
    span = row_has_ink[ink_rows[0] : ink_rows[-1] + 1]
    blank_rows = 1.0 - float(span.mean())
    return blank_rows <= LINE_MAX_BLANK_ROWS  # text leaves blank rows between lines


def classify_image_type(img: Image.Image | WorkingCopy) -> ImageType:
    """Azure-style clip-art (0-3) and line-drawing (0/1) scores of ``img``, by rule.

    A heuristic, not a classifier: see the module docstring for the rules.
    Known failures: flat, low-detail photos (a studio product shot on white, a
    clear-sky photo, a low-contrast grey texture) can rate as clip art;
    screenshots and scanned text rate as clip art 2 because they are flat and
    colourless, and a single line of big black lettering passes as a line
    drawing; shaded or painted drawings rate as photos.
    """
    work = img if isinstance(img, WorkingCopy) else WorkingCopy.of(img)
    lightness = work.lab[..., 0]
    chroma = work.chroma
    texture = _texture(work.rgb, lightness)
    palette = _palette_size(work.rgb)
    if texture > CLIP_ART_MAX_TEXTURE or palette > CLIP_ART_MAX_PALETTE:
        clip_art = 0
    elif texture > CLIP_ART_CLEAR_TEXTURE or palette > CLIP_ART_CLEAR_PALETTE:
        clip_art = 1
    elif float((chroma >= COLOURFUL_CHROMA).mean()) >= COLOURED_MIN_SHARE:
        clip_art = 3
    else:
        clip_art = 2

    line_drawing = clip_art > 0 and _is_line_drawing(lightness, chroma)
    return ImageType(clip_art=clip_art, line_drawing=int(line_drawing))


__all__ = ["classify_image_type"]

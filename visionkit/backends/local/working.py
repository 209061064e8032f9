"""The small copy of an image that the colour and image-type rules both read.

Both rule sets work on the same at-most-256-pixel copy in CIELAB, so it is made
once per image (:class:`WorkingCopy`) instead of once per feature: at photo
sizes the resize and the Lab conversion are most of what either rule costs.
"""

from __future__ import annotations

from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

WORK_SIDE: Final = 256
"""Longest side of the working copy, in pixels."""

_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_LEVELS = np.arange(256, dtype=np.float64) / 255.0
_LINEAR: Final = np.where(_LEVELS <= 0.04045, _LEVELS / 12.92, ((_LEVELS + 0.055) / 1.055) ** 2.4)
"""sRGB's transfer curve for each 8-bit level: a table lookup instead of a power per pixel."""


def srgb_to_lab(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    """CIELAB (D65) of 8-bit sRGB values; any leading shape, last axis of 3.

    Written out rather than imported so the local backend needs only NumPy and
    Pillow; ``tests/backends/local/test_colors.py`` checks it against
    scikit-image.
    """
    linear = _LINEAR[np.asarray(rgb, np.uint8)]
    xyz = (linear @ _SRGB_TO_XYZ.T) / _WHITE_D65
    delta = 6.0 / 29.0
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4.0 / 29.0)
    lab: NDArray[np.float64] = np.empty_like(f, dtype=np.float64)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def working_array(img: Image.Image, side: int = WORK_SIDE) -> NDArray[np.uint8]:
    """``img`` as an RGB ``uint8`` array no larger than ``side`` on its longest edge.

    Lanczos with ``reducing_gap`` first box-shrinks by an integer factor (fast)
    and then filters properly, so a 12-megapixel photo costs milliseconds and
    fine texture averages out instead of aliasing into false colours.
    """
    work = img if img.mode == "RGB" else img.convert("RGB")
    if max(work.size) > side:
        scale = side / max(work.size)
        size = (max(1, round(work.width * scale)), max(1, round(work.height * scale)))
        work = work.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(work, dtype=np.uint8)


class WorkingCopy:
    """An image's working copy in RGB, with its Lab values and chroma computed on first use."""

    def __init__(self, rgb: NDArray[np.uint8]) -> None:
        self.rgb = rgb

    @classmethod
    def of(cls, img: Image.Image) -> WorkingCopy:
        return cls(working_array(img))

    @cached_property
    def lab(self) -> NDArray[np.float64]:
        return srgb_to_lab(self.rgb)

    @cached_property
    def chroma(self) -> NDArray[np.float64]:
        """Distance from the grey axis in Lab: how colourful each pixel is."""
        return np.hypot(self.lab[..., 1], self.lab[..., 2])


__all__ = ["WORK_SIDE", "WorkingCopy", "srgb_to_lab", "working_array"]

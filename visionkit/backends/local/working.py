"""The small copy of an image that the colour and image-type rules both read.

Both rule sets work on the same at-most-192-pixel copy in CIELAB, so it is made
once per image (:class:`WorkingCopy`) instead of once per feature: at photo
sizes the resize and the Lab conversion are most of what either rule costs.
"""

from __future__ import annotations

from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

WORK_SIDE: Final = 192
"""Longest side of the working copy, in pixels.

192 rather than the 256 it was: on 276 real photos, drawings and scans (the Azure
fixture images, STL-10's photos, scikit-image's) every colour answer stayed the same
but one background, and the image type of one photo of printed text went from 0 to 1
(ambiguous); ``analyze_many`` with every default feature ran 90-114 against 76-78
ordinary photos a second (the resize, the Lab conversion and both rule sets scale with
the pixel count: 37,000 against 65,000 for a 4:3 photo)."""

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


_LINEAR_32: Final = _LINEAR.astype(np.float32)
_TO_XYZ_32: Final = (_SRGB_TO_XYZ / _WHITE_D65[:, None]).T.astype(np.float32)
"""sRGB to XYZ relative to the D65 white, as one matrix on the right."""
_DELTA: Final = 6.0 / 29.0


def srgb_to_lab(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """CIELAB (D65) of 8-bit sRGB values; any leading shape, last axis of 3.

    Written out rather than imported so the local backend needs only NumPy and
    Pillow; ``tests/backends/local/test_colors.py`` checks it against
    scikit-image. Float32 throughout: within 1e-4 of float64 (a just-visible
    difference is about 1) at a third of the time, which at photo sizes is most
    of what the colour rules cost.
    """
    linear = np.take(_LINEAR_32, np.asarray(rgb, np.uint8))
    # Three broadcast multiply-adds rather than ``linear @ matrix``: a product
    # this shape goes to OpenBLAS's threads, which crawl when the other core
    # is busy (as in a batch), and gains nothing from them at k = 3.
    xyz = linear[..., 0:1] * _TO_XYZ_32[0]
    xyz += linear[..., 1:2] * _TO_XYZ_32[1]
    xyz += linear[..., 2:3] * _TO_XYZ_32[2]
    dark = xyz <= _DELTA**3  # the linear toe of the curve, for near-black values
    # exp(log(x) / 3) is NumPy's vectorised cube root (np.cbrt is not: six times
    # slower); it agrees with np.cbrt to 1 float32 ulp. The toe is overwritten below.
    with np.errstate(divide="ignore"):
        f = np.exp(np.log(xyz) * np.float32(1.0 / 3.0))
    if dark.any():
        f[dark] = xyz[dark] / (3 * _DELTA**2) + 4.0 / 29.0
    lab: NDArray[np.float32] = np.empty(f.shape, np.float32)
    fy = f[..., 1]
    lab[..., 0] = 116.0 * fy - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - fy)
    lab[..., 2] = 200.0 * (fy - f[..., 2])
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
    def lab(self) -> NDArray[np.float32]:
        return srgb_to_lab(self.rgb)

    @cached_property
    def chroma(self) -> NDArray[np.float32]:
        """Distance from the grey axis in Lab: how colourful each pixel is."""
        return np.hypot(self.lab[..., 1], self.lab[..., 2])


__all__ = ["WORK_SIDE", "WorkingCopy", "srgb_to_lab", "working_array"]

"""How different two colours look: CIEDE2000 between ``#RRGGBB`` strings.

Accent colours are free hex values, so equality would call #873B59 and #873B5A
a disagreement. Euclidean distance in RGB is no better: equal steps there are
very unequal to the eye. CIEDE2000 (Sharma, Wu and Dalal, "The CIEDE2000
Color-Difference Formula", 2005) is the CIE's current distance in CIELAB, where
about 1 is a just-noticeable difference. Pure Python: two colours per image do
not need NumPy.
"""

from __future__ import annotations

import math
import re

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")

# D65 white point, the reference of sRGB.
_WHITE = (0.95047, 1.0, 1.08883)


def parse_hex(color: str) -> tuple[int, int, int]:
    """``"#873B59"`` (or ``"873B59"``) -> ``(135, 59, 89)``; ``ValueError`` otherwise."""
    match = _HEX.match(color.strip())
    if match is None:
        raise ValueError(f"Not a #RRGGBB colour: {color!r}")
    value = match.group(1)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def srgb_to_lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """8-bit sRGB -> CIELAB (D65)."""

    def linear(c: int) -> float:
        v = c / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / _WHITE[0]
    y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / _WHITE[1]
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / _WHITE[2]

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def ciede2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """The CIEDE2000 colour difference (kL = kC = kH = 1)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    c_bar7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - math.sqrt(c_bar7 / (c_bar7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0

    dlp = l2 - l1
    dcp = c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    elif h2p - h1p > 180:
        dhp = h2p - h1p - 360
    else:
        dhp = h2p - h1p + 360
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))

    lp_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hp_bar = (h1p + h2p + 360) / 2
    else:
        hp_bar = (h1p + h2p - 360) / 2

    t = (
        1
        - 0.17 * math.cos(math.radians(hp_bar - 30))
        + 0.24 * math.cos(math.radians(2 * hp_bar))
        + 0.32 * math.cos(math.radians(3 * hp_bar + 6))
        - 0.20 * math.cos(math.radians(4 * hp_bar - 63))
    )
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    cp_bar7 = cp_bar**7
    r_c = 2 * math.sqrt(cp_bar7 / (cp_bar7 + 25**7))
    s_l = 1 + 0.015 * (lp_bar - 50) ** 2 / math.sqrt(20 + (lp_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (d_hp / s_h) ** 2 + r_t * (dcp / s_c) * (d_hp / s_h)
    )


def delta_e(first: str, second: str) -> float:
    """CIEDE2000 between two ``#RRGGBB`` colours."""
    return ciede2000(srgb_to_lab(parse_hex(first)), srgb_to_lab(parse_hex(second)))


__all__ = ["ciede2000", "delta_e", "parse_hex", "srgb_to_lab"]

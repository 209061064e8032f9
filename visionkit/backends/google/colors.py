"""Google's dominant colours (``imagePropertiesAnnotation``) as visionkit's colour summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from visionkit.backends.google.reading import dropped, get, list_of, number, unit
from visionkit.backends.local.colors import (
    ACCENT_MIN_CHROMA,
    BW_CHROMA,
    BW_MAX_COLOURFUL_SHARE,
    DOMINANT_SHARE,
    name_pixels,
    srgb_to_lab,
)
from visionkit.results import COLOR_NAMES, ColorScheme


def _channel(color: Any, key: str) -> float | None:
    value = number(get(color, key), 0.0)
    return None if value is None else min(max(value, 0.0), 255.0)


def colors(response: Mapping[str, Any]) -> ColorScheme:
    """``imagePropertiesAnnotation.dominantColors`` as visionkit's colour summary.

    Channels are 0-255 (whatever the ``google.type.Color`` doc says); each
    colour is named with the local backend's table (nearest reference in
    CIELAB, greys by lightness). Dominant colours are the names holding at
    least ``DOMINANT_SHARE`` of the summed ``score``, most first; the accent is
    the colour with the highest ``score x chroma`` among clearly coloured ones
    (else the top colour); black-and-white means at most
    ``BW_MAX_COLOURFUL_SHARE`` of the colours' ``pixelFraction`` is coloured.
    Google has no foreground/background split: both are ``None``.
    """
    rgb, scores, fractions = [], [], []
    props = get(response, "imagePropertiesAnnotation")
    for entry in list_of(get(props, "dominantColors"), "colors"):
        channels = [_channel(get(entry, "color"), k) for k in ("red", "green", "blue")]
        score = unit(get(entry, "score"))
        fraction = unit(get(entry, "pixelFraction"))
        if any(c is None for c in channels) or score is None:
            dropped("colour", entry)
            continue
        rgb.append([round(c or 0.0) for c in channels])
        scores.append(score)
        fractions.append(fraction or 0.0)
    if not rgb:
        return ColorScheme(None, None, (), None, False)
    pixels = np.array(rgb, dtype=np.uint8)
    lab = srgb_to_lab(pixels)
    names = [COLOR_NAMES[int(i)] for i in name_pixels(lab)]
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    weight = np.array(scores)

    per_name: dict[str, float] = {}
    for name, score in zip(names, scores, strict=True):
        per_name[name] = per_name.get(name, 0.0) + score
    total = sum(per_name.values()) or 1.0
    ranked = sorted(per_name, key=lambda n: -per_name[n])
    dominant = tuple(n for n in ranked if per_name[n] / total >= DOMINANT_SHARE) or tuple(
        ranked[:1]
    )

    vivid = chroma >= ACCENT_MIN_CHROMA
    pick = (
        int(np.argmax(np.where(vivid, weight * chroma, -1.0)))
        if vivid.any()
        else int(np.argmax(weight))
    )
    accent = "#{:02X}{:02X}{:02X}".format(*(int(v) for v in pixels[pick]))

    shares = np.array(fractions)
    covered = float(shares.sum())
    colourful = float(shares[chroma >= BW_CHROMA].sum())
    is_bw = covered > 0 and colourful / covered <= BW_MAX_COLOURFUL_SHARE
    return ColorScheme(None, None, dominant, accent, is_bw)


__all__ = ["colors"]

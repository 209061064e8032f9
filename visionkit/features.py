"""What a caller can ask an image about.

Features are named for what the user wants to know, never for a vendor's
operation, so that a new backend maps *its* API onto this list rather than the
other way round.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum

from visionkit.errors import ConfigError


class Feature(StrEnum):
    """One kind of information an analysis can return.

    The value is the name used in configuration, the CLI and JSON. It is also
    the name of the :class:`~visionkit.results.AnalysisResult` field that holds
    the answer, with one exception: ``caption`` asks for captions, which arrive
    in ``captions`` (a tuple; the ``caption`` property is the most confident).
    """

    TAGS = "tags"
    OBJECTS = "objects"
    CAPTION = "caption"
    COLORS = "colors"
    ADULT = "adult"
    IMAGE_TYPE = "image_type"
    FACES = "faces"
    TEXT = "text"
    METADATA = "metadata"
    BRANDS = "brands"
    CATEGORIES = "categories"
    CELEBRITIES = "celebrities"
    LANDMARKS = "landmarks"
    AREA_OF_INTEREST = "area_of_interest"
    """The box around the image's main subject (what a smart thumbnail keeps)."""

    @property
    def field(self) -> str:
        """The :class:`~visionkit.results.AnalysisResult` field that holds the answer."""
        return "captions" if self is Feature.CAPTION else self.value


FeatureLike = Feature | str
"""A feature given as the enum member or its name (``"tags"``, ``"TAGS"``)."""


def parse_feature(value: FeatureLike) -> Feature:
    """Turn a member or a name into a :class:`Feature`, suggesting a fix for typos."""
    if isinstance(value, Feature):
        return value
    if not isinstance(value, str):
        raise ConfigError(
            f"A feature must be a visionkit.Feature or its name, not {type(value).__name__}."
        )
    name = value.strip().lower().replace("-", "_")
    if name == "captions":  # the result attribute is plural; accept both
        name = "caption"
    try:
        return Feature(name)
    except ValueError:
        names = [f.value for f in Feature]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown feature {value!r}.{hint} Known features: {', '.join(names)}."
        ) from None


def parse_features(values: Iterable[FeatureLike] | FeatureLike | None) -> frozenset[Feature] | None:
    """Normalise a ``features`` argument; ``None`` stays ``None`` ("everything supported").

    A comma-separated string (``"tags,colors"``, as typed on the command line)
    is accepted too, so the API and the CLI read the same.
    """
    if values is None:
        return None
    if isinstance(values, Feature):
        return frozenset({values})
    if isinstance(values, str):
        values = [part for part in values.split(",") if part.strip()]
    parsed = frozenset(parse_feature(v) for v in values)
    if not parsed:
        raise ConfigError(
            "`features` is empty. Pass None (or leave it out) to ask for everything "
            "the backend supports, or name at least one feature."
        )
    return parsed


__all__ = ["Feature", "FeatureLike", "parse_feature", "parse_features"]

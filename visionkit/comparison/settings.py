"""The thresholds behind each agreement verdict, in one validated place.

A metric gives a number (a Jaccard index, a colour distance, an F1 score);
turning it into *agree* or *disagree* needs a threshold, and a threshold is a
judgement the user may not share. They live here, with their reasons, so that
the report can print what it used and configuration can change them::

    [compare]
    top_k = 5
    min_tag_confidence = 0.3
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from visionkit.comparison.crosswalk import Crosswalk
from visionkit.errors import ConfigError


@dataclass(frozen=True)
class CompareSettings:
    """Thresholds and the crosswalk a comparison uses; the defaults are design choices.

    Attributes:
        top_k: How many labels of each side count for top-k agreement.
        min_tag_confidence: Tags below this are left out of the tag overlap and
            the confidence gap. The local backend reports classes down to 5 %,
            which are its doubts, not its claims.
        tag_overlap_agree: Jaccard index at or above which tag sets agree.
        confidence_gap_agree: Largest mean confidence gap on shared labels
            that still counts as agreeing on how sure to be.
        accent_delta_e: Largest CIEDE2000 distance between accent colours that
            counts as the same colour (about 1 is a just-noticeable difference;
            10 accepts a different shade of the same colour).
        iou_threshold: Smallest intersection over union for two boxes to be the
            same object (the usual detection-benchmark choice).
        objects_agree: Smallest F1 of matched objects for the object lists to agree.
        faces_agree: Smallest F1 of matched face boxes (at ``iou_threshold``) for the
            face lists to agree.
        text_cer_agree: Largest character error rate between the two texts that
            still counts as reading the same thing (0.2: one character in five).
        text_lines_agree: Smallest share of the first side's lines the second
            matches (line polygons at ``iou_threshold``, or the same words).
        crosswalk: The label crosswalk (default table plus configured entries).
    """

    top_k: int = 3
    min_tag_confidence: float = 0.5
    tag_overlap_agree: float = 0.5
    confidence_gap_agree: float = 0.25
    accent_delta_e: float = 10.0
    iou_threshold: float = 0.5
    objects_agree: float = 0.5
    faces_agree: float = 0.5
    text_cer_agree: float = 0.2
    text_lines_agree: float = 0.5
    crosswalk: Crosswalk = field(default_factory=Crosswalk.default, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise ConfigError(f"compare.top_k must be a whole number >= 1, got {self.top_k!r}.")
        for name in (
            "min_tag_confidence",
            "tag_overlap_agree",
            "confidence_gap_agree",
            "iou_threshold",
            "objects_agree",
            "faces_agree",
            "text_cer_agree",
            "text_lines_agree",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"compare.{name} must be a number in [0, 1], got {value!r}.")
        if not isinstance(self.accent_delta_e, int | float) or self.accent_delta_e < 0:
            raise ConfigError(
                f"compare.accent_delta_e must be a distance >= 0, got {self.accent_delta_e!r}."
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "compare") -> CompareSettings:
        """Settings from a ``[compare]`` table; unknown keys are errors, as everywhere."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"Unknown key(s) {unknown} in {source}. Known: {', '.join(sorted(known))}."
            )
        values = {k: v for k, v in data.items() if k != "crosswalk"}
        table = data.get("crosswalk", {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}.crosswalk must be a table of concepts.")
        crosswalk = Crosswalk.default().extended(table, source=f"{source}.crosswalk")
        return cls(**values, crosswalk=crosswalk)

    def public_dict(self) -> dict[str, Any]:
        """The thresholds as plain values (for JSON and the report), crosswalk left out."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "crosswalk"
        }


def configured_settings() -> CompareSettings:
    """Settings from ``configure(compare=...)`` over the config file's ``[compare]`` table."""
    from visionkit.config import resolve_compare_table

    table, source = resolve_compare_table()
    return CompareSettings.from_mapping(table, source=source)


__all__ = ["CompareSettings", "configured_settings"]

"""Pure builders: which Rekognition operations a set of features needs, and their bodies.

Rekognition speaks AWS's JSON 1.1 protocol: every operation is a ``POST`` to
the region's one endpoint, named by the ``X-Amz-Target`` header, with a JSON
body. One image per call; each call is billed, so only the operations the
requested features need are built, and DetectLabels serves tags, objects,
categories and colours in one call (its ``GENERAL_LABELS`` and
``IMAGE_PROPERTIES`` features). Nothing here holds a credential: signing is
the last step before sending (:mod:`.signing`), so a :class:`RekognitionRequest`
can be printed safely, and its body (the image) is left out of the repr.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from visionkit.backends.aws.s3 import S3Object
from visionkit.features import Feature

TARGET_PREFIX = "RekognitionService"
CONTENT_TYPE = "application/x-amz-json-1.1"

DETECT_LABELS = "DetectLabels"
DETECT_FACES = "DetectFaces"
DETECT_TEXT = "DetectText"
DETECT_MODERATION_LABELS = "DetectModerationLabels"
RECOGNIZE_CELEBRITIES = "RecognizeCelebrities"

LABEL_FEATURES: Mapping[Feature, str] = {
    Feature.TAGS: "GENERAL_LABELS",
    Feature.OBJECTS: "GENERAL_LABELS",
    Feature.CATEGORIES: "GENERAL_LABELS",
    Feature.COLORS: "IMAGE_PROPERTIES",
}
"""visionkit feature -> the DetectLabels ``Features`` value that answers it."""

OPERATIONS: Mapping[Feature, str] = {
    **dict.fromkeys(LABEL_FEATURES, DETECT_LABELS),
    Feature.FACES: DETECT_FACES,
    Feature.TEXT: DETECT_TEXT,
    Feature.ADULT: DETECT_MODERATION_LABELS,
    Feature.CELEBRITIES: RECOGNIZE_CELEBRITIES,
}
"""visionkit feature -> the operation that answers it."""

CAPABILITIES: frozenset[Feature] = frozenset({*OPERATIONS, Feature.METADATA})
"""Everything the backend answers; METADATA is measured locally, at no call."""

_ORDER = (
    DETECT_LABELS,
    DETECT_MODERATION_LABELS,
    DETECT_FACES,
    DETECT_TEXT,
    RECOGNIZE_CELEBRITIES,
)


@dataclass(frozen=True, slots=True)
class LabelSettings:
    """DetectLabels parameters; ``None`` leaves the service default (0.55, 1000 labels)."""

    min_confidence: float | None = None
    max_labels: int | None = None
    max_dominant_colors: int = 10


@dataclass(frozen=True, slots=True)
class RekognitionRequest:
    """One unsigned call: ``POST url`` with ``X-Amz-Target: RekognitionService.<operation>``."""

    operation: str
    url: str
    content: bytes = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{self.operation}"}


def endpoint_url(region: str, override: str | None = None) -> str:
    """``https://rekognition.<region>.amazonaws.com/``, or the configured override."""
    if override:
        return override.rstrip("/") + "/"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://rekognition.{region}.{suffix}/"


def operations_for(features: Iterable[Feature]) -> tuple[str, ...]:
    """The operations ``features`` need, each once, in a stable order (none for METADATA)."""
    needed = {OPERATIONS[f] for f in features if f in OPERATIONS}
    return tuple(op for op in _ORDER if op in needed)


def label_features(features: Iterable[Feature]) -> tuple[str, ...]:
    """DetectLabels' ``Features``: GENERAL_LABELS and/or IMAGE_PROPERTIES, never unasked."""
    wanted = {LABEL_FEATURES[f] for f in features if f in LABEL_FEATURES}
    return tuple(v for v in ("GENERAL_LABELS", "IMAGE_PROPERTIES") if v in wanted)


def request_body(
    operation: str,
    image: bytes | S3Object,
    features: Iterable[Feature],
    *,
    labels: LabelSettings | None = None,
    moderation_min_confidence: float | None = None,
) -> dict[str, Any]:
    """The JSON body of ``operation`` for ``image``: encoded bytes (sent as ``Image.Bytes``)
    or an object Rekognition reads from S3 (``Image.S3Object``).

    Scores are visionkit's 0-1; Rekognition's thresholds are percentages.
    """
    field = (
        image.image_field()
        if isinstance(image, S3Object)
        else {"Bytes": base64.b64encode(image).decode("ascii")}
    )
    body: dict[str, Any] = {"Image": field}
    if operation == DETECT_LABELS:
        settings = labels or LabelSettings()
        wanted = label_features(features)
        body["Features"] = list(wanted)
        if "GENERAL_LABELS" in wanted:
            if settings.min_confidence is not None:
                body["MinConfidence"] = _percent(settings.min_confidence)
            if settings.max_labels is not None:
                body["MaxLabels"] = settings.max_labels
        if "IMAGE_PROPERTIES" in wanted:
            body["Settings"] = {
                "ImageProperties": {"MaxDominantColors": settings.max_dominant_colors}
            }
    elif operation == DETECT_MODERATION_LABELS:
        if moderation_min_confidence is not None:
            body["MinConfidence"] = _percent(moderation_min_confidence)
    elif operation == DETECT_FACES:
        body["Attributes"] = ["DEFAULT"]
    elif operation not in (DETECT_TEXT, RECOGNIZE_CELEBRITIES):
        raise ValueError(f"Unknown Rekognition operation {operation!r}")
    return body


def build_request(url: str, operation: str, body: Mapping[str, Any]) -> RekognitionRequest:
    """The request carrying ``body``, serialised once: the signature covers these exact bytes."""
    content = json.dumps(body, separators=(",", ":")).encode()
    return RekognitionRequest(operation=operation, url=url, content=content)


def _percent(score: float) -> float:
    return round(score * 100.0, 6)


__all__ = [
    "CAPABILITIES",
    "CONTENT_TYPE",
    "DETECT_FACES",
    "DETECT_LABELS",
    "DETECT_MODERATION_LABELS",
    "DETECT_TEXT",
    "LABEL_FEATURES",
    "OPERATIONS",
    "RECOGNIZE_CELEBRITIES",
    "TARGET_PREFIX",
    "LabelSettings",
    "RekognitionRequest",
    "build_request",
    "endpoint_url",
    "label_features",
    "operations_for",
    "request_body",
]

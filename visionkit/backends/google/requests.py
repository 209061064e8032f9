"""Pure builders: what to send to Cloud Vision for a set of features and some images.

Nothing here does I/O or holds a credential, so every request visionkit can
make is testable as a value. Credentials are attached by the analyzer at the
last moment (:mod:`.auth`), so a :class:`GoogleRequest` can be logged safely.

One ``images:annotate`` call carries 1 to :data:`MAX_IMAGES_PER_REQUEST`
images, each with the same feature list. Every Google feature is billed per
image, so only the features the caller asked for are requested (metadata is
measured locally and costs no feature at all).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visionkit.features import Feature

ANNOTATE_PATH = "/v1/images:annotate"
MAX_IMAGES_PER_REQUEST = 16
"""Google's published limit on images in one ``images:annotate`` request."""
MAX_REQUEST_BYTES = 10 * 2**20
"""The published limit on a JSON request body; base64 makes each image a third bigger."""

FEATURE_TYPES: Mapping[Feature, str] = {
    Feature.TAGS: "LABEL_DETECTION",
    Feature.OBJECTS: "OBJECT_LOCALIZATION",
    Feature.FACES: "FACE_DETECTION",
    Feature.TEXT: "TEXT_DETECTION",
    Feature.ADULT: "SAFE_SEARCH_DETECTION",
    Feature.COLORS: "IMAGE_PROPERTIES",
    Feature.BRANDS: "LOGO_DETECTION",
    Feature.LANDMARKS: "LANDMARK_DETECTION",
    Feature.AREA_OF_INTEREST: "CROP_HINTS",
}
"""visionkit feature -> Cloud Vision ``features[].type`` (text may become DOCUMENT_...)."""

CROP_HINTS = "CROP_HINTS"
DOCUMENT_TEXT = "DOCUMENT_TEXT_DETECTION"

CAPABILITIES: frozenset[Feature] = frozenset({*FEATURE_TYPES, Feature.METADATA})
"""Everything the backend answers; metadata is measured on the image sent."""

_NO_MAX_RESULTS = frozenset({"TEXT_DETECTION", DOCUMENT_TEXT, CROP_HINTS, "IMAGE_PROPERTIES"})
"""Types ``maxResults`` does not apply to (the spec says so for text and crop hints)."""

ImagePayload = bytes | str
"""An image as sent: encoded bytes (base64 ``content``) or a URI Google fetches itself."""


@dataclass(frozen=True, slots=True)
class GoogleRequest:
    """One HTTP request, without credentials. ``content`` is left out of the repr."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """How features are asked for: the options that shape the ``features`` list."""

    max_results: int = 50
    model: str | None = None
    text_mode: str = "text"
    language_hints: tuple[str, ...] = ()


def feature_types(
    features: Iterable[Feature], settings: FeatureSettings = FeatureSettings()
) -> tuple[str, ...]:
    """The ``features[].type`` values for ``features``, in a stable order."""
    wanted = set(features)
    types = []
    for feature, value in FEATURE_TYPES.items():
        if feature in wanted:
            if feature is Feature.TEXT and settings.text_mode == "document":
                value = DOCUMENT_TEXT
            types.append(value)
    return tuple(types)


def needs_call(features: Iterable[Feature]) -> bool:
    """Whether anything must be asked of Google (metadata alone is measured locally)."""
    return bool(feature_types(features))


def features_json(types: Iterable[str], settings: FeatureSettings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in types:
        entry: dict[str, Any] = {"type": value}
        if value not in _NO_MAX_RESULTS:
            entry["maxResults"] = settings.max_results
        if settings.model:
            entry["model"] = settings.model
        out.append(entry)
    return out


def image_json(image: ImagePayload) -> dict[str, Any]:
    """``{"content": base64}`` for bytes, ``{"source": {"imageUri": ...}}`` for a URI."""
    if isinstance(image, str):
        return {"source": {"imageUri": image}}
    return {"content": base64.b64encode(image).decode("ascii")}


def annotate_body(
    images: Sequence[ImagePayload], types: Sequence[str], settings: FeatureSettings
) -> dict[str, Any]:
    """The ``BatchAnnotateImagesRequest`` for ``images``, each asking for ``types``."""
    if not 1 <= len(images) <= MAX_IMAGES_PER_REQUEST:
        raise ValueError(
            f"images:annotate takes 1 to {MAX_IMAGES_PER_REQUEST} images, got {len(images)}"
        )
    feature_list = features_json(types, settings)
    requests = []
    for image in images:
        entry: dict[str, Any] = {"image": image_json(image), "features": feature_list}
        context: dict[str, Any] = {}
        if settings.language_hints and ({"TEXT_DETECTION", DOCUMENT_TEXT} & set(types)):
            context["languageHints"] = list(settings.language_hints)
        if context:
            entry["imageContext"] = context
        requests.append(entry)
    return {"requests": requests}


def annotate_request(
    endpoint: str,
    images: Sequence[ImagePayload],
    types: Sequence[str],
    settings: FeatureSettings,
) -> GoogleRequest:
    """``POST {endpoint}/v1/images:annotate`` with the JSON body for ``images``."""
    body = json.dumps(annotate_body(images, types, settings), separators=(",", ":"))
    return GoogleRequest(
        "POST",
        endpoint.rstrip("/") + ANNOTATE_PATH,
        headers={"Content-Type": "application/json"},
        content=body.encode("ascii"),
    )


def encoded_size(image: ImagePayload) -> int:
    """Bytes ``image`` adds to a request body once base64-encoded (for splitting batches)."""
    if isinstance(image, str):
        return len(image) + 64
    return 4 * ((len(image) + 2) // 3) + 64


def chunk_sizes(costs: Sequence[int]) -> list[int]:
    """How many consecutive images go in each request, given each one's encoded size.

    At most :data:`MAX_IMAGES_PER_REQUEST` per request and, when it can be
    helped, at most :data:`MAX_REQUEST_BYTES` of body (one image over it
    still goes alone, and Google judges it).
    """
    sizes: list[int] = []
    count = total = 0
    for cost in costs:
        if count and (count == MAX_IMAGES_PER_REQUEST or total + cost > MAX_REQUEST_BYTES):
            sizes.append(count)
            count = total = 0
        count += 1
        total += cost
    if count:
        sizes.append(count)
    return sizes


__all__ = [
    "ANNOTATE_PATH",
    "CAPABILITIES",
    "CROP_HINTS",
    "DOCUMENT_TEXT",
    "FEATURE_TYPES",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "FeatureSettings",
    "GoogleRequest",
    "ImagePayload",
    "annotate_body",
    "annotate_request",
    "chunk_sizes",
    "encoded_size",
    "feature_types",
    "features_json",
    "image_json",
    "needs_call",
]

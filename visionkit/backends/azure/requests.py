"""Pure builders: what to send to Azure for a set of features and one image.

Nothing here does I/O or holds the key, so every request visionkit can make is
testable as a value. The key is attached by the analyzer at the last moment
(:func:`auth_headers`, the one place it is revealed), so an
:class:`AzureRequest` can be logged or printed safely.

An image travels in one of two ways: a URL string, which Azure downloads
itself (JSON body ``{"url": ...}``; visionkit never downloads it), or encoded
bytes (``application/octet-stream``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.options import Secret

API_PATH = "vision/v3.2"
AUTH_HEADER = "Ocp-Apim-Subscription-Key"

VISUAL_FEATURES: Mapping[Feature, str] = {
    Feature.CATEGORIES: "Categories",
    Feature.TAGS: "Tags",
    Feature.CAPTION: "Description",
    Feature.FACES: "Faces",
    Feature.IMAGE_TYPE: "ImageType",
    Feature.COLORS: "Color",
    Feature.ADULT: "Adult",
    Feature.OBJECTS: "Objects",
    Feature.BRANDS: "Brands",
}
"""visionkit feature -> v3.2 ``visualFeatures`` value."""

DETAILS: Mapping[Feature, str] = {
    Feature.CELEBRITIES: "Celebrities",
    Feature.LANDMARKS: "Landmarks",
}
"""visionkit feature -> v3.2 ``details`` value (domain models, reported per category)."""

CAPABILITIES: frozenset[Feature] = frozenset(
    {*VISUAL_FEATURES, *DETAILS, Feature.TEXT, Feature.METADATA, Feature.AREA_OF_INTEREST}
)
"""Everything the v3.2 backend answers: Analyze Image, plus Read for TEXT and Get Area
of Interest for AREA_OF_INTEREST."""

ON_REQUEST: frozenset[Feature] = frozenset({Feature.AREA_OF_INTEREST})
"""Left out of ``features=None``: each is one more billed call per image, which an
existing caller of "everything" did not pay for before it was added."""

ImageRef = str | bytes
"""An image as sent: an ``http(s)`` URL for Azure to fetch, or encoded bytes."""


@dataclass(frozen=True, slots=True)
class AzureRequest:
    """One HTTP request, without credentials. ``content`` is left out of the repr."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = field(default=None, repr=False)


def visual_features(features: Iterable[Feature]) -> tuple[str, ...]:
    """The ``visualFeatures`` for ``features``, in a stable order.

    Celebrities and landmarks are reported inside categories, so asking for
    either brings ``Categories`` along.
    """
    wanted = set(features)
    if wanted & DETAILS.keys():
        wanted.add(Feature.CATEGORIES)
    return tuple(value for feature, value in VISUAL_FEATURES.items() if feature in wanted)


def details(features: Iterable[Feature]) -> tuple[str, ...]:
    wanted = set(features)
    return tuple(value for feature, value in DETAILS.items() if feature in wanted)


def needs_analyze(features: Iterable[Feature], *, metadata_known: bool) -> bool:
    """Whether Analyze Image must be called: for any visual feature, or for metadata.

    METADATA alone needs no call when the image was loaded locally
    (``metadata_known``): its size and format are already known, and a call
    would cost money for nothing.
    """
    wanted = set(features)
    if visual_features(wanted):
        return True
    return Feature.METADATA in wanted and not metadata_known


def image_body(image: ImageRef) -> tuple[dict[str, str], bytes]:
    """Headers and body carrying ``image``: a JSON ``{"url"}`` or the raw bytes."""
    if isinstance(image, str):
        return {"Content-Type": "application/json"}, json.dumps({"url": image}).encode()
    return {"Content-Type": "application/octet-stream"}, image


def _params(**values: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((name.replace("_", "-"), value) for name, value in values.items() if value)


def _post(
    endpoint: str, operation: str, image: ImageRef, params: tuple[tuple[str, str], ...]
) -> AzureRequest:
    headers, body = image_body(image)
    return AzureRequest(
        "POST", f"{base_url(endpoint)}/{operation}", params=params, headers=headers, content=body
    )


def base_url(endpoint: str) -> str:
    """``{endpoint}/vision/v3.2``, whether or not the endpoint ends with a slash."""
    return f"{endpoint.rstrip('/')}/{API_PATH}"


def analyze_request(
    endpoint: str,
    image: ImageRef,
    features: Iterable[Feature],
    *,
    language: str | None = None,
    model_version: str | None = None,
) -> AzureRequest:
    """``POST /vision/v3.2/analyze`` for the visual features among ``features``.

    With no visual feature (metadata of a URL image) ``visualFeatures`` is
    left out and the service picks its default, the cheapest way to learn an
    image's size without downloading it.
    """
    wanted = list(features)
    params = (
        ("visualFeatures", ",".join(visual_features(wanted))),
        ("details", ",".join(details(wanted))),
        ("language", language),
        ("model-version", model_version),
    )
    return _post(endpoint, "analyze", image, tuple((k, v) for k, v in params if v))


def describe_request(
    endpoint: str,
    image: ImageRef,
    *,
    max_candidates: int,
    language: str | None = None,
    model_version: str | None = None,
) -> AzureRequest:
    """``POST /vision/v3.2/describe``: up to ``max_candidates`` captions."""
    params = (
        ("maxCandidates", str(max_candidates)),
        *_params(language=language, model_version=model_version),
    )
    return _post(endpoint, "describe", image, params)


def read_request(
    endpoint: str,
    image: ImageRef,
    *,
    language: str | None = None,
    model_version: str | None = None,
) -> AzureRequest:
    """``POST /vision/v3.2/read/analyze``: starts an OCR operation (answer: 202)."""
    return _post(
        endpoint, "read/analyze", image, _params(language=language, model_version=model_version)
    )


def read_result_request(endpoint: str, operation_location: str) -> AzureRequest:
    """``GET`` the ``Operation-Location`` that :func:`read_request`'s answer named.

    The location must be on the endpoint's own host: the key goes with every
    poll, and a tampered or misrouted header must not send it anywhere else.
    """
    expected = urlsplit(endpoint)
    actual = urlsplit(operation_location)
    if (actual.scheme, actual.netloc.lower()) != (expected.scheme, expected.netloc.lower()):
        raise BackendError(
            f"Azure named an OCR result location on another host ({actual.netloc or '?'}, "
            f"expected {expected.netloc}); refusing to send the key there.",
            backend="azure",
        )
    return AzureRequest("GET", operation_location)


def thumbnail_request(
    endpoint: str,
    image: ImageRef,
    *,
    width: int,
    height: int,
    smart_crop: bool,
    model_version: str | None = None,
) -> AzureRequest:
    """``POST /vision/v3.2/generateThumbnail``; the answer body is the image itself."""
    params = (
        ("width", str(width)),
        ("height", str(height)),
        ("smartCropping", "true" if smart_crop else "false"),
        *_params(model_version=model_version),
    )
    return _post(endpoint, "generateThumbnail", image, params)


def area_of_interest_request(
    endpoint: str, image: ImageRef, *, model_version: str | None = None
) -> AzureRequest:
    """``POST /vision/v3.2/areaOfInterest``: the box that holds the image's subject."""
    return _post(endpoint, "areaOfInterest", image, _params(model_version=model_version))


def auth_headers(key: Secret) -> dict[str, str]:
    """The one place the key is revealed: the header Azure authenticates with."""
    return {AUTH_HEADER: key.reveal()}


__all__ = [
    "API_PATH",
    "AUTH_HEADER",
    "CAPABILITIES",
    "DETAILS",
    "VISUAL_FEATURES",
    "AzureRequest",
    "ImageRef",
    "analyze_request",
    "area_of_interest_request",
    "auth_headers",
    "base_url",
    "describe_request",
    "details",
    "image_body",
    "needs_analyze",
    "read_request",
    "read_result_request",
    "thumbnail_request",
    "visual_features",
]

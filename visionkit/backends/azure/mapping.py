"""Pure transforms from Azure's v3.2 JSON to :class:`~visionkit.results.AnalysisResult`.

The official SDK's msrest models are the schema of record: a response is
first deserialized into them (:func:`parse_analysis`, :func:`parse_read`), and
the mapping reads those typed objects, so a field Microsoft renames shows up
as a model change rather than as a silent ``KeyError`` in hand-written dict
code. The same mapping serves :func:`from_sdk`, for code that already calls
the SDK and wants visionkit's result.

What the models do not carry is read from the keys msrest keeps in
``additional_properties``:

* ``color.isBwImg``: the live service sends it (sometimes next to the
  documented ``isBWImg``, sometimes alone); the model knows only ``isBWImg``;
* ``analyzeResult.model-version``: the live Read service's spelling of the
  documented ``modelVersion``.

Conventions applied here so results compare across backends: colour names are
lower case and ``grey`` is ``gray`` (the local backend's names), the accent
colour is ``#RRGGBB``, formats are Pillow's upper-case names (``JPEG``), gender
is lower case, and a feature that was looked for but found nothing is an empty
tuple. Azure's confidences are already in [0, 1].

It is over the project's ~400-line guide because each section of the v3.2 answer is
mapped here with its shape checks, one short function per section, read together against
the msrest schema.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, TypeVar, cast

from azure.cognitiveservices.vision.computervision import models as sdk
from msrest import Deserializer, Serializer

from visionkit.backends.azure.errors import SERVICE
from visionkit.backends.azure.models import NotPlain, read_model
from visionkit.backends.http.shapes import clip_result, finite, section, unit
from visionkit.errors import BackendError
from visionkit.results import (
    MAX_CATEGORY_DEPTH,
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Brand,
    Caption,
    Category,
    Celebrity,
    ColorScheme,
    DetectedObject,
    Face,
    ImageMetadata,
    ImageType,
    Landmark,
    ObjectCategory,
    Point,
    Tag,
    TextLine,
    Word,
)

BACKEND = "azure"
logger = logging.getLogger("visionkit.backends.azure")


@cache
def _models() -> dict[str, type]:
    return {name: cls for name, cls in vars(sdk).items() if isinstance(cls, type)}


_M = TypeVar("_M")


def _deserialize(model: type[_M], body: Mapping[str, Any]) -> _M:
    deserializer = Deserializer(_models())  # type: ignore[no-untyped-call]
    return cast(_M, deserializer(model.__name__, dict(body)))


def parse_analysis(body: Mapping[str, Any]) -> sdk.ImageAnalysis:
    """Analyze Image JSON as the SDK's ``ImageAnalysis``."""
    return _deserialize(sdk.ImageAnalysis, body)


def parse_description(body: Mapping[str, Any]) -> sdk.ImageDescription:
    """Describe Image JSON as the SDK's ``ImageDescription``."""
    return _deserialize(sdk.ImageDescription, body)


def parse_area_of_interest(body: Mapping[str, Any]) -> sdk.AreaOfInterestResult:
    """Get Area of Interest JSON as the SDK's ``AreaOfInterestResult``."""
    return _deserialize(sdk.AreaOfInterestResult, body)


def parse_read(body: Mapping[str, Any]) -> sdk.ReadOperationResult:
    """Get Read Result JSON as the SDK's ``ReadOperationResult``."""
    return _deserialize(sdk.ReadOperationResult, body)


def read_status(operation: sdk.ReadOperationResult) -> str:
    """``notStarted``, ``running``, ``succeeded`` or ``failed``, however the service cased it."""
    status = operation.status
    return str(getattr(status, "value", status) or "").lower()


# -- building blocks -------------------------------------------------------------------


def _unit(value: float | None) -> float:
    """A confidence in [0, 1]: float noise like 1.0000001 clamped, NaN or 1.5 refused."""
    return unit(value)


def _extra(model: Any, key: str) -> Any:
    return (getattr(model, "additional_properties", None) or {}).get(key)


def bounding_rect(rect: sdk.BoundingRect | None) -> BoundingBox | None:
    """Azure's ``{x, y, w, h}`` rectangle as a :class:`BoundingBox`."""
    if rect is None:
        return None
    return BoundingBox(*(round(finite(v, "rectangle")) for v in (rect.x, rect.y, rect.w, rect.h)))


def _face_rect(rect: sdk.FaceRectangle | None) -> BoundingBox | None:
    if rect is None:
        return None
    values = (rect.left, rect.top, rect.width, rect.height)
    return BoundingBox(*(round(finite(v, "faceRectangle")) for v in values))


def _polygon(flat: Iterable[float] | None) -> tuple[Point, ...]:
    """Azure's ``[x1, y1, x2, y2, ...]`` as ``((x1, y1), (x2, y2), ...)``."""
    values = [float(v) for v in flat or ()]
    return tuple(zip(values[0::2], values[1::2], strict=False))


def _colour_name(name: str | None) -> str | None:
    if not name:
        return None
    lowered = name.strip().lower()
    return "gray" if lowered == "grey" else lowered


def _hex(accent: str | None) -> str | None:
    if not accent:
        return None
    return "#" + accent.strip().lstrip("#").upper()


def _dedupe(items: Iterable[Any]) -> tuple[Any, ...]:
    """Drop exact repeats only: the same celebrity can be reported under two categories."""
    return tuple(dict.fromkeys(items))


# -- per feature -----------------------------------------------------------------------


def tags(analysis: sdk.ImageAnalysis) -> tuple[Tag, ...] | None:
    if analysis.tags is None:
        return None
    return tuple(Tag(t.name, _unit(t.confidence), hint=t.hint) for t in analysis.tags)


def captions(
    description: sdk.ImageDescriptionDetails | sdk.ImageDescription | None,
) -> tuple[Caption, ...] | None:
    if description is None:
        return None
    return tuple(Caption(c.text, _unit(c.confidence)) for c in description.captions or ())


def _object_category(node: sdk.ObjectHierarchy | None) -> ObjectCategory | None:
    """The parent chain, built iteratively and cut at :data:`MAX_CATEGORY_DEPTH` ancestors."""
    chain: list[sdk.ObjectHierarchy] = []
    while node is not None:
        if len(chain) == MAX_CATEGORY_DEPTH:
            logger.warning("object parent chain cut at %d ancestors", MAX_CATEGORY_DEPTH)
            break
        chain.append(node)
        node = node.parent
    built: ObjectCategory | None = None
    for item in reversed(chain):
        confidence = None if item.confidence is None else _unit(item.confidence)
        built = ObjectCategory(str(item.object_property), confidence, built)
    return built


def objects(analysis: sdk.ImageAnalysis) -> tuple[DetectedObject, ...] | None:
    if analysis.objects is None:
        return None
    found = []
    for obj in analysis.objects:
        box = bounding_rect(obj.rectangle)
        if box is None:
            continue
        found.append(
            DetectedObject(
                obj.object_property, _unit(obj.confidence), box, _object_category(obj.parent)
            )
        )
    return tuple(found)


def colors(color: sdk.ColorInfo | None) -> ColorScheme | None:
    if color is None:
        return None
    is_bw = color.is_bw_img
    if is_bw is None:
        is_bw = _extra(color, "isBwImg")
    return ColorScheme(
        dominant_foreground=_colour_name(color.dominant_color_foreground),
        dominant_background=_colour_name(color.dominant_color_background),
        dominant_colors=tuple(
            n for n in (_colour_name(c) for c in color.dominant_colors or ()) if n
        ),
        accent_color=_hex(color.accent_color),
        is_black_and_white=bool(is_bw),
    )


def adult(info: sdk.AdultInfo | None) -> AdultScores | None:
    if info is None:
        return None
    return AdultScores(
        adult=_unit(info.adult_score),
        racy=_unit(info.racy_score),
        gore=_unit(info.gore_score),
        is_adult=bool(info.is_adult_content),
        is_racy=bool(info.is_racy_content),
        is_gory=bool(info.is_gory_content),
    )


def image_type(kind: sdk.ImageType | None) -> ImageType | None:
    if kind is None:
        return None
    return ImageType(
        clip_art=int(kind.clip_art_type or 0), line_drawing=int(kind.line_drawing_type or 0)
    )


def faces(analysis: sdk.ImageAnalysis) -> tuple[Face, ...] | None:
    if analysis.faces is None:
        return None
    found = []
    for face in analysis.faces:
        box = _face_rect(face.face_rectangle)
        if box is None:
            continue
        gender = getattr(face.gender, "value", face.gender)
        found.append(Face(box, age=face.age, gender=str(gender).lower() if gender else None))
    return tuple(found)


def brands(analysis: sdk.ImageAnalysis) -> tuple[Brand, ...] | None:
    if analysis.brands is None:
        return None
    return tuple(
        Brand(b.name, _unit(b.confidence), bounding_rect(b.rectangle)) for b in analysis.brands
    )


def categories(analysis: sdk.ImageAnalysis) -> tuple[Category, ...] | None:
    if analysis.categories is None:
        return None
    return tuple(Category(c.name, _unit(c.score)) for c in analysis.categories)


def celebrities(analysis: sdk.ImageAnalysis) -> tuple[Celebrity, ...] | None:
    """Celebrities from every category's ``detail``; ``None`` if categories were not returned."""
    if analysis.categories is None:
        return None
    return _dedupe(
        Celebrity(person.name, _unit(person.confidence), _face_rect(person.face_rectangle))
        for category in analysis.categories
        if category.detail is not None
        for person in category.detail.celebrities or ()
    )


def landmarks(analysis: sdk.ImageAnalysis) -> tuple[Landmark, ...] | None:
    """Landmarks from every category's ``detail``; ``None`` if categories were not returned."""
    if analysis.categories is None:
        return None
    return _dedupe(
        Landmark(place.name, _unit(place.confidence))
        for category in analysis.categories
        if category.detail is not None
        for place in category.detail.landmarks or ()
    )


def metadata(meta: sdk.ImageMetadata | None) -> ImageMetadata | None:
    if meta is None or meta.width is None or meta.height is None:
        return None
    return ImageMetadata(meta.width, meta.height, meta.format.upper() if meta.format else None)


def text_lines(operation: sdk.ReadOperationResult) -> tuple[TextLine, ...]:
    """Every line of every page, in reading order, with word polygons and confidences.

    v3.2 lines carry no recognition confidence (``appearance.style.confidence``
    is about handwriting, not about the text), so ``TextLine.confidence`` is
    ``None`` and each word has its own.
    """
    result = operation.analyze_result
    if result is None:
        return ()
    return tuple(
        TextLine(
            text=line.text or "",
            polygon=_polygon(line.bounding_box),
            words=tuple(
                Word(
                    word.text or "",
                    _polygon(word.bounding_box),
                    None if word.confidence is None else _unit(word.confidence),
                )
                for word in line.words or ()
            ),
        )
        for page in result.read_results or ()
        for line in page.lines or ()
    )


def read_metadata(operation: sdk.ReadOperationResult) -> ImageMetadata | None:
    """The image's size as Read measured it (first page, in pixels), format unknown.

    Lets a URL image's metadata come with its text instead of costing an
    Analyze Image call.
    """
    result = operation.analyze_result
    pages = result.read_results if result is not None else None
    if not pages:
        return None
    unit = getattr(pages[0].unit, "value", pages[0].unit)
    if str(unit).lower() != "pixel" or pages[0].width is None or pages[0].height is None:
        return None
    return ImageMetadata(round(pages[0].width), round(pages[0].height))


def read_model_version(operation: sdk.ReadOperationResult) -> str | None:
    result = operation.analyze_result
    if result is None:
        return None
    version = result.model_version or _extra(result, "model-version")
    return None if version is None else str(version)


# -- whole results ---------------------------------------------------------------------


def analysis_result(
    analysis: sdk.ImageAnalysis, *, raw: Any = None, request_id: str | None = None
) -> AnalysisResult:
    """Every field of an ``ImageAnalysis``; a section absent from the answer stays ``None``.

    Each section is mapped under :func:`~visionkit.backends.http.shapes.section`,
    so a wrong shape is a BackendError naming it; boxes are then clipped to
    the size the answer reports.
    """
    rid = request_id if analysis.request_id is None else str(analysis.request_id)

    def read(field: str, mapper: Any, *args: Any) -> Any:
        with section(field, service=SERVICE, backend=BACKEND, request_id=rid):
            return mapper(*args)

    meta = read("metadata", metadata, analysis.metadata)
    result = AnalysisResult(
        backend=BACKEND,
        model_version=read("modelVersion", _opt_str, analysis.model_version),
        metadata=meta,
        tags=read("tags", tags, analysis),
        objects=read("objects", objects, analysis),
        captions=read("description", captions, analysis.description),
        colors=read("color", colors, analysis.color),
        adult=read("adult", adult, analysis.adult),
        image_type=read("imageType", image_type, analysis.image_type),
        faces=read("faces", faces, analysis),
        brands=read("brands", brands, analysis),
        categories=read("categories", categories, analysis),
        celebrities=read("categories.detail.celebrities", celebrities, analysis),
        landmarks=read("categories.detail.landmarks", landmarks, analysis),
        request_id=rid,
        raw=raw,
    )
    return clip_result(result, *(meta.width, meta.height) if meta else (None, None))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_guarded(model: type[_M], body: Mapping[str, Any], request_id: str | None) -> _M:
    """Deserialize ``body``; when it fails, name the first top-level field that fails alone.

    A plain answer is read in one pass (:func:`.models.read_model`, the same
    objects msrest builds); anything else goes through msrest itself.
    """
    try:
        return read_model(model, body)
    except NotPlain:
        pass
    try:
        with section("answer", service=SERVICE, backend=BACKEND, request_id=request_id):
            return _deserialize(model, body)
    except BackendError as whole:
        for key in body:
            with section(key, service=SERVICE, backend=BACKEND, request_id=request_id):
                _deserialize(model, {key: body[key]})
        raise whole from None


def map_analysis(body: Mapping[str, Any], *, request_id: str | None = None) -> AnalysisResult:
    """Analyze Image JSON straight to a result: every wrong shape a BackendError naming it."""
    return analysis_result(
        _parse_guarded(sdk.ImageAnalysis, body, request_id), request_id=request_id
    )


def map_read(
    body: Mapping[str, Any], *, request_id: str | None = None
) -> tuple[sdk.ReadOperationResult, tuple[TextLine, ...]]:
    """A Read result and its lines, every wrong shape a BackendError naming the field."""
    operation = _parse_guarded(sdk.ReadOperationResult, body, request_id)
    with section("analyzeResult", service=SERVICE, backend=BACKEND, request_id=request_id):
        lines = text_lines(operation)
        meta = read_metadata(operation)
    if meta is not None:
        clipped = clip_result(AnalysisResult(backend=BACKEND, text=lines), meta.width, meta.height)
        lines = clipped.text or ()
    return operation, lines


def from_sdk(image_analysis: sdk.ImageAnalysis) -> AnalysisResult:
    """The visionkit result for an ``ImageAnalysis`` the official SDK returned.

    For code that already calls ``ComputerVisionClient.analyze_image``:
    ``raw`` is the SDK object serialized back to the service's JSON, under
    ``"analyze"`` like the analyzer's own results.
    """
    serializer = Serializer(_models())  # type: ignore[no-untyped-call]
    serialized = serializer.body(  # type: ignore[no-untyped-call]
        image_analysis, "ImageAnalysis", keep_readonly=True
    )
    return analysis_result(image_analysis, raw={"analyze": serialized})


__all__ = [
    "BACKEND",
    "analysis_result",
    "bounding_rect",
    "captions",
    "from_sdk",
    "map_analysis",
    "map_read",
    "parse_analysis",
    "parse_area_of_interest",
    "parse_description",
    "parse_read",
    "read_metadata",
    "read_model_version",
    "read_status",
    "text_lines",
]

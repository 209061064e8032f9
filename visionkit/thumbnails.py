"""Thumbnails through any analyzer: its own operation, or a crop at its area of interest.

A backend that makes thumbnails itself (Azure's ``generateThumbnail``, the
local saliency search) says so by having :meth:`make_thumbnail` and
:meth:`make_thumbnail_async` (:class:`MakesThumbnails`). Every other backend
gets the one generic path here: ask it for ``area_of_interest``, grow that box
to the requested aspect ratio, and crop and resize the caller's own pixels
(:mod:`visionkit.cropping`). A backend with neither (AWS) gets a
:class:`ThumbnailUnsupportedError` naming the backends that can.

``smart=False`` is the centre crop and asks no backend anything; the
backend's own operation is still used when it has one, so Azure's
``smartCropping=false`` thumbnails stay Azure's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from visionkit.backends.catalog import backends_supporting
from visionkit.cropping import Thumbnail, check_size, crop_thumbnail
from visionkit.errors import BackendError, UnsupportedFeatureError
from visionkit.features import Feature
from visionkit.images import ImageInput, LoadedImage, load_image, load_image_async
from visionkit.results import AnalysisResult

if TYPE_CHECKING:
    from visionkit.backends.base import Analyzer


@runtime_checkable
class MakesThumbnails(Protocol):
    """An analyzer with a thumbnail operation of its own (checked with ``isinstance``)."""

    def make_thumbnail(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail: ...

    async def make_thumbnail_async(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail: ...


class ThumbnailUnsupportedError(UnsupportedFeatureError):
    """A smart thumbnail was asked of a backend with no thumbnail operation and no
    area of interest (AWS Rekognition has neither)."""

    def __init__(self, backend: str) -> None:
        super().__init__(Feature.AREA_OF_INTEREST.value, backend, ())
        others = backends_supporting(Feature.AREA_OF_INTEREST)
        self.supported_by = tuple(sorted(others))
        self.message = (
            f"The {backend!r} backend cannot make smart thumbnails: it has no thumbnail "
            f"operation and no area of interest. Backends that can: "
            f"{', '.join(self.supported_by) or 'none installed'}. Pass one of them as "
            f"backend=..., or smart=False for a plain centre crop."
        )
        self.args = (self.message,)


def make_thumbnail(
    analyzer: Analyzer, image: ImageInput, width: int, height: int, *, smart: bool = True
) -> Thumbnail:
    """A ``width`` x ``height`` thumbnail of ``image`` made with ``analyzer``."""
    check_size(width, height)
    if isinstance(analyzer, MakesThumbnails):
        return analyzer.make_thumbnail(image, width, height, smart=smart)
    _check_can(analyzer, smart)
    loaded = load_image(image)
    result = analyzer.analyze(_resend(loaded), [Feature.AREA_OF_INTEREST]) if smart else None
    return _at_interest(analyzer, loaded, result, width, height)


async def make_thumbnail_async(
    analyzer: Analyzer, image: ImageInput, width: int, height: int, *, smart: bool = True
) -> Thumbnail:
    """The awaitable twin of :func:`make_thumbnail`."""
    import asyncio  # loaded already whenever a coroutine runs

    check_size(width, height)
    if isinstance(analyzer, MakesThumbnails):
        return await analyzer.make_thumbnail_async(image, width, height, smart=smart)
    _check_can(analyzer, smart)
    loaded = await load_image_async(image)
    result = None
    if smart:
        result = await analyzer.analyze_async(_resend(loaded), [Feature.AREA_OF_INTEREST])
    return await asyncio.to_thread(_at_interest, analyzer, loaded, result, width, height)


def _at_interest(
    analyzer: Analyzer,
    loaded: LoadedImage,
    result: AnalysisResult | None,
    width: int,
    height: int,
) -> Thumbnail:
    """The crop at ``result``'s area of interest (the centre without a result)."""
    if result is not None and result.area_of_interest is None:
        raise BackendError(
            f"The {analyzer.label!r} backend was asked for area_of_interest and answered "
            f"None, so no smart crop can be placed. Use smart=False for a centre crop.",
            backend=analyzer.name,
        )
    box = result.area_of_interest if result is not None else None
    return crop_thumbnail(loaded, box, width, height, backend=analyzer.name)


def _check_can(analyzer: Analyzer, smart: bool) -> None:
    if smart and Feature.AREA_OF_INTEREST not in analyzer.supported_features:
        raise ThumbnailUnsupportedError(analyzer.label)


def _resend(loaded: LoadedImage) -> ImageInput:
    """What to hand the backend: the caller's encoded bytes when there are any (no
    re-encoding, nothing downloaded twice), else the decoded pixels."""
    return loaded.data if loaded.data is not None else loaded.pixels


__all__ = [
    "MakesThumbnails",
    "ThumbnailUnsupportedError",
    "make_thumbnail",
    "make_thumbnail_async",
]

"""The front door: :func:`analyze`, :func:`thumbnail`, their async twins, :func:`get_analyzer`.

The data path reads straight through: resolve the backend and its options
(:mod:`visionkit.config`), take its :class:`Analyzer` from
:mod:`visionkit.analyzers` (which builds, reuses and closes instances), and
hand it the image, through the result cache and, when one is configured, the
fallback chain (:mod:`visionkit.fallback`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from visionkit.analyzers import close_analyzers, get_analyzer
from visionkit.backends.base import FeaturesArg
from visionkit.cache.analyze import cached_analyze, cached_analyze_async
from visionkit.cache.defaults import CacheArg
from visionkit.config import resolve_backend_name, resolve_fallback
from visionkit.cropping import Thumbnail, check_size
from visionkit.fallback import analyze_with_fallback, analyze_with_fallback_async
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult
from visionkit.thumbnails import make_thumbnail, make_thumbnail_async


def analyze(
    image: ImageInput,
    features: FeaturesArg = None,
    *,
    backend: str | None = None,
    fallback: Sequence[str] | str | None = None,
    cache: CacheArg = None,
    **options: Any,
) -> AnalysisResult:
    """Analyse one image and return one typed result.

    ``image`` is a path, bytes, a binary file, a PIL image, a numpy array or an
    http(s) URL. ``features`` limits the work (names or :class:`Feature`
    members); left out, the backend does everything it supports. Extra
    keywords are options of the backend (``top_k=5``, ``endpoint=...``).
    ``fallback`` (default: from configuration, else none) lists backends that
    answer when this one is down or has no key; see ``docs/fallback.md``.
    Cloud results are cached by image content (``docs/cache.md``); ``cache=False`` skips it.
    """
    chain = resolve_fallback(fallback).value
    if not chain:
        analyzer = get_analyzer(backend, **options)
        return cached_analyze(analyzer, image, features, cache=cache)
    primary = resolve_backend_name(backend).value
    return analyze_with_fallback(
        image, features, primary=primary, fallback=chain, options=options, cache=cache
    )


async def analyze_async(
    image: ImageInput,
    features: FeaturesArg = None,
    *,
    backend: str | None = None,
    fallback: Sequence[str] | str | None = None,
    cache: CacheArg = None,
    **options: Any,
) -> AnalysisResult:
    """The awaitable twin of :func:`analyze`; cloud backends use real async I/O."""
    chain = resolve_fallback(fallback).value
    if not chain:
        analyzer = get_analyzer(backend, **options)
        return await cached_analyze_async(analyzer, image, features, cache=cache)
    primary = resolve_backend_name(backend).value
    return await analyze_with_fallback_async(
        image, features, primary=primary, fallback=chain, options=options, cache=cache
    )


def thumbnail(
    image: ImageInput,
    width: int,
    height: int,
    smart: bool = True,
    *,
    backend: str | None = None,
    **options: Any,
) -> Thumbnail:
    """A ``width`` x ``height`` thumbnail of ``image`` and the crop it kept.

    ``smart=True`` crops around the subject: with the backend's own thumbnail
    operation (Azure v3.2), the local saliency search, or the backend's area of
    interest grown to the requested shape (Google, Azure 4.0); ``smart=False``
    crops the centre. Sides are 1 to :data:`~visionkit.cropping.MAX_THUMBNAIL_SIDE`
    pixels (1024 with Azure's operation). See ``docs/api.md#thumbnails-and-the-area-of-interest``.
    """
    check_size(width, height)  # before an analyzer is built: a typo costs nothing
    return make_thumbnail(get_analyzer(backend, **options), image, width, height, smart=smart)


async def thumbnail_async(
    image: ImageInput,
    width: int,
    height: int,
    smart: bool = True,
    *,
    backend: str | None = None,
    **options: Any,
) -> Thumbnail:
    """The awaitable twin of :func:`thumbnail`; cloud backends use real async I/O."""
    check_size(width, height)
    analyzer = get_analyzer(backend, **options)
    return await make_thumbnail_async(analyzer, image, width, height, smart=smart)


__all__ = [
    "analyze",
    "analyze_async",
    "close_analyzers",
    "get_analyzer",
    "thumbnail",
    "thumbnail_async",
]  # the last two: visionkit.analyzers

"""The cache in front of a single :func:`visionkit.analyze` call.

Hashing the image costs a read of its bytes, far less than a cloud round
trip; a miss analyses as usual and stores the answer; a hit returns the
stored result without touching the backend. Inputs that cannot be keyed
(URLs) go straight to the backend.
"""

from __future__ import annotations

import logging

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.cache.defaults import CacheArg, resolve_cache
from visionkit.cache.keys import cache_key, image_digest
from visionkit.cache.store import ResultCache
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult

logger = logging.getLogger("visionkit.cache")


def cached_analyze(
    analyzer: Analyzer, image: ImageInput, features: FeaturesArg = None, *, cache: CacheArg = None
) -> AnalysisResult:
    """``analyzer.analyze(image, features)``, answered from the cache when it can be."""
    store = resolve_cache(cache, analyzer)
    if store is None:
        return analyzer.analyze(image, features)
    wanted = analyzer.resolve_features(features)
    key, image = _key(store, analyzer, image, wanted)
    if key is not None and (hit := store.get(key)) is not None:
        return hit
    result = analyzer.analyze(image, wanted)
    if key is not None:
        _put(store, key, result)
    return result


async def cached_analyze_async(
    analyzer: Analyzer, image: ImageInput, features: FeaturesArg = None, *, cache: CacheArg = None
) -> AnalysisResult:
    """The awaitable twin of :func:`cached_analyze`; file and SQLite work run on a thread."""
    import asyncio  # loaded already whenever a coroutine runs; sync callers never pay for it

    store = resolve_cache(cache, analyzer)
    if store is None:
        return await analyzer.analyze_async(image, features)
    wanted = analyzer.resolve_features(features)
    key, image = await asyncio.to_thread(_key, store, analyzer, image, wanted)
    if key is not None and (hit := await asyncio.to_thread(store.get, key)) is not None:
        return hit
    result = await analyzer.analyze_async(image, wanted)
    if key is not None:
        await asyncio.to_thread(_put, store, key, result)
    return result


def _key(
    store: ResultCache, analyzer: Analyzer, image: ImageInput, features: frozenset[Feature]
) -> tuple[str | None, ImageInput]:
    try:
        digest, image = image_digest(image)
    except Exception as exc:  # the analyzer will report what is wrong with the input
        logger.warning("Not caching %r: hashing it raised %s: %s", image, type(exc).__name__, exc)
        return None, image
    if digest is None:
        return None, image
    key = cache_key(digest, backend=analyzer.name, options=analyzer.options, features=features)
    return key, image


def _put(store: ResultCache, key: str, result: AnalysisResult) -> None:
    try:
        store.put(key, result)
    except Exception as exc:  # e.g. a third-party backend's raw answer that is not JSON
        logger.warning("Not caching a %s result: %s: %s", result.backend, type(exc).__name__, exc)


__all__ = ["cached_analyze", "cached_analyze_async"]

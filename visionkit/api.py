"""The front door: :func:`analyze`, its async twin, and :func:`get_analyzer`.

The data path reads straight through: resolve the backend and its options
(:mod:`visionkit.config`), reuse or build its :class:`Analyzer`, and hand it the
image. Analyzers are cached per (backend, options) so a loop of ``analyze``
calls reuses one model in memory and one HTTP connection pool, and a new
analyzer is built only when the configuration actually changes.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Sequence
from typing import Any

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.backends.registry import get_backend_class
from visionkit.cache.analyze import cached_analyze, cached_analyze_async
from visionkit.cache.defaults import CacheArg
from visionkit.config import (
    build_backend_options,
    resolve_backend_name,
    resolve_backend_options,
    resolve_fallback,
)
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult

_cache_lock = threading.Lock()
_analyzers: dict[tuple[str, Any], Analyzer] = {}


def get_analyzer(name: str | None = None, **options: Any) -> Analyzer:
    """The analyzer for ``name`` (default: the configured backend) with resolved options.

    Keyword arguments override every other configuration layer. The same
    resolved options give back the same instance; close it with
    :func:`close_analyzers` (done for you at interpreter exit).
    """
    backend = resolve_backend_name(name).value
    settings = resolve_backend_options(backend, options)
    typed = build_backend_options(backend, settings)
    key = (backend, typed)
    with _cache_lock:
        analyzer = _analyzers.get(key)
        if analyzer is None:
            analyzer = get_backend_class(backend)(typed)
            _analyzers[key] = analyzer
    return analyzer


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
    from visionkit.fallback import analyze_with_fallback

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
    from visionkit.fallback import analyze_with_fallback_async

    primary = resolve_backend_name(backend).value
    return await analyze_with_fallback_async(
        image, features, primary=primary, fallback=chain, options=options, cache=cache
    )


def close_analyzers() -> None:
    """Close and forget every cached analyzer (connection pools, loaded models)."""
    with _cache_lock:
        analyzers = list(_analyzers.values())
        _analyzers.clear()
    for analyzer in analyzers:
        analyzer.close()


atexit.register(close_analyzers)

__all__ = ["analyze", "analyze_async", "close_analyzers", "get_analyzer"]

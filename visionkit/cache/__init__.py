"""A content-addressed cache of analysis results, so a repeated image costs nothing.

Keys are built in :mod:`visionkit.cache.keys`, results live in one SQLite file
(:mod:`visionkit.cache.store`), and :mod:`visionkit.cache.defaults` says where
that file is and which calls use it. ``docs/cache.md`` has the whole story.
"""

from visionkit.cache.analyze import cached_analyze, cached_analyze_async
from visionkit.cache.defaults import (
    CacheArg,
    close_default_caches,
    configure_cache,
    default_cache,
    default_cache_dir,
    resolve_cache,
)
from visionkit.cache.keys import cache_key, image_digest
from visionkit.cache.store import CacheStats, CacheWarning, ResultCache

__all__ = [
    "CacheArg",
    "CacheStats",
    "CacheWarning",
    "ResultCache",
    "cache_key",
    "cached_analyze",
    "cached_analyze_async",
    "close_default_caches",
    "configure_cache",
    "default_cache",
    "default_cache_dir",
    "image_digest",
    "resolve_cache",
]

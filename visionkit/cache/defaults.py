"""Where the default cache lives, and whether a given call uses it.

The policy, in one sentence: results of backends that call a paid service
over the network are cached by default (a repeated image then costs
nothing), results of on-machine backends are not (recomputing is cheap and
the model may change under them), and ``cache=`` on a call overrides both.

The default file is ``results.sqlite3`` in, first match wins:
``VISIONKIT_CACHE_DIR``; the directory given to :func:`configure_cache`;
``$XDG_CACHE_HOME/visionkit``; the platform's cache folder
(``~/Library/Caches/visionkit`` on macOS, ``%LOCALAPPDATA%\\visionkit\\Cache``
on Windows, ``~/.cache/visionkit`` elsewhere). ``VISIONKIT_CACHE=off``
switches the default cache off for the whole process (CI, replay tests).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from visionkit.backends.base import Analyzer
from visionkit.cache.store import DEFAULT_MAX_AGE_S, DEFAULT_MAX_BYTES, FILE_NAME, ResultCache

ENV_CACHE_DIR = "VISIONKIT_CACHE_DIR"
ENV_CACHE = "VISIONKIT_CACHE"

CacheArg = bool | ResultCache | None
"""What ``cache=`` accepts: ``None`` (the policy above), ``True``/``False``, or a store."""


@dataclass
class _Settings:
    directory: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_age_s: float = DEFAULT_MAX_AGE_S


_lock = threading.Lock()
_settings = _Settings()
_stores: dict[tuple[Path, int, float], ResultCache] = {}


def configure_cache(
    directory: str | os.PathLike[str] | None = None,
    *,
    max_bytes: int | None = None,
    max_age_s: float | None = None,
) -> None:
    """Set the default cache's folder and limits for this process.

    ``VISIONKIT_CACHE_DIR`` still wins over ``directory``, so an operator can
    move the cache of an application without changing its code.
    """
    with _lock:
        if directory is not None:
            _settings.directory = Path(directory).expanduser()
        if max_bytes is not None:
            _settings.max_bytes = max_bytes
        if max_age_s is not None:
            _settings.max_age_s = max_age_s


def default_cache_dir() -> Path:
    """The folder of the default cache file, by the rules in the module docstring."""
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    with _lock:
        if _settings.directory is not None:
            return _settings.directory
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "visionkit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "visionkit"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "visionkit" / "Cache"
    return Path.home() / ".cache" / "visionkit"


def default_cache() -> ResultCache:
    """The process's store for the current default folder and limits (opened lazily)."""
    directory = default_cache_dir()
    with _lock:
        key = (directory, _settings.max_bytes, _settings.max_age_s)
        store = _stores.get(key)
        if store is None:
            store = ResultCache(directory / FILE_NAME, max_bytes=key[1], max_age_s=key[2])
            _stores[key] = store
        return store


def default_cache_disabled() -> bool:
    """True when ``VISIONKIT_CACHE`` says off (``0``, ``off``, ``false``, ``no``)."""
    return os.environ.get(ENV_CACHE, "").strip().lower() in {"0", "off", "false", "no"}


def resolve_cache(cache: CacheArg, analyzer: type[Analyzer] | Analyzer) -> ResultCache | None:
    """The store a call should use, or ``None`` for no caching."""
    if isinstance(cache, ResultCache):
        return cache
    if cache is False:
        return None
    if cache is None:
        remote = analyzer.is_remote()
        if not remote or default_cache_disabled():
            return None
    return default_cache()


def close_default_caches() -> None:
    """Close every default store this process opened (tests, forks)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


__all__ = [
    "ENV_CACHE",
    "ENV_CACHE_DIR",
    "CacheArg",
    "close_default_caches",
    "configure_cache",
    "default_cache",
    "default_cache_dir",
    "default_cache_disabled",
    "resolve_cache",
]

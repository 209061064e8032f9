"""The one owner of analyzer instances: built from configuration, reused, closed.

:func:`~visionkit.analyze`, fallback chains, batch runs and comparisons all
get their analyzers here, so a loop of ``analyze`` calls reuses one model in
memory and one HTTP connection pool, and a new analyzer is built only when
the resolved configuration actually changes. Nothing here imports the front
door (:mod:`visionkit.api`); the front door imports this.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from visionkit.backends.base import Analyzer
from visionkit.backends.registry import get_backend_class
from visionkit.config import build_backend_options, resolve_backend_name, resolve_backend_options

_lock = threading.Lock()
_analyzers: dict[tuple[str, Any], Analyzer] = {}
_overrides: dict[str, Analyzer] = {}


def backend_options(name: str, options: dict[str, Any] | None = None) -> Any:
    """The typed options of backend ``name``: ``options`` over every configuration layer."""
    return build_backend_options(name, resolve_backend_options(name, options or {}))


def get_analyzer(name: str | None = None, **options: Any) -> Analyzer:
    """The analyzer for ``name`` (default: the configured backend) with resolved options.

    Keyword arguments override every other configuration layer. The same
    resolved options give back the same instance; close it with
    :func:`close_analyzers` (done for you at interpreter exit). Inside
    :func:`use_analyzer`, ``name`` gives the instance installed there.
    """
    backend = resolve_backend_name(name).value
    with _lock:
        installed = _overrides.get(backend)
    if installed is not None:
        return installed
    typed = backend_options(backend, options)
    key = (backend, typed)
    with _lock:
        analyzer = _analyzers.get(key)
        if analyzer is None:
            analyzer = get_backend_class(backend)(typed)
            _analyzers[key] = analyzer
    return analyzer


def new_analyzer(name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> Analyzer:
    """A fresh, unshared analyzer the caller owns and must close (a batch run's own pool).

    ``kwargs`` go to the constructor (``transport=`` for backends that
    :attr:`~visionkit.backends.base.Analyzer.accepts_transport`).
    """
    return get_backend_class(name)(backend_options(name, options), **kwargs)


@contextlib.contextmanager
def use_analyzer(analyzer: Analyzer, name: str | None = None) -> Iterator[Analyzer]:
    """Make ``get_analyzer(name)`` (and so ``analyze(..., backend=name)``) give ``analyzer``.

    ``name`` defaults to the analyzer's own. Meant for tests, with
    :class:`visionkit.testing.FakeAnalyzer`; the previous state comes back on exit.
    """
    backend = name or analyzer.name
    with _lock:
        previous = _overrides.get(backend)
        _overrides[backend] = analyzer
    try:
        yield analyzer
    finally:
        with _lock:
            if previous is None:
                _overrides.pop(backend, None)
            else:
                _overrides[backend] = previous


def close_analyzers() -> None:
    """Close and forget every cached analyzer (connection pools, loaded models)."""
    with _lock:
        analyzers = list(_analyzers.values())
        _analyzers.clear()
    for analyzer in analyzers:
        analyzer.close()


atexit.register(close_analyzers)

__all__ = ["backend_options", "close_analyzers", "get_analyzer", "new_analyzer", "use_analyzer"]

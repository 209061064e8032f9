"""Names -> analyzer classes, checked: the lookup the rest of visionkit uses.

:mod:`visionkit.backends.catalog` knows which names exist and imports them;
this module adds the check that what it found really is an
:class:`~visionkit.backends.base.Analyzer`, and run-time registration.
"""

from __future__ import annotations

from visionkit.backends.base import Analyzer
from visionkit.backends.catalog import (
    BUILTIN_BACKENDS,
    ENTRY_POINT_GROUP,
    backend_names,
    backends_supporting,
    load_backend,
)
from visionkit.backends.catalog import registered as _registered
from visionkit.errors import ConfigError


def register_backend(name: str, cls: type[Analyzer]) -> None:
    """Register a backend class at run time (tests, notebooks, private backends)."""
    _registered[name] = cls


def get_backend_class(name: str) -> type[Analyzer]:
    """Import and return the analyzer class registered as ``name``."""
    cls = load_backend(name)
    if not (isinstance(cls, type) and issubclass(cls, Analyzer)):
        raise ConfigError(f"Backend {name!r} ({cls!r}) is not a visionkit Analyzer subclass.")
    return cls


__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "backend_names",
    "backends_supporting",
    "get_backend_class",
    "register_backend",
]

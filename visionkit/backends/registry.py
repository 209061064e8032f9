"""Names -> analyzer classes, for built-in and third-party backends.

Built-ins are listed as import paths and imported only when first used, so
``import visionkit`` stays cheap. Other packages add a backend without any
change here by declaring an entry point::

    [project.entry-points."visionkit.backends"]
    mycloud = "mycloud_visionkit:MyCloudAnalyzer"
"""

from __future__ import annotations

import difflib
import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from visionkit.errors import ConfigError
from visionkit.features import Feature

if TYPE_CHECKING:
    from visionkit.backends.base import Analyzer

ENTRY_POINT_GROUP = "visionkit.backends"

BUILTIN_BACKENDS: dict[str, str] = {
    "local": "visionkit.backends.local:LocalAnalyzer",
    "azure": "visionkit.backends.azure:AzureAnalyzer",
}


@cache
def _discovered() -> dict[str, str]:
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    # Built-ins win: an installed plugin must not silently replace "azure".
    return {**found, **BUILTIN_BACKENDS}


_registered: dict[str, type[Analyzer]] = {}


def register_backend(name: str, cls: type[Analyzer]) -> None:
    """Register a backend class at run time (tests, notebooks, private backends)."""
    _registered[name] = cls


def backend_names() -> list[str]:
    """Every backend name that can be asked for, sorted."""
    return sorted({*_discovered(), *_registered})


def get_backend_class(name: str) -> type[Analyzer]:
    """Import and return the analyzer class registered as ``name``."""
    from visionkit.backends.base import Analyzer

    if name in _registered:
        return _registered[name]
    target = _discovered().get(name)
    if target is None:
        close = difflib.get_close_matches(name, backend_names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown backend {name!r}.{hint} Available backends: {', '.join(backend_names())}. "
            f"Third-party backends register under the entry-point group {ENTRY_POINT_GROUP!r}."
        )
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"Backend {name!r} is registered as {target!r} but could not be loaded: {exc}. "
            f"Reinstall the package that provides it."
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Analyzer)):
        raise ConfigError(f"Backend {name!r} ({target}) is not a visionkit Analyzer subclass.")
    return cls


def backends_supporting(feature: Feature) -> list[str]:
    """Names of the backends whose capabilities include ``feature`` (loadable ones only)."""
    names = []
    for name in backend_names():
        try:
            cls = get_backend_class(name)
        except ConfigError:
            continue
        if feature in cls.capabilities:
            names.append(name)
    return names


__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "backend_names",
    "backends_supporting",
    "get_backend_class",
    "register_backend",
]

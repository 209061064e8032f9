"""Which backends exist: built-in names, entry-point plugins and run-time registrations.

This is the bottom of the backend layer: it imports no backend and not even
:mod:`visionkit.backends.base`, so the base class can ask it which other
backends offer a feature without an import cycle. Loading and checking a
backend class is :mod:`visionkit.backends.registry`'s job.

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
from typing import Any

from visionkit.errors import ConfigError
from visionkit.features import Feature

ENTRY_POINT_GROUP = "visionkit.backends"

BUILTIN_BACKENDS: dict[str, str] = {
    "local": "visionkit.backends.local:LocalAnalyzer",
    "azure": "visionkit.backends.azure:AzureAnalyzer",
    "google": "visionkit.backends.google:GoogleAnalyzer",
    "aws": "visionkit.backends.aws:AwsAnalyzer",
    "fake": "visionkit.testing.fake:FakeAnalyzer",
}


@cache
def _discovered() -> dict[str, str]:
    # Importing importlib.metadata and scanning every installed distribution takes tens
    # of milliseconds, so it happens only when a name that is not built in is asked for.
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    # Built-ins win: an installed plugin must not silently replace "azure".
    return {**found, **BUILTIN_BACKENDS}


#: Classes registered at run time by :func:`visionkit.backends.registry.register_backend`.
registered: dict[str, Any] = {}


def backend_names() -> list[str]:
    """Every backend name that can be asked for, sorted."""
    return sorted({*_discovered(), *registered})


def load_backend(name: str) -> Any:
    """The object registered as ``name``, imported on first use; unchecked."""
    if name in registered:
        return registered[name]
    # Built-ins win over plugins of the same name, so they need no entry-point scan.
    target = BUILTIN_BACKENDS.get(name) or _discovered().get(name)
    if target is None:
        close = difflib.get_close_matches(name, backend_names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown backend {name!r}.{hint} Available backends: {', '.join(backend_names())}. "
            f"Third-party backends register under the entry-point group {ENTRY_POINT_GROUP!r}."
        )
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"Backend {name!r} is registered as {target!r} but could not be loaded: {exc}. "
            f"Reinstall the package that provides it."
        ) from exc


def backends_supporting(feature: Feature) -> list[str]:
    """Names of the backends whose capabilities include ``feature`` (loadable ones only).

    Used for the hint in :class:`~visionkit.errors.UnsupportedFeatureError`; the
    test double ``fake`` is left out, since suggesting it to a user would mislead.
    """
    names = []
    for name in backend_names():
        if name == "fake":
            continue
        try:
            cls = load_backend(name)
        except ConfigError:
            continue
        capabilities: object = getattr(cls, "capabilities", frozenset())
        if isinstance(capabilities, frozenset) and feature in capabilities:
            names.append(name)
    return names


__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "backend_names",
    "backends_supporting",
    "load_backend",
    "registered",
]

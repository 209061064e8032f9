"""The limits in force when a caller passes none: the usual configuration layers.

Precedence, highest first: an ``ImageLimits`` passed to ``load_image`` (which
replaces everything below), ``visionkit.configure(images={...})``, the
``VISIONKIT_IMAGES_<FIELD>`` environment variables, the config file's
``[images]`` table, the defaults. Backends call ``load_image`` without limits,
so this is how an application sets, say, ``allowed_hosts`` for every backend.

:mod:`visionkit.config` reads the ``configure()`` and file layers; it hands
them over through :func:`use_configuration` because it sits above this package
(it imports the backends, which import the image loader).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any

from visionkit.errors import ConfigError
from visionkit.images.validate import DEFAULT_LIMITS, ImageLimits
from visionkit.options import coerce

Layers = Callable[[], list[tuple[Mapping[str, Any], str]]]
"""Returns ``(table, where it came from)`` pairs, highest precedence first."""

ENV_PREFIX = "VISIONKIT_IMAGES_"
_NOT_CONFIGURABLE = frozenset({"resolver"})
_layers: Layers | None = None
_lock = threading.Lock()


def use_configuration(layers: Layers) -> None:
    """Called once by :mod:`visionkit.config` with its reader of the configured tables."""
    global _layers
    with _lock:
        _layers = layers


@functools.cache
def configurable_fields() -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(ImageLimits) if f.name not in _NOT_CONFIGURABLE}


@functools.cache
def _hints() -> dict[str, Any]:
    """``ImageLimits``' field types; resolving them is slow and they never change."""
    return typing.get_type_hints(ImageLimits)


def configured_limits(environ: Mapping[str, str] | None = None) -> ImageLimits:
    """The limits from ``configure()``, the environment and the config file, over the defaults."""
    env = os.environ if environ is None else environ
    fields = configurable_fields()
    hints = _hints()
    with _lock:
        layers = _layers
    tables = layers() if layers is not None else []
    configured, file_tables = tables[:1], tables[1:]
    env_table = {
        name: env[ENV_PREFIX + name.upper()]
        for name in fields
        if env.get(ENV_PREFIX + name.upper())
    }
    ordered = [*configured, (env_table, "environment"), *file_tables]
    if not any(table for table, _ in ordered):
        return DEFAULT_LIMITS
    values: dict[str, Any] = {}
    for table, where in reversed(ordered):  # lowest first, so higher layers overwrite
        for key, value in table.items():
            if key not in fields:
                valid = ", ".join(sorted(fields))
                raise ConfigError(
                    f"Unknown image setting {key!r} in {where}. Valid [images] settings: {valid}."
                )
            values[key] = _coerce(key, value, hints[key], where)
    return dataclasses.replace(DEFAULT_LIMITS, **values)


def _coerce(key: str, value: Any, tp: Any, where: str) -> Any:
    if tp == frozenset[str]:
        items = coerce(value, tuple[str, ...], name=f"images.{key}")
        return frozenset(str(v).upper() for v in items)
    number = coerce(value, tp, name=f"images.{key}")
    if isinstance(number, int | float) and not isinstance(number, bool) and number < 0:
        raise ConfigError(f"images.{key} (from {where}) must not be negative, got {value!r}.")
    return number


__all__ = ["ENV_PREFIX", "configurable_fields", "configured_limits", "use_configuration"]

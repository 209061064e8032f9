"""Azure's v3.2 JSON read into the SDK's msrest models in one pass, checked against their schema.

msrest's generic ``Deserializer`` is the schema of record (:mod:`.mapping`), but
it interprets every model's ``_attribute_map`` afresh for every value of every
answer, and on the hot path of a batch that cost more than the HTTP call's own
client work. :func:`read_model` walks the same ``_attribute_map`` entries,
compiled once per model class, and builds the same model objects (equal under
the models' ``__eq__``: same attributes, same ``additional_properties``).

It takes only what is plainly of the declared type: a JSON string where the
schema says ``str``, a number for ``float``, an integer for ``int``, ``true`` or
``false`` for ``bool``, an exact member value for an enum, an object for a
model, an array for a list, or ``null`` anywhere. Anything else (a value msrest
would coerce, such as ``"0.5"`` for a float, warn about, or refuse) raises
:class:`NotPlain`, and the caller deserializes that answer with msrest as
before, so odd answers get exactly msrest's result or error, named by field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

from azure.cognitiveservices.vision.computervision import models as sdk

_M = TypeVar("_M")

Reader = Callable[[Any], Any]


class NotPlain(Exception):
    """The answer needs msrest's own rules (coercion, a warning, or an error)."""


@cache
def _classes() -> dict[str, Any]:
    return {name: cls for name, cls in vars(sdk).items() if isinstance(cls, type)}


def read_model(model: type[_M], body: Mapping[str, Any]) -> _M:
    """``body`` as ``model``, equal to what msrest would build; :class:`NotPlain` if unsure."""
    try:
        data = body if type(body) is dict else dict(body)
        return cast(_M, _model_reader(model.__name__)(data))
    except NotPlain:
        raise
    except Exception as exc:  # RecursionError, OverflowError (float of a huge int), ...
        raise NotPlain from exc


def _plain_str(value: Any) -> str:
    if type(value) is not str:
        raise NotPlain
    return value


def _plain_float(value: Any) -> float:
    kind = type(value)
    if kind is float:
        if math.isnan(value):  # msrest logs a duplicate-extraction warning for NaN
            raise NotPlain
        return cast(float, value)
    if kind is int:
        return float(value)
    raise NotPlain


def _plain_int(value: Any) -> int:
    if type(value) is not int:
        raise NotPlain
    return value


def _plain_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise NotPlain
    return value


_BASIC: dict[str, Reader] = {
    "str": _plain_str,
    "float": _plain_float,
    "int": _plain_int,
    "bool": _plain_bool,
}


@cache
def _reader(data_type: str) -> Reader:
    """A function reading one value of msrest type ``data_type`` (``None`` stays ``None``)."""
    if data_type in _BASIC:
        basic = _BASIC[data_type]
        return lambda value: None if value is None else basic(value)
    if data_type.startswith("[") and data_type.endswith("]"):
        item = _reader(data_type[1:-1])

        def read_list(value: Any) -> list[Any] | None:
            if value is None:
                return None
            if type(value) is not list:
                raise NotPlain
            return [item(v) for v in value]

        return read_list
    cls = _classes().get(data_type)
    if cls is None:
        raise NotPlain  # a type this reader does not know: let msrest decide
    if issubclass(cls, Enum):
        members = {member.value: member for member in cls}

        def read_enum(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is not str or value not in members:
                raise NotPlain
            return members[value]

        return read_enum
    return _model_reader(data_type)


@cache
def _model_reader(name: str) -> Reader:
    cls = _classes()[name]
    if getattr(cls, "_subtype_map", None):
        raise NotPlain  # polymorphic models: msrest classifies them
    fields: list[tuple[str, str, str]] = []
    for attr, desc in cls._attribute_map.items():
        key, data_type = desc["key"], desc["type"]
        if attr == "additional_properties" or "." in key or "\\" in key:
            raise NotPlain  # flattened or escaped keys: msrest's extractors
        fields.append((attr, key, data_type))
    known = frozenset(key for _, key, _ in fields)
    # Resolved on first use: models refer to each other (and ObjectHierarchy to itself).
    resolved: list[tuple[tuple[str, str, Reader], ...]] = []

    def read(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not dict:
            raise NotPlain
        if not resolved:  # two threads may both resolve: the same tuple, harmlessly twice
            resolved.append(tuple((a, k, _reader(t)) for a, k, t in fields))
        state: dict[str, Any] = {}
        for attr, key, reader in resolved[0]:
            raw = value.get(key)
            state[attr] = None if raw is None else reader(raw)
        extra = value.keys() - known
        state["additional_properties"] = {k: value[k] for k in extra} if extra else {}
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        return obj

    return read


__all__ = ["NotPlain", "read_model"]

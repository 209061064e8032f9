"""The JSON Schema of :meth:`AnalysisResult.to_dict`, derived from the dataclasses.

Deriving it (rather than writing it by hand) means the published schema in
``docs/result.schema.json`` cannot drift from the code: a test regenerates it
and compares. Consumers in other languages validate against that file.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Union

from visionkit.results import SCHEMA_VERSION, AnalysisResult

UNIT_INTERVAL_FIELDS = frozenset(
    {
        "confidence",
        "AdultScores.adult",
        "AdultScores.racy",
        "AdultScores.gore",
        "AdultScores.reporting_threshold",
    }
)
"""Fields the result model validates to lie in [0, 1] (see ``results._check_confidence``)."""

_UNIT = {"type": "number", "minimum": 0, "maximum": 1}


def result_json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one serialised :class:`AnalysisResult`."""
    defs: dict[str, Any] = {}
    root = _object_schema(AnalysisResult, defs)
    root["properties"] = {"schema": {"const": SCHEMA_VERSION}, **root["properties"]}
    root["properties"]["raw"] = {"description": "The backend's own response, unchanged."}
    root["required"] = ["schema", *root.get("required", [])]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "visionkit AnalysisResult",
        **root,
        "$defs": defs,
    }


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in fields(cls):
        props[f.name] = _type_schema(hints[f.name], defs)
        if f.name in UNIT_INTERVAL_FIELDS or f"{cls.__name__}.{f.name}" in UNIT_INTERVAL_FIELDS:
            nullable = "anyOf" in props[f.name]
            props[f.name] = {"anyOf": [_UNIT, {"type": "null"}]} if nullable else _UNIT
        if f.default is MISSING and f.default_factory is MISSING:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    return schema


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [_type_schema(a, defs) for a in typing.get_args(tp)]
        return {"anyOf": options}
    if tp is type(None):
        return {"type": "null"}
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _type_schema(args[0], defs)}
        return {
            "type": "array",
            "prefixItems": [_type_schema(a, defs) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if isinstance(tp, type) and is_dataclass(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder first: recursive types (ObjectCategory)
            defs[tp.__name__] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}


def result_json_schema_text() -> str:
    return json.dumps(result_json_schema(), indent=2) + "\n"


__all__ = ["result_json_schema", "result_json_schema_text"]

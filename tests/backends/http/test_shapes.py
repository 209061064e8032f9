"""The depth guard's byte count: never says "cannot be too deep" of an answer that is."""

from __future__ import annotations

import json

import httpx
import pytest

from visionkit.backends.azure.flow import json_body
from visionkit.backends.http.shapes import MAX_JSON_DEPTH, may_nest_too_deep, too_deep
from visionkit.errors import BackendError

ENCODINGS = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


def _nested(depth: int) -> object:
    value: object = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("depth", [0, 1, 10, MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH - 1, 64, 65, 200])
def test_the_byte_count_is_never_short_of_the_nesting(depth, encoding):
    data = _nested(depth)
    content = json.dumps(data).encode(encoding)
    if too_deep(data):
        assert may_nest_too_deep(content)
    if not may_nest_too_deep(content):
        assert not too_deep(json.loads(content))


def test_braces_inside_strings_only_make_it_walk():
    shallow = {"tags": [{"name": "{[" * 40, "confidence": 0.5}]}
    content = json.dumps(shallow).encode()
    assert may_nest_too_deep(content) and not too_deep(shallow)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32-be"])
def test_an_answer_one_level_too_deep_is_refused_in_any_encoding(encoding):
    deep = {"tags": [], "x": _nested(MAX_JSON_DEPTH)}
    assert too_deep(deep) and not too_deep({"tags": [], "x": _nested(MAX_JSON_DEPTH - 2)})
    response = httpx.Response(200, content=json.dumps(deep).encode(encoding))
    with pytest.raises(BackendError, match="nested deeper"):
        json_body(response, "Analyze Image")
    fine = {"tags": [], "x": _nested(MAX_JSON_DEPTH - 2)}
    assert json_body(httpx.Response(200, content=json.dumps(fine).encode(encoding)), "x") == fine

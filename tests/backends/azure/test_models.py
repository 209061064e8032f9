"""The one-pass reader (:mod:`visionkit.backends.azure.models`) builds what msrest builds.

Every answer in the fixtures, and each of them with any one value replaced by
an odd one, is read both ways: the reader either gives objects equal to
msrest's, attribute by attribute and of the same types, or steps aside
(:class:`NotPlain`) so that msrest reads the answer as before. Results mapped
through the analyzer's path are then the same, ``to_dict()`` for ``to_dict()``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.cognitiveservices.vision.computervision import models as sdk

from visionkit.backends.azure import mapping, models
from visionkit.errors import BackendError

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "azure" / "spec-examples"

ODD = [None, "0.5", "x", "", 0, 1, 1.5, True, [], {}, [1], {"a": 1}, 10**400, float("nan"), "Male"]


def _bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    roots = [FIXTURES]
    if SHARED.is_dir():
        roots.append(SHARED)
    for root in roots:
        for path in sorted(root.rglob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            responses = data.get("responses") if isinstance(data, dict) else None
            if isinstance(responses, dict):
                for status, answer in responses.items():
                    body = answer.get("body") if isinstance(answer, dict) else None
                    if isinstance(body, dict) and str(status).startswith("2"):
                        yield f"{path.relative_to(root)}:{status}", body
            elif isinstance(data, dict) and any(
                k in data for k in ("tags", "analyzeResult", "metadata", "categories")
            ):
                yield str(path.relative_to(root)), data


BODIES = {name: body for name, body in _bodies()}
_seen: set[str] = set()
for _name in sorted(BODIES):  # the shared collection holds copies of the local files
    _text = json.dumps(BODIES[_name], sort_keys=True)
    if _text in _seen:
        del BODIES[_name]
    _seen.add(_text)


def _strict(got: Any, want: Any, path: str = "$") -> None:
    assert type(got) is type(want), path
    if hasattr(want, "_attribute_map"):
        assert got.__dict__.keys() == want.__dict__.keys(), path
        for key in want.__dict__:
            _strict(got.__dict__[key], want.__dict__[key], f"{path}.{key}")
    elif isinstance(want, dict):
        assert got.keys() == want.keys(), path
        for key in want:
            _strict(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _strict(g, w, f"{path}[{i}]")
    else:
        assert got == want or (got != got and want != want), path


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    node: Any = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copied


def _msrest_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def step_aside(model: Any, body: Any) -> Any:
        raise models.NotPlain

    monkeypatch.setattr(mapping, "read_model", step_aside)


def _outcome(body: dict[str, Any]) -> Any:
    try:
        return mapping.map_analysis(body, request_id="rid").to_dict()
    except BackendError as exc:
        return type(exc), str(exc), exc.code


def test_there_are_answers_to_compare() -> None:
    assert len(BODIES) >= 8


@pytest.mark.parametrize("name", sorted(BODIES))
@pytest.mark.parametrize("model", [sdk.ImageAnalysis, sdk.ReadOperationResult])
def test_every_fixture_reads_as_msrest_reads_it(name: str, model: type) -> None:
    body = BODIES[name]
    _strict(models.read_model(model, body), mapping._deserialize(model, body))


@pytest.mark.parametrize("name", sorted(BODIES))
@pytest.mark.parametrize("model", [sdk.ImageAnalysis, sdk.ReadOperationResult])
def test_any_odd_value_reads_as_msrest_reads_it_or_goes_to_msrest(name: str, model: type) -> None:
    body = BODIES[name]
    for path in list(_paths(body))[:: max(1, len(list(_paths(body))) // 60)]:
        for value in ODD:
            changed = _replaced(body, path, value)
            try:
                got = models.read_model(model, changed)
            except models.NotPlain:
                continue
            _strict(got, mapping._deserialize(model, changed), "/".join(map(str, path)))


@pytest.mark.parametrize("name", sorted(BODIES))
def test_mapped_results_are_the_same_as_through_msrest(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = BODIES[name]
    variants = [body] + [
        _replaced(body, path, value)
        for path in list(_paths(body))[:40]
        for value in ("0.5", None, 1.5, {})
    ]
    fast = [_outcome(v) for v in variants]
    _msrest_only(monkeypatch)
    assert fast == [_outcome(v) for v in variants]


# -- json_body: the key never survives, however the answer spells it -------------------------

SECRET = "5c1e7f0a9b3d4e6f8a2b1c0d9e8f7a6b"


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"tags": [{"name": SECRET, "confidence": 0.5}], SECRET: 1}).encode(),
        json.dumps({"tags": [{"name": SECRET, "confidence": 0.5}], SECRET: 1}).encode("utf-16"),
        json.dumps({"tags": [{"name": SECRET, "confidence": 0.5}]}).encode("utf-32-le"),
        ('{"tags": [{"name": "' + "".join(f"\\u{ord(c):04x}" for c in SECRET) + '"}]}').encode(),
        (
            '{"requestId": "' + SECRET[:5] + "\\u00" + f"{ord(SECRET[5]):02x}" + SECRET[6:] + '"}'
        ).encode(),
    ],
    ids=["plain", "utf-16", "utf-32-le", "all escaped", "one escaped"],
)
def test_json_body_scrubs_the_key_in_any_encoding_or_escape(content: bytes) -> None:
    import httpx

    from visionkit.backends.azure.flow import json_body
    from visionkit.backends.http import Scrubber

    body = json_body(httpx.Response(200, content=content), "Analyze Image", Scrubber([SECRET]))
    assert SECRET not in json.dumps(body)
    assert "<redacted>" in json.dumps(body)


def test_json_body_without_a_secret_is_the_decoded_answer() -> None:
    import httpx

    from visionkit.backends.azure.flow import json_body
    from visionkit.backends.http import Scrubber

    answer = {"tags": [{"name": "cat", "confidence": 0.5}], "modelVersion": "2021-05-01"}
    content = json.dumps(answer).encode()
    assert json_body(httpx.Response(200, content=content), "x", Scrubber([SECRET])) == answer

"""The cassette format: body encodings, file naming and order, parse errors, and the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from testing.cassette_factories import exchange

from visionkit.testing import (
    CassetteFormatError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
    write_cassette,
)
from visionkit.testing.bundled import BUNDLED_ROOT
from visionkit.testing.cassette import interaction_files, read_interaction

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "visionkit" / "testing" / "cassette.schema.json"


@pytest.mark.parametrize(
    ("content_type", "content", "encoding", "body"),
    [
        (
            "application/json; charset=utf-8",
            b'{"a": [1, 2.5, null]}',
            "json",
            {"a": [1, 2.5, None]},
        ),
        ("application/problem+json", b'{"title": "x"}', "json", {"title": "x"}),
        ("application/json", b"not json{", "text", "not json{"),
        ("text/plain; charset=utf-8", "caf\u00e9".encode(), "text", "caf\u00e9"),
        ("text/plain; charset=iso-8859-1", b"caf\xe9", "base64", "Y2Fm6Q=="),
        ("image/png", b"\x89PNG\r\n", "base64", "iVBORw0K"),
        ("", b"\x00\x01", "base64", "AAE="),
        ("application/json", b"", "text", ""),
    ],
)
def test_bodies_are_stored_in_their_most_readable_lossless_form(
    content_type: str, content: bytes, encoding: str, body: Any
) -> None:
    response = RecordedResponse.from_content(200, [("Content-Type", content_type)], content)
    assert (response.body_encoding, response.body) == (encoding, body)
    if encoding == "json":
        assert json.loads(response.content) == json.loads(content)
    else:
        assert response.content == content


def test_wire_headers_are_dropped_and_repeated_headers_folded() -> None:
    response = RecordedResponse.from_content(
        200,
        [
            ("Content-Length", "5"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
            ("Vary", "Accept"),
            ("vary", "Origin"),
            ("apim-request-id", "r1"),
        ],
        b"",
    )
    assert response.headers == (("vary", "Accept, Origin"), ("apim-request-id", "r1"))


def test_a_request_is_described_by_identity_not_content() -> None:
    request = httpx.Request(
        "post",
        "https://h.example/vision/v3.2/analyze?visualFeatures=Tags,Color&details=Landmarks",
        headers={"Content-Type": "application/octet-stream", "Ocp-Apim-Subscription-Key": "k"},
        content=b"abc",
    )
    described = RecordedRequest.from_httpx(request)
    assert described == RecordedRequest(
        method="POST",
        path="/vision/v3.2/analyze",
        query=(("details", "Landmarks"), ("visualFeatures", "Tags,Color")),
        headers=(("content-type", "application/octet-stream"),),
        body_sha256="ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        body_length=3,
    )
    assert str(described) == (
        "POST /vision/v3.2/analyze?details=Landmarks&visualFeatures=Tags,Color"
    )


def test_interactions_survive_a_trip_through_a_file(tmp_path: Path) -> None:
    interactions = [
        exchange("POST", "/vision/v3.2/analyze?language=en", {"tags": []}, comment="by hand"),
        exchange("GET", "/", "plain text", status=404, headers=(("x-ms-error", "NotFound"),)),
        Interaction(
            RecordedRequest("GET", "/thumb", body_sha256="0" * 64, body_length=0),
            RecordedResponse.from_content(200, [("content-type", "image/png")], b"\x89PNG"),
            recorded_at="2026-11-29T10:00:00Z",
        ),
    ]
    written = write_cassette(tmp_path, interactions)
    assert [p.name for p in written] == [
        "001-post-vision-v3.2-analyze.json",
        "002-get-root.json",
        "003-get-thumb.json",
    ]
    assert [interaction for _, interaction in load_cassette(tmp_path)] == interactions


def test_play_order_is_numeric_and_other_files_are_ignored(tmp_path: Path) -> None:
    for name in ["010-get-j.json", "002-get-b.json", "1000-get-z.json", "notes.json", "x.txt"]:
        (tmp_path / name).write_text(exchange("GET", "/x", {}).to_json())
    assert [p.name for p in interaction_files(tmp_path)] == [
        "002-get-b.json",
        "010-get-j.json",
        "1000-get-z.json",
    ]
    assert interaction_files(tmp_path / "absent") == []


def test_write_cassette_replaces_old_interactions_but_keeps_other_files(tmp_path: Path) -> None:
    write_cassette(tmp_path, [exchange("GET", "/a", {}), exchange("GET", "/b", {})])
    (tmp_path / "README.md").write_text("how this was recorded")
    write_cassette(tmp_path, [exchange("GET", "/c", {})])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["001-get-c.json", "README.md"]


def _broken(tmp_path: Path, edit: Any) -> Path:
    data = exchange("GET", "/a", {}).to_dict()
    edit(data)
    path = tmp_path / "001-get-a.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("recorded_at"), "missing recorded_at"),
        (lambda d: d["request"].pop("query"), "missing request.query"),
        (lambda d: d.update(extra=1), r"unknown key\(s\) extra"),
        (lambda d: d.update(format="vcr/2"), "format is 'vcr/2'; this visionkit reads"),
        (lambda d: d["response"].update(body_encoding="hex"), "body_encoding must be one of"),
        (lambda d: d["response"].update(body_encoding="text"), "body must be a string"),
        (lambda d: d["response"].update(status="200"), "response.status must be an integer"),
        (lambda d: d["request"].update(query=[["a"]]), r"request.query must be a list of \["),
        (lambda d: d["request"].update(headers={"a": 1}), "request.headers must be an object"),
    ],
)
def test_format_errors_name_the_file_and_the_key(tmp_path: Path, edit: Any, message: str) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(CassetteFormatError, match=message) as caught:
        read_interaction(path)
    assert caught.value.path == path
    assert str(caught.value).startswith(str(path))


def test_a_file_that_is_not_json_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "001-get-a.json"
    path.write_text("{ not json")
    with pytest.raises(CassetteFormatError, match="not valid JSON"):
        load_cassette(tmp_path)


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_the_schema_in_the_docs_is_the_shipped_schema() -> None:
    docs = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    section = docs.split("### JSON Schema", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == _schema()


def test_written_and_bundled_files_follow_the_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    write_cassette(
        tmp_path,
        [
            exchange("GET", "/a?b=c", {"x": [1]}, comment="hand-made"),
            Interaction(
                RecordedRequest("POST", "/p", (), (("content-type", "image/png"),), "a" * 64, 9),
                RecordedResponse.from_content(200, [("Content-Type", "image/png")], b"\x00"),
                recorded_at="2026-11-29T10:00:00Z",
            ),
        ],
    )
    files = interaction_files(tmp_path) + sorted(BUNDLED_ROOT.rglob("*.json"))
    assert len(files) > 2
    for path in files:
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
        assert errors == [], path


def test_the_schema_rejects_what_the_reader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    data = exchange("GET", "/a", {}).to_dict()
    data["response"]["body_encoding"] = "base64"  # with a JSON object as body
    assert not validator.is_valid(data)

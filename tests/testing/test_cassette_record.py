"""Record mode against a fake Azure on 127.0.0.1: real transports, real sockets, no network."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from testing.cassette_factories import PNG_BYTES

from visionkit.testing import CassetteError, bundled_cassette, load_cassette, replay

KEY = {"Ocp-Apim-Subscription-Key": "sk-TEST-SECRET-123"}


def _read_operation(client: httpx.Client) -> list[str]:
    """What the Azure backend does for text: submit, then poll until it is done."""
    location = client.post("/vision/v3.2/read/analyze", content=b"jpeg").headers[
        "operation-location"
    ]
    statuses = [client.get(location).json()["status"]]
    while statuses[-1] == "running":
        statuses.append(client.get(location).json()["status"])
    return statuses


def test_recording_writes_one_file_per_interaction_in_order(upstream: str, tmp_path: Path) -> None:
    path = tmp_path / "read"
    with (
        replay(path, mode="record") as cassette,
        httpx.Client(base_url=upstream, headers=KEY) as client,
    ):
        statuses = _read_operation(client)
    assert cassette.mode == "record"
    assert statuses == ["running", "succeeded"]
    assert [p.name for p in cassette.written] == [
        "001-post-vision-v3.2-read-analyze.json",
        "002-get-vision-v3.2-read-analyzeresults-op-1.json",
        "003-get-vision-v3.2-read-analyzeresults-op-1.json",
    ]
    (_, submit), (_, first), (_, second) = load_cassette(path)
    assert submit.request.body_sha256 is not None
    assert submit.request.body_length == 4
    assert submit.response.status == 202
    assert dict(submit.response.headers)["operation-location"] == (
        "https://<endpoint>/vision/v3.2/read/analyzeResults/op-1"
    )
    assert (first.response.body, second.response.body) == (
        {"status": "running"},
        {"status": "succeeded"},
    )


async def test_async_clients_are_recorded_too(upstream: str, tmp_path: Path) -> None:
    with replay(tmp_path / "async", mode="record") as cassette:
        async with httpx.AsyncClient(base_url=upstream, headers=KEY) as client:
            response = await client.post("/vision/v3.2/analyze", params={"visualFeatures": "Tags"})
    assert response.json()["tags"] == [{"name": "cat", "confidence": 0.99}]
    ((_, recorded),) = load_cassette(tmp_path / "async")
    assert recorded.request.query == (("visualFeatures", "Tags"),)
    assert cassette.written[0].name == "001-post-vision-v3.2-analyze.json"


def test_a_recording_replays_to_the_same_responses_without_the_upstream(
    upstream: str, tmp_path: Path
) -> None:
    """Record against the server, then replay the same calls: same answers, server unused."""
    path = tmp_path / "roundtrip"

    def calls(client: httpx.Client) -> list[tuple[int, str | None, bytes]]:
        responses = [
            client.post("/vision/v3.2/analyze", params={"visualFeatures": "Tags"}),
            client.get("/gzip"),
            client.get("/thumbnail"),
        ]
        return [(r.status_code, r.headers.get("content-type"), r.content) for r in responses]

    with replay(path, mode="record"), httpx.Client(base_url=upstream, headers=KEY) as client:
        live = calls(client)
    with (
        replay(path, mode="replay") as cassette,
        httpx.Client(base_url="https://elsewhere.example", headers=KEY) as client,
    ):
        replayed = calls(client)
        cassette.assert_all_played()
    assert [(s, t) for s, t, _ in replayed] == [(s, t) for s, t, _ in live]
    assert json.loads(replayed[1][2]) == json.loads(live[1][2]) == {"zipped": True}
    assert replayed[2][2] == live[2][2] == PNG_BYTES
    # JSON bodies are re-serialised on replay: equal as JSON, and scrubbed of the key.
    assert json.loads(replayed[0][2])["echo"] == "key was <redacted>"


def test_gzip_is_stored_decoded_and_binary_as_base64(upstream: str, tmp_path: Path) -> None:
    with replay(tmp_path / "bodies", mode="record"), httpx.Client(base_url=upstream) as client:
        assert client.get("/gzip").json() == {"zipped": True}
        assert client.get("/thumbnail").content == PNG_BYTES
    (_, zipped), (_, image) = load_cassette(tmp_path / "bodies")
    assert (zipped.response.body_encoding, zipped.response.body) == ("json", {"zipped": True})
    assert "content-encoding" not in dict(zipped.response.headers)
    assert image.response.body_encoding == "base64"
    assert base64.b64decode(image.response.body) == PNG_BYTES


def test_nothing_is_written_when_the_block_fails(upstream: str, tmp_path: Path) -> None:
    """A half-recorded scenario must not look like a whole one to mode='auto'."""
    path = tmp_path / "failed"

    def fetch_then_fail(client: httpx.Client) -> None:
        client.get("/thumbnail")
        raise RuntimeError("test failed")

    with (
        pytest.raises(RuntimeError, match="test failed"),
        replay(path, mode="record") as cassette,
        httpx.Client(base_url=upstream) as client,
    ):
        fetch_then_fail(client)
    assert len(cassette.interactions) == 1  # captured, but never written
    assert not path.exists()


def test_re_recording_replaces_the_old_interactions(upstream: str, tmp_path: Path) -> None:
    path = tmp_path / "again"
    path.mkdir()
    (path / "README.md").write_text("kept")
    (path / "007-get-stale.json").write_text("{}")
    with replay(path, mode="record"), httpx.Client(base_url=upstream) as client:
        client.get("/thumbnail")
    assert sorted(p.name for p in path.iterdir()) == ["001-get-thumbnail.json", "README.md"]


def test_recordings_do_not_nest(tmp_path: Path) -> None:
    with (
        replay(tmp_path / "outer", mode="record"),
        pytest.raises(CassetteError, match="do not nest"),
        replay(tmp_path / "inner", mode="record"),
    ):
        pass


def test_auto_mode_records_a_missing_cassette_when_a_key_is_set(
    upstream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", "sk-TEST-SECRET-123")
    path = tmp_path / "auto"
    with replay(path, mode="auto") as first, httpx.Client(base_url=upstream) as client:
        client.get("/thumbnail")
    with replay(path, mode="auto") as second, httpx.Client(base_url=upstream) as client:
        client.get("/thumbnail")
    assert (first.mode, second.mode) == ("record", "replay")


def test_visionkit_record_env_switches_a_plain_replay_to_recording(
    upstream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISIONKIT_RECORD", "1")
    with replay(tmp_path / "env") as cassette, httpx.Client(base_url=upstream) as client:
        client.get("/thumbnail")
    assert cassette.mode == "record"
    assert [p.name for p in cassette.written] == ["001-get-thumbnail.json"]


def test_a_recording_that_captured_nothing_leaves_the_cassette_alone(tmp_path: Path) -> None:
    path = tmp_path / "untouched"
    path.mkdir()
    (path / "001-get-a.json").write_text("{}")
    with replay(path, mode="record") as cassette:
        pass
    assert cassette.written == []
    assert [p.name for p in path.iterdir()] == ["001-get-a.json"]


def test_bundled_cassettes_are_replayed_even_when_recording_is_switched_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VISIONKIT_RECORD", "1")
    with replay(bundled_cassette("azure/read-text")) as cassette:
        assert httpx.post("https://h.example/vision/v3.2/read/analyze").status_code == 202
    assert cassette.mode == "replay"
    with (
        pytest.raises(CassetteError, match="is a bundled cassette"),
        replay(bundled_cassette("azure/read-text"), mode="record"),
    ):
        pass

"""Replay: plain httpx clients, sync and async, served from hand-written cassettes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from testing.cassette_factories import exchange

from visionkit.testing import (
    CassetteNotFoundError,
    UnmatchedRequestError,
    UnplayedInteractionsError,
    bundled_cassette,
    replay,
)
from visionkit.testing.errors import CassetteError
from visionkit.testing.playback import resolve_mode

MakeCassette = Callable[..., Path]
ENDPOINT = "https://myres.cognitiveservices.azure.com"


def test_sync_client_created_outside_the_block_is_served(make_cassette: MakeCassette) -> None:
    path = make_cassette(
        exchange(
            "POST",
            "/vision/v3.2/analyze?visualFeatures=Tags",
            {"tags": [{"name": "cat", "confidence": 0.99}]},
            headers=(("apim-request-id", "req-1"),),
        )
    )
    client = httpx.Client(base_url=ENDPOINT)
    with replay(path) as cassette:
        response = client.post("/vision/v3.2/analyze", params={"visualFeatures": "Tags"})
    assert response.status_code == 200
    assert response.json() == {"tags": [{"name": "cat", "confidence": 0.99}]}
    assert response.headers["apim-request-id"] == "req-1"
    assert cassette.play_count == 1


async def test_async_client_created_inside_the_block_is_served(make_cassette: MakeCassette) -> None:
    path = make_cassette(exchange("GET", "/models", {"models": []}, status=200))
    with replay(path):
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{ENDPOINT}/models")
    assert response.json() == {"models": []}


def test_interception_ends_with_the_block(make_cassette: MakeCassette) -> None:
    """respx is unpatched on exit: later requests go to the real transport (here: refused)."""
    path = make_cassette(exchange("GET", "/a", {"ok": True}))
    with replay(path):
        httpx.get("http://127.0.0.1:9/a")
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:9/a")


def test_identical_requests_get_the_recorded_answers_in_order(make_cassette: MakeCassette) -> None:
    poll = "/vision/v3.2/read/analyzeResults/op-1"
    path = make_cassette(
        exchange("GET", poll, {"status": "running"}),
        exchange("GET", poll, {"status": "running"}),
        exchange("GET", poll, {"status": "succeeded"}),
    )
    seen: list[str] = []

    def poll_forever(client: httpx.Client) -> None:
        while True:
            seen.append(client.get(poll).json()["status"])

    with (
        pytest.raises(UnmatchedRequestError, match=r"recorded 3 time\(s\)") as caught,
        replay(path),
        httpx.Client(base_url=ENDPOINT) as client,
    ):
        poll_forever(client)
    assert seen == ["running", "running", "succeeded"]
    assert "every recorded answer has been served" in str(caught.value)


def test_different_requests_match_independently_of_order(make_cassette: MakeCassette) -> None:
    """Concurrent requests (analyze and read at once) may arrive in either order."""
    path = make_cassette(
        exchange("POST", "/vision/v3.2/analyze", {"which": "analyze"}),
        exchange("POST", "/vision/v3.2/read/analyze", "", status=202),
    )

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=ENDPOINT) as client:
            return list(
                await asyncio.gather(
                    client.post("/vision/v3.2/read/analyze"), client.post("/vision/v3.2/analyze")
                )
            )

    with replay(path) as cassette:
        read, analyze = asyncio.run(both())
        cassette.assert_all_played()
    assert (read.status_code, analyze.json()) == (202, {"which": "analyze"})


def test_unmatched_request_error_lists_the_recording_and_the_difference(
    make_cassette: MakeCassette,
) -> None:
    path = make_cassette(
        exchange("POST", "/vision/v3.2/analyze?visualFeatures=Tags,Color", {}),
        exchange("GET", "/vision/v3.2/models", {}),
    )
    with pytest.raises(UnmatchedRequestError) as caught, replay(path):
        httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", params={"visualFeatures": "Tags"})
    message = str(caught.value)
    assert "No interaction recorded in cassette" in message
    assert "matches POST /vision/v3.2/analyze?visualFeatures=Tags" in message
    assert "001-post-vision-v3.2-analyze.json: POST /vision/v3.2/analyze" in message
    assert "002-get-vision-v3.2-models.json: GET /vision/v3.2/models" in message
    assert "query visualFeatures: recorded 'Tags,Color', requested 'Tags'" in message
    assert "VISIONKIT_RECORD=1" in message


def test_a_mismatch_swallowed_by_the_code_under_test_fails_at_exit(
    make_cassette: MakeCassette,
) -> None:
    """Code that catches every error (a retry loop, a fallback) must not hide a mismatch."""
    path = make_cassette(exchange("GET", "/a", {}))

    def tolerant_fetch() -> None:
        with contextlib.suppress(Exception):
            httpx.get(f"{ENDPOINT}/b")

    with (
        pytest.raises(UnmatchedRequestError, match="where the code under test caught it"),
        replay(path),
    ):
        tolerant_fetch()


def test_strict_mode_matches_the_request_body_digest(make_cassette: MakeCassette) -> None:
    image = b"\xff\xd8\xff recorded jpeg"
    path = make_cassette(
        exchange("POST", "/vision/v3.2/analyze", {"which": "pinned"}, request_body=image),
        name="pinned",
    )
    with replay(path, strict=True):
        assert httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", content=image).json() == {
            "which": "pinned"
        }
    with (
        pytest.raises(UnmatchedRequestError, match=r"body: recorded sha256 .*\(17 bytes\)"),
        replay(path, strict=True),
    ):
        httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", content=b"another image")
    with replay(path, strict=False):
        assert httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", content=b"another image").is_success


def test_strict_mode_accepts_any_body_where_none_was_pinned(make_cassette: MakeCassette) -> None:
    path = make_cassette(exchange("POST", "/vision/v3.2/analyze", {"any": True}))
    with replay(path, strict=True):
        assert httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", content=b"whatever").json() == {
            "any": True
        }


def test_assert_all_played_names_what_was_never_requested(make_cassette: MakeCassette) -> None:
    path = make_cassette(exchange("GET", "/a", {}), exchange("GET", "/b", {}))
    with replay(path) as cassette:
        httpx.get(f"{ENDPOINT}/a")
        with pytest.raises(UnplayedInteractionsError, match=r"1 of 2 .*: 002-get-b\.json$"):
            cassette.assert_all_played()


def test_endpoint_placeholder_becomes_the_live_endpoint(make_cassette: MakeCassette) -> None:
    """A recorded Operation-Location must lead back to whichever endpoint the test uses."""
    location = "https://<endpoint>/vision/v3.2/read/analyzeResults/op-1"
    path = make_cassette(
        exchange(
            "POST",
            "/vision/v3.2/read/analyze",
            "",
            status=202,
            headers=(("operation-location", location),),
        ),
        exchange("GET", "/vision/v3.2/read/analyzeResults/op-1", {"next": "https://<endpoint>/x"}),
    )
    with replay(path), httpx.Client(base_url="http://localhost:8080") as client:
        submitted = client.post("/vision/v3.2/read/analyze")
        polled = client.get(submitted.headers["operation-location"])
    assert submitted.headers["operation-location"] == (
        "http://localhost:8080/vision/v3.2/read/analyzeResults/op-1"
    )
    assert polled.json() == {"next": "http://localhost:8080/x"}


def test_a_fresh_signature_matches_the_redacted_recording(make_cassette: MakeCassette) -> None:
    path = make_cassette(exchange("GET", "/blob?sig=<redacted>&sv=2024", {"ok": True}))
    with replay(path):
        response = httpx.get(f"{ENDPOINT}/blob", params={"sv": "2024", "sig": "c2lnbmF0dXJlLTQy"})
    assert response.json() == {"ok": True}


def test_replaying_a_missing_cassette_says_how_to_record_it(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteNotFoundError, match="VISIONKIT_RECORD=1") as caught,
        replay(tmp_path / "nothing-here"),
    ):
        pass
    assert caught.value.path == tmp_path / "nothing-here"


@pytest.mark.parametrize(
    ("env", "expected"),
    [("", "replay"), ("0", "replay"), ("1", "record"), ("true", "record"), ("auto", "auto")],
)
def test_visionkit_record_env_sets_the_default_mode(
    monkeypatch: pytest.MonkeyPatch, env: str, expected: str
) -> None:
    monkeypatch.setenv("VISIONKIT_RECORD", env)
    assert resolve_mode(None) == expected
    assert resolve_mode("replay") == "replay"  # an explicit mode wins


def test_an_unknown_visionkit_record_value_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISIONKIT_RECORD", "please")
    with pytest.raises(CassetteError, match="VISIONKIT_RECORD='please' is not understood"):
        resolve_mode(None)


def test_auto_mode_replays_an_existing_cassette(make_cassette: MakeCassette) -> None:
    path = make_cassette(exchange("GET", "/a", {"replayed": True}))
    with replay(path, mode="auto") as cassette:
        assert httpx.get(f"{ENDPOINT}/a").json() == {"replayed": True}
    assert cassette.mode == "replay"


def test_auto_mode_without_cassette_or_key_fails_clearly(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteNotFoundError, match="none of AZURE_VISION_KEY, VISION_KEY"),
        replay(tmp_path / "missing", mode="auto"),
    ):
        pass


def test_bundled_read_cassette_plays_a_whole_read_operation() -> None:
    """The shipped cassette: submit, one 'running' poll, then the published result."""
    with replay(bundled_cassette("azure/read-text")) as cassette:
        with httpx.Client(base_url=ENDPOINT, headers={"Ocp-Apim-Subscription-Key": "k"}) as client:
            submitted = client.post("/vision/v3.2/read/analyze", json={"url": "https://x/y.jpg"})
            location = submitted.headers["operation-location"]
            first = client.get(location).json()
            second = client.get(location).json()
        cassette.assert_all_played()
    assert submitted.status_code == 202
    assert location.startswith(f"{ENDPOINT}/vision/v3.2/read/analyzeResults/")
    assert first["status"] == "running"
    assert second["status"] == "succeeded"
    assert second["analyzeResult"]["readResults"][0]["lines"][0]["text"] == (
        "Our greatest glory is not"
    )


def test_bundled_analyze_cassette_answers_the_query_the_azure_backend_sends() -> None:
    query = {
        "visualFeatures": "Categories,Tags,Description,Faces,ImageType,Color,Adult,Objects,Brands",
        "details": "Celebrities,Landmarks",
    }
    with replay(bundled_cassette("azure/analyze-all-features")):
        body = httpx.post(f"{ENDPOINT}/vision/v3.2/analyze", params=query, content=b"jpeg").json()
    assert body["metadata"] == {"width": 1500, "height": 1000, "format": "Jpeg"}
    assert [t["name"] for t in body["tags"]][:2] == ["person", "man"]

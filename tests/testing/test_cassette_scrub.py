"""Scrubbing: no key, token, signature or resource host may reach a cassette file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
import respx
from testing.cassette_factories import exchange

from visionkit.testing import (
    Interaction,
    RecordedResponse,
    ScrubRules,
    load_cassette,
    replay,
    scrub_cassette,
    scrub_interaction,
    write_cassette,
)
from visionkit.testing.errors import CassetteError
from visionkit.testing.scrub import REDACTED, check_recordable, secrets_in

SECRET = "sk-TEST-SECRET-123"
ENDPOINT = "https://myres.cognitiveservices.azure.com"
HOST = "myres.cognitiveservices.azure.com"


def _fake_azure(router: respx.MockRouter) -> None:
    """An upstream that leaks everything it can: echoes, cookies, tokens, absolute URLs."""
    router.post("/vision/v3.2/analyze").respond(
        200,
        json={
            "echo": f"you sent {SECRET}",
            "accessToken": "eyJhbGciOiJIUzI1NiJ9.payload.sig",
            "self": f"{ENDPOINT}/vision/v3.2/analyze",
            "keywords": ["kept"],
        },
        headers={
            "Set-Cookie": f"s={SECRET}",
            "apim-request-id": "req-1",
            "x-ms-token": "tok-123456",
        },
    )
    router.post("/vision/v3.2/read/analyze").respond(
        202, headers={"Operation-Location": f"{ENDPOINT}/vision/v3.2/read/analyzeResults/op-1"}
    )
    router.get("/vision/v3.2/generateThumbnail").respond(
        200,
        content=b"\x89PNG" + SECRET.encode() + b"\x00\xff",
        headers={"Content-Type": "image/png"},
    )


def _record_leaky_session(path: Path) -> None:
    with respx.mock(base_url=ENDPOINT, assert_all_called=True) as router:
        _fake_azure(router)
        with replay(path, mode="record"), httpx.Client(base_url=ENDPOINT) as client:
            client.post(
                "/vision/v3.2/analyze",
                params={"visualFeatures": "Tags", "subscription-key": SECRET},
                headers={"Ocp-Apim-Subscription-Key": SECRET, "Authorization": f"Bearer {SECRET}"},
                content=b"jpeg",
            )
            client.post("/vision/v3.2/read/analyze", headers={"x-api-key": SECRET}, content=b"j")
            client.get("/vision/v3.2/generateThumbnail", params={"sig": SECRET, "sv": "2024"})


def test_no_secret_or_host_reaches_the_files(tmp_path: Path) -> None:
    path = tmp_path / "leaky"
    _record_leaky_session(path)
    files = sorted(path.iterdir())
    assert len(files) == 3
    for file in files:
        text = file.read_text(encoding="utf-8")
        decoded = [text]
        body = json.loads(text)["response"]
        if body["body_encoding"] == "base64":
            decoded.append(base64.b64decode(body["body"]).decode("latin-1"))
        for content in decoded:
            assert SECRET not in content, file.name
            assert "myres" not in content, file.name


def test_what_scrubbing_leaves_is_still_useful(tmp_path: Path) -> None:
    path = tmp_path / "leaky"
    _record_leaky_session(path)
    (_, analyze), (_, read), (_, thumb) = load_cassette(path)
    assert analyze.request.query == (("subscription-key", REDACTED), ("visualFeatures", "Tags"))
    assert analyze.response.body == {
        "echo": f"you sent {REDACTED}",
        "accessToken": REDACTED,
        "self": "https://<endpoint>/vision/v3.2/analyze",
        "keywords": ["kept"],
    }
    assert dict(analyze.response.headers).keys() == {"content-type", "apim-request-id"}
    assert dict(read.response.headers)["operation-location"] == (
        "https://<endpoint>/vision/v3.2/read/analyzeResults/op-1"
    )
    assert thumb.request.query == (("sig", REDACTED), ("sv", "2024"))
    assert base64.b64decode(thumb.response.body) == b"\x89PNG" + REDACTED.encode() + b"\x00\xff"


def test_the_scrubbed_recording_replays_with_a_different_key(tmp_path: Path) -> None:
    """Redacted query values match whatever a later run sends in their place."""
    path = tmp_path / "leaky"
    _record_leaky_session(path)
    with replay(path) as cassette, httpx.Client(base_url="https://other.example") as client:
        response = client.get(
            "/vision/v3.2/generateThumbnail", params={"sig": "another-signature", "sv": "2024"}
        )
    assert response.content.startswith(b"\x89PNG")
    assert cassette.play_count == 1


@pytest.mark.parametrize(
    "name",
    [
        "Ocp-Apim-Subscription-Key",
        "Authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "accessKey",
        "access_token",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
        "sig",
        "Set-Cookie",
        "client_secret",
    ],
)
def test_sensitive_names(name: str) -> None:
    assert ScrubRules().is_sensitive(name)


@pytest.mark.parametrize(
    "name", ["keywords", "visualFeatures", "apim-request-id", "content-type", "design", "monkey"]
)
def test_names_that_only_look_sensitive_are_kept(name: str) -> None:
    assert not ScrubRules().is_sensitive(name)


def test_rules_can_name_more_words_secrets_and_hosts() -> None:
    rules = ScrubRules(
        sensitive_words=(*ScrubRules().sensitive_words, "session"),
        extra_secrets=("hunter2-password",),
        extra_hosts=("mirror.internal:8443",),
    )
    interaction = exchange(
        "GET",
        "/a?session=abc&q=1",
        {"note": "hunter2-password at https://mirror.internal:8443/x"},
    )
    scrubbed = scrub_interaction(interaction, rules=rules)
    assert scrubbed.request.query == (("q", "1"), ("session", REDACTED))
    assert scrubbed.response.body == {"note": f"{REDACTED} at https://<endpoint>/x"}


def test_a_short_secret_is_hunted_too() -> None:
    """A 5-character key echoed in a body must go, like a 32-character one."""
    interaction = exchange("GET", "/a?q=1", {"echo": "key k3y5x here"})
    scrubbed = scrub_interaction(interaction, secrets=["k3y5x"])
    assert scrubbed.response.body == {"echo": f"key {REDACTED} here"}


def test_record_mode_refuses_a_secret_too_short_to_scrub_safely() -> None:
    """Removing every 'en' from a cassette would wreck it: refuse to record instead."""
    request = httpx.Request("GET", "https://h.example/a?sig=en&language=en")
    with pytest.raises(CassetteError, match="only 2 character"):
        check_recordable(secrets_in(request))
    check_recordable(secrets_in(httpx.Request("GET", "https://h.example/a?sig=longenough")))


def test_scrub_cassette_cleans_an_existing_cassette_in_place(tmp_path: Path) -> None:
    leaked = Interaction(
        request=exchange("GET", "/vision/v3.2/models?api-key=" + SECRET, None).request,
        response=RecordedResponse(
            200, (("location", f"{ENDPOINT}/x"),), f"key {SECRET} on {HOST}", "text"
        ),
        recorded_at="2026-11-29T10:00:00Z",
        comment=f"recorded against {ENDPOINT}",
    )
    clean = exchange("GET", "/other", {"fine": True})
    write_cassette(tmp_path, [leaked, clean])

    changed = scrub_cassette(tmp_path, secrets=[SECRET], hosts=[HOST])

    assert [p.name for p in changed] == ["001-get-vision-v3.2-models.json"]
    text = changed[0].read_text(encoding="utf-8")
    assert SECRET not in text and HOST not in text
    assert "recorded against https://<endpoint>" in text
    assert scrub_cassette(tmp_path, secrets=[SECRET], hosts=[HOST]) == []  # idempotent

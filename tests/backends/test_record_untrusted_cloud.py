"""Record mode against a server on 127.0.0.1 that answers as Google or AWS and echoes
every secret it was sent, in its body and its headers.

The backends run for real (their own request building, signing and headers:
``X-Goog-Api-Key``, ``Authorization: Bearer``, SigV4's ``Authorization:
AWS4-HMAC-SHA256 Credential=AKID/..., Signature=...``, ``X-Amz-Security-Token``,
``X-Amz-Date``) under ``replay(mode="record")``. The cassette written must hold no
secret by value, in any form the server chose (as sent, JSON-escaped,
percent-encoded, inside a URL), and must still replay. The answers are hand-made.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from backends.http.fake_server import (
    MisbehavingServer,
    Request,
    answer,
    drip,
    endless,
    gzip_bomb,
)
from PIL import Image

from visionkit.errors import BackendError, BackendTimeoutError
from visionkit.testing import load_cassette, replay


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((128, 96)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


IMAGE = _png()


def _echoes(values: list[str]) -> str:
    """Every value the way a careless or hostile server might send it back."""
    forms = [*values, *(quote(v, safe="") for v in values)]
    return " ".join(forms)


def _echoing(body: Callable[[str], dict[str, Any]], values_of: Callable[[Request], list[str]]):
    """A behaviour: a 200 whose body and headers carry every secret of the request."""

    def behave(request: Request, sock: Any) -> None:
        values = values_of(request)
        echoed = _echoes(values)
        headers = {
            "X-Echo": echoed,
            "x-amzn-RequestId": values[0],
            "Location": "http://127.0.0.1/next?" + "&".join(f"v={quote(v)}" for v in values),
        }
        answer(200, json.dumps(body(echoed)).encode(), headers)(request, sock)

    return behave


def _cassette_text(path: Path) -> str:
    files = sorted(path.glob("*.json"))
    assert files, "nothing was recorded"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _assert_none_in(text: str, values: list[str]) -> None:
    for value in values:
        for form in {value, quote(value, safe=""), quote(value), json.dumps(value)[1:-1]}:
            assert form not in text, f"{form[:12]}... is in the cassette"


# -- Google ---------------------------------------------------------------------------------


def _google_body(echoed: str) -> dict[str, Any]:
    return {"responses": [{"labelAnnotations": [{"description": echoed, "score": 0.9}]}]}


def test_a_google_api_key_echoed_back_never_reaches_the_cassette(
    misbehaving_server: MisbehavingServer, tmp_path: Path
) -> None:
    from visionkit.backends.google import GoogleAnalyzer

    key = "AIzaSyVK-" + secrets.token_urlsafe(24)
    misbehaving_server.behaviour = _echoing(_google_body, lambda r: [r.headers["x-goog-api-key"]])
    path = tmp_path / "google-key"
    options = {"api_key": key, "endpoint": misbehaving_server.url.rstrip("/"), "max_retries": 0}
    with replay(path, mode="record"), GoogleAnalyzer(**options) as google:
        recorded = google.analyze(IMAGE, ["tags"])
    assert misbehaving_server.requests[0].headers["x-goog-api-key"] == key
    text = _cassette_text(path)
    _assert_none_in(text, [key])
    assert "<redacted>" in text
    with replay(path) as cassette, GoogleAnalyzer(**{**options, "api_key": "AIzaSyVK-other"}) as g:
        replayed = g.analyze(IMAGE, ["tags"])
    cassette.assert_all_played()
    assert [t.name for t in replayed.tags] == [t.name for t in recorded.tags]
    assert len(misbehaving_server.requests) == 1  # the replay never reached the server


def test_a_google_oauth_token_echoed_back_never_reaches_the_cassette(
    misbehaving_server: MisbehavingServer, tmp_path: Path
) -> None:
    oauth2 = pytest.importorskip("google.oauth2.credentials")
    from visionkit.backends.google import GoogleAnalyzer

    token = "ya29.vkfake-" + secrets.token_urlsafe(40)

    def values(request: Request) -> list[str]:
        header = request.headers["authorization"]
        return [header, header.removeprefix("Bearer ")]

    misbehaving_server.behaviour = _echoing(_google_body, values)
    path = tmp_path / "google-oauth"
    endpoint = misbehaving_server.url.rstrip("/")
    with (
        replay(path, mode="record"),
        GoogleAnalyzer(
            credentials=oauth2.Credentials(token=token), endpoint=endpoint, max_retries=0
        ) as google,
    ):
        google.analyze(IMAGE, ["tags"])
    assert misbehaving_server.requests[0].headers["authorization"] == f"Bearer {token}"
    _assert_none_in(_cassette_text(path), [token])
    other = oauth2.Credentials(token="ya29.vkfake-another-token")
    with (
        replay(path) as cassette,
        GoogleAnalyzer(credentials=other, endpoint=endpoint, max_retries=0) as google,
    ):
        assert google.analyze(IMAGE, ["tags"]).tags
    cassette.assert_all_played()


def test_a_key_in_the_query_string_is_scrubbed_by_name_and_by_value(
    misbehaving_server: MisbehavingServer, tmp_path: Path
) -> None:
    """Google also takes ``?key=``; visionkit sends the header, other code may not."""
    key = "AIzaSyVK-" + secrets.token_urlsafe(24)
    misbehaving_server.behaviour = _echoing(
        _google_body, lambda r: [re.search(r"key=([^&]+)", r.path).group(1)]
    )
    path = tmp_path / "google-query-key"
    url = f"{misbehaving_server.url}v1/images:annotate"
    with replay(path, mode="record"), httpx.Client() as client:
        client.post(url, params={"key": key}, json={"requests": []})
    text = _cassette_text(path)
    _assert_none_in(text, [key])
    with replay(path) as cassette, httpx.Client() as client:
        replayed = client.post(url, params={"key": "AIzaSyVK-other"}, json={"requests": []})
    cassette.assert_all_played()
    assert "<redacted>" in replayed.json()["responses"][0]["labelAnnotations"][0]["description"]


# -- AWS ------------------------------------------------------------------------------------


def _sigv4_values(request: Request) -> list[str]:
    """The SigV4 pieces of one request: the header, the access key id, the signature."""
    header = request.headers["authorization"]
    access_key = re.search(r"Credential=([^/,\s]+)/", header).group(1)
    signature = re.search(r"Signature=([0-9a-f]+)", header).group(1)
    return [
        request.headers["x-amz-security-token"],
        header,
        access_key,
        signature,
        request.headers["x-amz-date"],
    ]


def test_aws_secrets_and_the_sigv4_signature_echoed_back_never_reach_the_cassette(
    misbehaving_server: MisbehavingServer, tmp_path: Path
) -> None:
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    access = "AKIAVKFAKE" + secrets.token_hex(5).upper()
    secret = "vkfake/" + secrets.token_urlsafe(30)
    token = "vkfaketoken/" + secrets.token_urlsafe(48) + "+=="
    seen: list[list[str]] = []

    def values(request: Request) -> list[str]:
        found = [*_sigv4_values(request), secret]
        seen.append(found)
        return found

    misbehaving_server.behaviour = _echoing(
        lambda echoed: {
            "Labels": [{"Name": echoed, "Confidence": 90.0}],
            "LabelModelVersion": "3.0",
            "Echo": {echoed: echoed},
        },
        values,
    )
    path = tmp_path / "aws"
    options = {
        "region": "eu-west-1",
        "endpoint_url": misbehaving_server.url,
        "access_key_id": access,
        "secret_access_key": secret,
        "session_token": token,
        "max_retries": 0,
    }
    with replay(path, mode="record"), AwsAnalyzer(**options) as aws:
        recorded = aws.analyze(IMAGE, ["tags"])
    sent = misbehaving_server.requests[0].headers
    assert sent["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={access}/")
    assert sent["x-amz-security-token"] == token and "x-amz-date" in sent
    token_value, header, access_key, signature, _date = seen[0][:5]
    assert (token_value, access_key) == (token, access)
    text = _cassette_text(path)
    _assert_none_in(text, [secret, token, access, signature, header])
    # Fresh credentials, a fresh X-Amz-Date and signature: the recording still answers.
    fresh = {
        **options,
        "access_key_id": "AKIAVKFAKEREPLAY0000",
        "secret_access_key": "vkfake/replay-secret-key",
        "session_token": None,
    }
    with replay(path) as cassette, AwsAnalyzer(**fresh) as aws:
        replayed = aws.analyze(IMAGE, ["tags"])
    cassette.assert_all_played()
    ((_, interaction),) = load_cassette(path)
    assert [t.name for t in replayed.tags] == [interaction.response.body["Labels"][0]["Name"]]
    _assert_none_in(replayed.to_json(), [secret, token, access, signature, header])
    # The configured secrets were already out of the live result; the signature, made
    # fresh for each request and useless for any other, is only scrubbed from cassettes.
    _assert_none_in(recorded.to_json(), [secret, token, access])
    assert dict(interaction.request.headers).get("x-amz-security-token") in (None, "<redacted>")


# -- a hostile answer costs a recording what it costs a live call ---------------------------


def _build(cloud: str, url: str) -> Any:
    settings = {"deadline_s": 1.0, "max_retries": 0}
    if cloud == "google":
        from visionkit.backends.google import GoogleAnalyzer

        return GoogleAnalyzer(api_key="AIzaSyVK-record-0123", endpoint=url.rstrip("/"), **settings)
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    return AwsAnalyzer(
        region="eu-west-1",
        endpoint_url=url,
        access_key_id="AKIAVKFAKERECORD001",
        secret_access_key="vkfake/record-secret-0001",
        **settings,
    )


@pytest.mark.parametrize(
    ("behaviour", "error", "says"),
    [
        pytest.param(drip(), BackendTimeoutError, "deadline", id="drips-its-body"),
        pytest.param(endless(), BackendError, "bytes", id="endless-body"),
        pytest.param(gzip_bomb(1), BackendError, "bytes", id="gzip-bomb"),
    ],
)
@pytest.mark.parametrize("cloud", ["google", "aws"])
def test_recording_a_hostile_answer_is_bounded_like_a_live_call_and_writes_nothing(
    misbehaving_server: MisbehavingServer, tmp_path: Path, cloud, behaviour, error, says
) -> None:
    """The recorder passes the body on as it arrives: the deadline and the size cap hold
    (it used to read the whole body first, so a drip hung it and an endless body filled
    its memory)."""
    misbehaving_server.behaviour = behaviour
    path = tmp_path / "hostile"
    analyzer = _build(cloud, misbehaving_server.url)
    with pytest.raises(error) as info:
        _record(path, analyzer)
    assert says in str(info.value)
    assert not path.exists() or not list(path.glob("*.json"))


async def test_recording_an_async_call_is_bounded_by_its_deadline_too(
    misbehaving_server: MisbehavingServer, tmp_path: Path
) -> None:
    misbehaving_server.behaviour = drip()
    google = _build("google", misbehaving_server.url)
    with pytest.raises(BackendTimeoutError):
        await _record_async(tmp_path / "hostile", google)
    assert not list((tmp_path / "hostile").glob("*.json"))


def _record(path: Path, analyzer: Any) -> None:
    with replay(path, mode="record"), analyzer:
        analyzer.analyze(IMAGE, ["tags"])


async def _record_async(path: Path, analyzer: Any) -> None:
    with replay(path, mode="record"):
        async with analyzer:
            await analyzer.analyze_async(IMAGE, ["tags"])

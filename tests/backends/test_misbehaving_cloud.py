"""The Google and AWS backends against a server on 127.0.0.1 that answers badly.

The same cases as ``azure/test_misbehaving_server.py``, run through each
backend's own endpoint option (``google.endpoint``, ``aws.endpoint_url``) and
credentials (a made-up API key; fake static AWS keys, signed by botocore).
Every case ends in a visionkit error (or a sound result) within the call's
deadline, which the tests set short; nothing here asserts how fast. No secret
may come back out, whatever the server echoes. Bodies are hand-made.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backends.http.fake_server import (
    MisbehavingServer,
    answer,
    drip,
    endless,
    gzip_bomb,
    slow_answers,
)
from PIL import Image

from visionkit.backends.base import Analyzer
from visionkit.cache.store import ResultCache
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    RateLimitError,
)
from visionkit.testing import assert_valid_result

DEADLINE = 1.0


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((128, 96)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


IMAGE = _png()


@dataclass
class Cloud:
    """One backend pointed at the server: how to build it, its secrets, its answers."""

    name: str
    secrets: tuple[str, ...]
    build: Callable[..., Analyzer]
    ok_body: Callable[[str], bytes]
    """A 200 body whose one tag is named by the argument."""
    error_body: Callable[[str], bytes]
    """A 401 body whose message is the argument."""
    throttled: bytes
    """A 429 body the backend reads as throttling."""


def _google(url: str) -> Cloud:
    key = "AIzaSyVK-" + secrets.token_urlsafe(24)

    def build(**options: Any) -> Analyzer:
        from visionkit.backends.google import GoogleAnalyzer

        settings = {"deadline_s": DEADLINE, "max_retries": 1, "backoff_base_s": 0.01, **options}
        return GoogleAnalyzer(api_key=key, endpoint=url.rstrip("/"), **settings)

    return Cloud(
        name="google",
        secrets=(key,),
        build=build,
        ok_body=lambda name: json.dumps(
            {"responses": [{"labelAnnotations": [{"description": name, "score": 0.9}]}]}
        ).encode(),
        error_body=lambda message: json.dumps(
            {"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}}
        ).encode(),
        throttled=json.dumps(
            {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}
        ).encode(),
    )


def _aws(url: str) -> Cloud:
    pytest.importorskip("botocore")
    from botocore.credentials import Credentials

    from visionkit.backends.aws.signing import AwsIdentity

    access = "AKIAVKFAKE" + secrets.token_hex(5).upper()
    secret = "vkfake/" + secrets.token_urlsafe(30)
    token = "vkfaketoken" + secrets.token_urlsafe(48)
    identity = AwsIdentity(Credentials(access, secret, token), "eu-west-1")

    def build(**options: Any) -> Analyzer:
        from visionkit.backends.aws import AwsAnalyzer

        settings = {"deadline_s": DEADLINE, "max_retries": 1, "backoff_base_s": 0.01, **options}
        return AwsAnalyzer(identity=identity, endpoint_url=url, **settings)

    return Cloud(
        name="aws",
        secrets=(secret, token),
        build=build,
        ok_body=lambda name: json.dumps(
            {"Labels": [{"Name": name, "Confidence": 90.0}], "LabelModelVersion": "3.0"}
        ).encode(),
        error_body=lambda message: json.dumps(
            {"__type": "UnrecognizedClientException", "message": message}
        ).encode(),
        throttled=json.dumps(
            {"__type": "ThrottlingException", "message": "Rate exceeded"}
        ).encode(),
    )


@pytest.fixture(params=["google", "aws"])
def cloud(request: pytest.FixtureRequest, misbehaving_server: MisbehavingServer) -> Cloud:
    return {"google": _google, "aws": _aws}[request.param](misbehaving_server.url)


@pytest.fixture
def server(misbehaving_server: MisbehavingServer) -> Iterator[MisbehavingServer]:
    return misbehaving_server


def _assert_no_secret(exc: BaseException, cloud: Cloud) -> None:
    node: BaseException | None = exc
    while node is not None:
        for secret in cloud.secrets:
            assert secret not in str(node) and secret not in repr(node)
            assert all(secret not in str(a) for a in node.args)
            assert all(secret not in str(v) for v in vars(node).values())
        node = node.__cause__ or node.__context__


def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)


# -- bounded time --------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", slow_answers())
def test_a_slow_server_costs_one_deadline_then_a_timeout_error(cloud, server, behaviour):
    server.behaviour = behaviour
    with cloud.build() as analyzer, pytest.raises(BackendTimeoutError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert "deadline" in str(info.value)


async def test_the_deadline_holds_for_async_calls(cloud, server):
    server.behaviour = drip()
    async with cloud.build() as analyzer:
        with pytest.raises(BackendTimeoutError):
            await analyzer.analyze_async(IMAGE, ["tags"])


def test_503_with_slow_bodies_is_bounded_by_the_deadline(cloud, server):
    """Each 503 takes a quarter of the deadline to arrive and is retried at once, for as
    many retries as anyone likes: the deadline, not the retry count, ends the call."""
    server.behaviour = drip(byte_every_s=0.05, total=5, status=503)
    analyzer = cloud.build(max_retries=100, backoff_base_s=0.0)
    with analyzer, pytest.raises(BackendTimeoutError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert "deadline" in str(info.value)
    assert 2 <= len(server.requests) < 100  # retried, and stopped by the deadline


@pytest.mark.parametrize("value", ["20", "3600", "1e9", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_retry_after_past_the_deadline_fails_at_once_with_the_servers_value(cloud, server, value):
    server.behaviour = answer(429, cloud.throttled, {"Retry-After": value})
    with cloud.build(max_retries=3) as analyzer, pytest.raises(RateLimitError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert info.value.retry_after is not None and info.value.retry_after > DEADLINE
    assert len(server.requests) == 1  # no wait was started that could not end in time


def test_a_malformed_retry_after_is_treated_as_absent(cloud, server):
    server.behaviour = answer(429, cloud.throttled, {"Retry-After": "NaN"})
    with cloud.build() as analyzer, pytest.raises(RateLimitError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert info.value.retry_after is None


def test_google_re_sending_a_per_image_transient_error_is_bounded_by_the_deadline(server):
    """Google's stand-in for a poll that never ends: a 200 whose one image says
    UNAVAILABLE every time, re-sent as often as the retry settings allow."""
    google = _google(server.url)
    server.behaviour = answer(
        200,
        json.dumps({"responses": [{"error": {"code": 14, "message": "unavailable"}}]}).encode(),
    )
    limits = {"max_retries": 1000, "max_retry_time_s": 1000.0, "backoff_max_s": 0.05}
    analyzer = google.build(backoff_base_s=0.05, **limits)
    with analyzer, pytest.raises(BackendTimeoutError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert "deadline" in str(info.value)
    assert 2 <= len(server.requests) < 1000


# -- bounded memory ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(endless(), id="endless-body"),
        pytest.param(endless(b" " * 65536), id="endless-whitespace"),
        pytest.param(gzip_bomb(1), id="gzip-bomb"),
        pytest.param(gzip_bomb(2), id="double-gzip-bomb"),
    ],
)
def test_an_oversized_answer_stops_at_the_cap(cloud, server, behaviour):
    server.behaviour = behaviour
    with cloud.build(deadline_s=20.0) as analyzer, pytest.raises(BackendError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    assert "bytes" in str(info.value)


# -- no secret comes back ------------------------------------------------------------------


def test_a_401_that_echoes_the_secrets_does_not_leak_them(cloud, server, caplog):
    echoed = " ".join(cloud.secrets)
    body = cloud.error_body(f"Access denied for {echoed}")
    server.behaviour = answer(401, body, {"x-amzn-RequestId": f"id-{echoed}"})
    _debug_logs(caplog)
    with cloud.build() as analyzer, pytest.raises(AuthenticationError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    _assert_no_secret(info.value, cloud)
    assert all(secret not in caplog.text for secret in cloud.secrets)


def test_a_non_json_200_that_echoes_the_secrets_does_not_leak_them(cloud, server):
    server.behaviour = answer(200, f"<html>{' '.join(cloud.secrets)}</html>".encode())
    with cloud.build() as analyzer, pytest.raises(BackendError) as info:
        analyzer.analyze(IMAGE, ["tags"])
    _assert_no_secret(info.value, cloud)


def test_a_200_that_echoes_the_secrets_keeps_them_out_of_everything_kept(
    cloud, server, caplog, tmp_path: Path
):
    echoed = " ".join(cloud.secrets)
    server.behaviour = answer(200, cloud.ok_body(echoed), {"x-amzn-RequestId": echoed})
    _debug_logs(caplog)
    with cloud.build() as analyzer:
        result = analyzer.analyze(IMAGE, ["tags"])
    assert_valid_result(result, ["tags"])
    cache = ResultCache(tmp_path / "results.sqlite")
    cache.put("key", result)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in cloud.secrets:
        assert secret not in result.to_json()
        assert secret not in json.dumps(result.to_dict())
        assert secret not in json.dumps(result.raw)
        assert secret not in repr(result)
        assert secret not in caplog.text
        assert secret.encode() not in stored


@pytest.mark.parametrize(
    ("middle", "problem"),
    [("\n", "line break"), ("\r\n", "line break"), ("\t", "control character"), ("é", "non-ASCII")],
)
@pytest.mark.parametrize("backend", ["google", "aws"])
def test_a_malformed_secret_is_refused_when_configured_without_quoting_it(
    backend, middle, problem, caplog
):
    from visionkit.errors import ConfigError

    secret = "vkSECRETfirst" + middle + "vkSECRETsecond"
    _debug_logs(caplog)
    if backend == "google":
        from visionkit.backends.google import GoogleAnalyzer

        with pytest.raises(ConfigError) as info:
            GoogleAnalyzer(api_key=secret)
    else:
        pytest.importorskip("botocore")
        from visionkit.backends.aws import AwsAnalyzer

        with pytest.raises(ConfigError) as info:
            AwsAnalyzer(region="eu-west-1", access_key_id="AKIAVKFAKE", secret_access_key=secret)
    assert problem in str(info.value)
    for part in ("vkSECRETfirst", "vkSECRETsecond"):
        assert part not in str(info.value) and part not in repr(info.value)
        assert all(part not in str(a) for a in info.value.args)
        assert part not in caplog.text

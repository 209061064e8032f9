"""The Azure backend against a server on 127.0.0.1 that answers like Azure, but badly.

Every case ends in a visionkit error (or a sound result) within the call's
deadline, which the tests set short; nothing here asserts how fast. The key
must never come back out, whatever the server echoes. Bodies are hand-made.
"""

from __future__ import annotations

import json
import logging

import pytest
from backends.http.fake_server import (
    MisbehavingServer,
    answer,
    drip,
    endless,
    gzip_bomb,
    slow_answers,
)

from visionkit.backends.azure import AzureAnalyzer
from visionkit.cache.store import ResultCache
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    ConfigError,
    RateLimitError,
)
from visionkit.testing import assert_valid_result

KEY = "5c1e7f0a9b3d4e6f8a2b1c0d9e8f7a6b"
URL = "https://example.com/photo.jpg"
DEADLINE = 1.0


@pytest.fixture
def server(misbehaving_server: MisbehavingServer) -> MisbehavingServer:
    return misbehaving_server  # tests/backends/conftest.py, shared with Google and AWS


def _azure(server: MisbehavingServer, **options: object) -> AzureAnalyzer:
    settings = {"deadline_s": DEADLINE, "max_retries": 1, "backoff_base_s": 0.01, **options}
    return AzureAnalyzer(endpoint=server.url, key=KEY, **settings)


def _assert_no_key(exc: BaseException) -> None:
    node: BaseException | None = exc
    while node is not None:
        assert KEY not in str(node) and KEY not in repr(node)
        assert all(KEY not in str(a) for a in node.args)
        assert all(KEY not in str(v) for v in vars(node).values())
        node = node.__cause__ or node.__context__


# -- bounded time --------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", slow_answers())
def test_a_slow_server_costs_one_deadline_then_a_timeout_error(server, behaviour):
    server.behaviour = behaviour
    with _azure(server) as azure, pytest.raises(BackendTimeoutError) as info:
        azure.analyze(URL, ["tags"])
    assert "deadline" in str(info.value)


async def test_the_deadline_holds_for_async_calls(server):
    server.behaviour = drip()
    async with _azure(server) as azure:
        with pytest.raises(BackendTimeoutError):
            await azure.analyze_async(URL, ["tags"])


def test_503_with_slow_bodies_is_bounded_by_the_deadline(server):
    """Each 503 takes a quarter of the deadline to arrive and is retried at once, for as
    many retries as anyone likes: the deadline, not the retry count, ends the call."""
    server.behaviour = drip(byte_every_s=0.05, total=5, status=503)
    azure = _azure(server, max_retries=100, backoff_base_s=0.0)
    with azure, pytest.raises(BackendTimeoutError) as info:
        azure.analyze(URL, ["tags"])
    assert "deadline" in str(info.value)
    assert 2 <= len(server.requests) < 100  # retried, and stopped by the deadline


@pytest.mark.parametrize("value", ["3600", "1e9", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_retry_after_past_the_deadline_fails_at_once_with_the_servers_value(server, value):
    server.behaviour = answer(429, b'{"error": {"code": "429"}}', {"Retry-After": value})
    with _azure(server, max_retries=3) as azure, pytest.raises(RateLimitError) as info:
        azure.analyze(URL, ["tags"])
    assert info.value.retry_after is not None and info.value.retry_after > DEADLINE
    assert len(server.requests) == 1  # no wait was started that could not end in time


def test_a_malformed_retry_after_is_treated_as_absent(server):
    server.behaviour = answer(429, b'{"error": {"code": "429"}}', {"Retry-After": "NaN"})
    with _azure(server) as azure, pytest.raises(RateLimitError) as info:
        azure.analyze(URL, ["tags"])
    assert info.value.retry_after is None


def test_read_polling_that_never_ends_is_a_timeout_naming_the_operation(server):
    location = f"{server.url}vision/v3.2/read/analyzeResults/forever"

    def behave(request, sock):
        if request.method == "POST":
            answer(202, b"", {"Operation-Location": location})(request, sock)
        else:
            answer(200, json.dumps({"status": "running"}).encode())(request, sock)

    server.behaviour = behave
    azure = _azure(server, read_poll_interval_s=0.05)
    with azure, pytest.raises(BackendTimeoutError) as info:
        azure.analyze(URL, ["text"])
    assert "Read operation" in str(info.value)
    assert len(server.requests) > 2  # it did poll, until the deadline


async def test_async_read_polling_that_never_ends_is_a_timeout_naming_the_operation(server):
    location = f"{server.url}vision/v3.2/read/analyzeResults/forever"

    def behave(request, sock):
        if request.method == "POST":
            answer(202, b"", {"Operation-Location": location})(request, sock)
        else:
            answer(200, json.dumps({"status": "running"}).encode())(request, sock)

    server.behaviour = behave
    async with _azure(server, read_poll_interval_s=0.05) as azure:
        with pytest.raises(BackendTimeoutError) as info:
            await azure.read_text_async(URL)
    assert "Read operation" in str(info.value)


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
def test_an_oversized_answer_stops_at_the_cap(server, behaviour):
    server.behaviour = behaviour
    with _azure(server, deadline_s=20.0) as azure, pytest.raises(BackendError) as info:
        azure.analyze(URL, ["tags"])
    assert "bytes" in str(info.value)


# -- the key never comes back --------------------------------------------------------------


def test_a_401_that_echoes_the_key_does_not_leak_it(server, caplog):
    body = json.dumps({"error": {"code": "401", "message": f"Access denied for key {KEY}"}})
    server.behaviour = answer(401, body.encode(), {"apim-request-id": f"id-{KEY}"})
    caplog.set_level(logging.DEBUG)
    with _azure(server) as azure, pytest.raises(AuthenticationError) as info:
        azure.analyze(URL, ["tags"])
    _assert_no_key(info.value)
    assert "<redacted>" in str(info.value)
    assert KEY not in caplog.text


def test_a_200_that_echoes_the_key_keeps_it_out_of_the_result(server, caplog, tmp_path):
    body = {"tags": [{"name": KEY, "confidence": 0.9}], "requestId": KEY, "echo": {KEY: KEY}}
    server.behaviour = answer(200, json.dumps(body).encode(), {"apim-request-id": KEY})
    caplog.set_level(logging.DEBUG)
    with _azure(server) as azure:
        result = azure.analyze(URL, ["tags"])
    assert KEY not in result.to_json()
    assert KEY not in json.dumps(result.raw) and KEY not in repr(result)
    assert KEY not in caplog.text
    assert_valid_result(result, ["tags"])
    cache = ResultCache(tmp_path / "results.sqlite")  # still open: its -wal file is there too
    cache.put("key", result)
    stored = [p for p in tmp_path.iterdir() if p.is_file()]
    assert all(KEY.encode() not in p.read_bytes() for p in stored)


@pytest.mark.parametrize(
    ("pasted", "problem"),
    [
        (KEY + "\nextra", "line break"),
        (KEY[:10] + "\r\n" + KEY[10:], "line break"),
        (KEY[:10] + "\t" + KEY[10:], "control character"),
        (KEY[:10] + "é" + KEY[10:], "non-ASCII"),
    ],
)
def test_a_malformed_key_is_refused_when_configured_without_quoting_it(pasted, problem):
    with pytest.raises(ConfigError) as info:
        AzureAnalyzer(endpoint="https://x.cognitiveservices.azure.com/", key=pasted)
    assert problem in str(info.value)
    _assert_no_key(info.value)
    assert KEY[:10] not in str(info.value)


@pytest.mark.parametrize("pasted", [KEY + "\n", KEY + "\r\n", f"  {KEY} "])
def test_surrounding_whitespace_is_stripped_from_the_key(server, pasted):
    server.behaviour = answer(200, b'{"tags": []}')
    with AzureAnalyzer(endpoint=server.url, key=pasted, deadline_s=DEADLINE) as azure:
        assert azure.analyze(URL, ["tags"]).tags == ()
    assert server.requests[0].headers["ocp-apim-subscription-key"] == KEY

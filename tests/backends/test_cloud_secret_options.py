"""Every secret option of every cloud backend, pasted badly.

A line break, a tab or a non-ASCII character inside a key is a ``ConfigError`` that
says what is wrong and where, never the key, and leaves nothing in DEBUG logs
(httpx, httpcore, botocore); whitespace around a key is stripped, and the stripped
key is what goes on the wire. The same holds for AWS keys that botocore's chain
finds in the ``AWS_*`` variables. The keys are made up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backends.http.fake_server import MisbehavingServer, answer

from visionkit.backends.base import Analyzer
from visionkit.backends.http.secrets import Scrubber
from visionkit.errors import ConfigError

FIRST, SECOND = "vkSECRETfirst0123", "vkSECRETsecond4567"
BAD = [
    ("\n", "line break"),
    ("\r\n", "line break"),
    ("\t", "control character"),
    ("é", "non-ASCII"),
]
AROUND = ["\n", "\r\n", " ", "\t "]
IMAGE_URL = "https://example.com/photo.jpg"


def _azure(**secrets: Any) -> Analyzer:
    from visionkit.backends.azure import AzureAnalyzer

    return AzureAnalyzer(endpoint="https://vk.cognitiveservices.azure.com/", **secrets)


def _google(**secrets: Any) -> Analyzer:
    from visionkit.backends.google import GoogleAnalyzer

    return GoogleAnalyzer(**secrets)


def _aws(**secrets: Any) -> Analyzer:
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    keys = {"access_key_id": "AKIAVKFAKE00000001", "secret_access_key": "vkfake/secret-0001"}
    return AwsAnalyzer(region="eu-west-1", **{**keys, **secrets})


SECRET_OPTIONS: list[tuple[str, str, Callable[..., Analyzer]]] = [
    ("azure", "key", _azure),
    ("google", "api_key", _google),
    ("aws", "access_key_id", _aws),
    ("aws", "secret_access_key", _aws),
    ("aws", "session_token", _aws),
]


def _debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "botocore"):
        caplog.set_level(logging.DEBUG, logger=name)


def _assert_unquoted(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    for part in (FIRST, SECOND):
        assert part not in str(error) and part not in repr(error)
        assert all(part not in str(a) for a in error.args)
        assert part not in caplog.text


@pytest.mark.parametrize(("middle", "problem"), BAD)
@pytest.mark.parametrize(("backend", "option", "build"), SECRET_OPTIONS)
def test_a_malformed_secret_option_is_a_config_error_that_does_not_quote_it(
    backend, option, build, middle, problem, caplog
):
    _debug(caplog)
    with pytest.raises(ConfigError) as info:
        build(**{option: FIRST + middle + SECOND})
    assert problem in str(info.value)
    assert f"{backend}.{option}" in str(info.value)
    _assert_unquoted(info.value, caplog)


@pytest.fixture
def server(misbehaving_server: MisbehavingServer) -> MisbehavingServer:
    return misbehaving_server


def _sent(server: MisbehavingServer, backend: str, option: str) -> str:
    """What the server received in place of the secret named ``option``."""
    headers = server.requests[0].headers
    if option == "key":
        return headers["ocp-apim-subscription-key"]
    if option == "api_key":
        return headers["x-goog-api-key"]
    if option == "access_key_id":
        found = re.search(r"Credential=([^/]+)/", headers["authorization"])
        assert found is not None
        return found.group(1)
    return headers["x-amz-security-token"]


@pytest.mark.parametrize("around", AROUND)
@pytest.mark.parametrize(
    ("backend", "option"), [("azure", "key"), ("google", "api_key"), ("aws", "access_key_id")]
)
def test_whitespace_around_a_secret_is_stripped_before_it_is_sent(
    server, backend, option, around, chelsea_png
):
    bodies = {
        "azure": b'{"tags": []}',
        "google": b'{"responses": [{}]}',
        "aws": b'{"Labels": [], "LabelModelVersion": "3.0"}',
    }
    server.behaviour = answer(200, bodies[backend])
    value = {"key": FIRST + SECOND, "api_key": "AIza" + FIRST, "access_key_id": "AKIAVKFAKE12"}
    pasted = around + value[option] + around
    analyzer = _build_against(server, backend, **{option: pasted})
    with analyzer:
        assert analyzer.analyze(_image(backend, chelsea_png), ["tags"]).tags == ()
    assert _sent(server, backend, option) == value[option]


def test_a_session_token_with_whitespace_around_it_is_sent_stripped(server, chelsea_png):
    server.behaviour = answer(200, b'{"Labels": [], "LabelModelVersion": "3.0"}')
    token = "vkfaketoken/" + FIRST + SECOND
    with _build_against(server, "aws", session_token=f"  {token}\r\n") as aws:
        aws.analyze(chelsea_png, ["tags"])
    assert _sent(server, "aws", "session_token") == token


@pytest.mark.parametrize(("middle", "problem"), BAD)
@pytest.mark.parametrize("variable", ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
def test_a_malformed_key_in_the_aws_environment_is_refused_the_same_way(
    monkeypatch, caplog, variable, middle, problem
):
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAVKFAKEENV00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "vkfake/environment-secret")
    monkeypatch.setenv(variable, FIRST + middle + SECOND)
    _debug(caplog)
    with pytest.raises(ConfigError) as info:
        AwsAnalyzer(region="eu-west-1")
    assert problem in str(info.value) and "botocore" in str(info.value)
    _assert_unquoted(info.value, caplog)


def test_a_session_token_in_the_aws_environment_is_sent_stripped(server, monkeypatch, chelsea_png):
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    token = "vkfaketoken/" + SECOND
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAVKFAKEENV00002")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "vkfake/environment-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", token + "\n")
    server.behaviour = answer(200, b'{"Labels": [], "LabelModelVersion": "3.0"}')
    aws = AwsAnalyzer(region="eu-west-1", endpoint_url=server.url, max_retries=0)
    with aws:
        aws.analyze(chelsea_png, ["tags"])
    assert _sent(server, "aws", "session_token") == token


def test_a_secret_quoted_the_way_a_repr_quotes_it_is_scrubbed_too():
    """h11 refuses a bad header value with ``Illegal header value b'...'``, escaped."""
    secret = FIRST + "\n" + SECOND + "é"
    scrub = Scrubber([secret], include_known=False)
    quoted = f"Illegal header value {secret.encode('utf-8', 'backslashreplace')!r}"
    assert FIRST not in scrub.text(quoted)
    assert FIRST not in scrub.text(repr(secret))


# -- helpers --------------------------------------------------------------------------------


def _build_against(server: MisbehavingServer, backend: str, **secrets: Any) -> Analyzer:
    common = {"deadline_s": 5.0, "max_retries": 0}
    if backend == "azure":
        from visionkit.backends.azure import AzureAnalyzer

        return AzureAnalyzer(endpoint=server.url, **secrets, **common)
    if backend == "google":
        from visionkit.backends.google import GoogleAnalyzer

        return GoogleAnalyzer(endpoint=server.url.rstrip("/"), **secrets, **common)
    pytest.importorskip("botocore")
    from visionkit.backends.aws import AwsAnalyzer

    keys = {"access_key_id": "AKIAVKFAKE00000001", "secret_access_key": "vkfake/secret-0001"}
    return AwsAnalyzer(region="eu-west-1", endpoint_url=server.url, **{**keys, **secrets}, **common)


def _image(backend: str, photo: Path) -> Any:
    """Azure is sent a URL (the server never fetches it); Google and AWS the photo."""
    return IMAGE_URL if backend == "azure" else photo

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from visionkit.backends.aws import AwsAnalyzer
from visionkit.errors import AuthenticationError, ConfigError

from .conftest import REGION, URL, FakeCredentials, ok, target, wire_body

HORSES = "carbon-amazon/DetectLabelsResultTests.CanDeserialize.horses.json"


def test_request_carries_sigv4_for_rekognition_in_the_region(
    analyzer: AwsAnalyzer, respx_mock: Any, fake: FakeCredentials, chelsea_png: Path
):
    route = respx_mock.post(URL, headers=target("DetectLabels")).mock(
        return_value=ok(wire_body(HORSES))
    )
    analyzer.analyze(chelsea_png, features=["tags"])
    request = route.calls.last.request
    auth = request.headers["Authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={fake.access_key}/")
    assert f"/{REGION}/rekognition/aws4_request" in auth
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target" in auth
    assert request.headers["X-Amz-Security-Token"] == fake.token
    assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert fake.secret_key not in auth


def test_each_retry_is_signed_again(analyzer: AwsAnalyzer, respx_mock: Any, chelsea_png: Path):
    throttled = httpx.Response(400, json={"__type": "ThrottlingException", "Message": "Slow down"})
    route = respx_mock.post(URL, headers=target("DetectLabels")).mock(
        side_effect=[throttled, ok(wire_body(HORSES))]
    )
    result = analyzer.analyze(chelsea_png, features=["tags"])
    assert route.call_count == 2 and result.tags
    assert all("Authorization" in call.request.headers for call in route.calls)


def test_no_secret_in_logs_reprs_errors_or_raw(
    analyzer: AwsAnalyzer,
    respx_mock: Any,
    fake: FakeCredentials,
    chelsea_png: Path,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    echoed = (
        "The request signature we calculated does not match the signature you provided. "
        f"The Canonical String for this request should have been 'POST\n/\n\n"
        f"x-amz-security-token:{fake.token}\n' and secret {fake.secret_key}"
    )
    respx_mock.post(URL, headers=target("DetectLabels")).mock(
        side_effect=[
            httpx.Response(400, json={"__type": "ThrottlingException", "Message": "Slow down"}),
            ok(wire_body(HORSES)),
            httpx.Response(403, json={"__type": "InvalidSignatureException", "message": echoed}),
        ]
    )
    result = analyzer.analyze(chelsea_png, features=["tags"])
    with pytest.raises(AuthenticationError) as caught:
        analyzer.analyze(chelsea_png, features=["tags"])
    exposed = [
        caplog.text,
        repr(analyzer),
        repr(analyzer._identity),
        repr(analyzer._signer),
        str(caught.value),
        repr(caught.value),
        json.dumps(result.raw),
        result.to_json(),
    ]
    for secret in fake.secret_values:
        assert not [text for text in exposed if secret in text]
    assert "**********" in str(caught.value)


def test_explicit_keys_in_options(respx_mock: Any, fake: FakeCredentials):
    aws = AwsAnalyzer(
        region="us-east-1", access_key_id=fake.access_key, secret_access_key=fake.secret_key
    )
    assert aws.region == "us-east-1"
    assert fake.secret_key not in repr(aws)


def test_environment_credentials_through_botocore_chain(
    monkeypatch: pytest.MonkeyPatch, fake: FakeCredentials
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", fake.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", fake.secret_key)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    aws = AwsAnalyzer()
    assert aws.region == "ap-southeast-2"
    frozen = aws._identity.credentials.get_frozen_credentials()
    assert frozen.access_key == fake.access_key


def test_missing_region_and_credentials_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, fake: FakeCredentials
):
    with pytest.raises(ConfigError, match="no AWS credentials"):
        AwsAnalyzer(region="eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", fake.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", fake.secret_key)
    with pytest.raises(ConfigError, match="needs a region"):
        AwsAnalyzer()

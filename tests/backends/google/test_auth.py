"""Service-account and ADC auth through google-auth, with respx serving the token endpoint.

The service-account file is generated per test with a fresh RSA key: it has
the real format (what the console downloads) and holds no real secret.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from visionkit.backends.google import GoogleAnalyzer
from visionkit.backends.google.auth import ApiKeyCredentials, OAuthCredentials
from visionkit.errors import AuthenticationError, BackendUnavailableError, ConfigError
from visionkit.features import Feature

from .conftest import ANNOTATE, KEY, answer, cloudy, drawn_image, hand_made, hand_made_response

TOKEN_URI = "https://oauth2.googleapis.com/token"
F = Feature


@pytest.fixture
def service_account(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "visionkit-test",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": "vision@visionkit-test.iam.gserviceaccount.com",
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/vision",
        "universe_domain": "googleapis.com",
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return path


def _token(expires_in=3599):
    body = dict(hand_made("token-ok")["body"], expires_in=expires_in)
    return httpx.Response(200, json=body)


TOKEN = hand_made("token-ok")["body"]["access_token"]


def test_a_service_account_file_gets_a_bearer_token_once(service_account, respx_mock, clock):
    token = respx_mock.post(TOKEN_URI).mock(return_value=_token())
    vision = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    with GoogleAnalyzer(credentials_file=service_account, clock=clock) as google:
        google.analyze(drawn_image((60, 80)), [F.TAGS])
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert token.call_count == 1  # cached by google-auth until it expires
    grant = parse_qs(token.calls.last.request.content.decode())
    assert grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert grant["assertion"][0].count(".") == 2  # a signed JWT, made by the library
    request = vision.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "X-Goog-Api-Key" not in request.headers


def test_the_env_variable_names_the_file(service_account, respx_mock, monkeypatch, clock):
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(service_account))
    respx_mock.post(TOKEN_URI).mock(return_value=_token())
    respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    from visionkit.analyzers import new_analyzer

    with new_analyzer("google", {}) as google:
        assert isinstance(google._credentials, OAuthCredentials)
        assert google.analyze(drawn_image((60, 80)), [F.TAGS]).tags


def test_an_api_key_wins_over_a_file_in_auto_mode(service_account):
    with GoogleAnalyzer(api_key=KEY, credentials_file=service_account) as google:
        assert isinstance(google._credentials, ApiKeyCredentials)
    with GoogleAnalyzer(
        api_key=KEY, credentials_file=service_account, auth="credentials_file"
    ) as g:
        assert isinstance(g._credentials, OAuthCredentials)


def test_an_expired_token_is_refreshed_by_the_library(service_account, respx_mock, clock):
    # A token that expires at once is already inside google-auth's refresh margin.
    token = respx_mock.post(TOKEN_URI).mock(return_value=_token(expires_in=1))
    respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    with GoogleAnalyzer(credentials_file=service_account, clock=clock) as google:
        google.analyze(drawn_image((60, 80)), [F.TAGS])
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert token.call_count == 2


async def test_async_analysis_refreshes_on_a_worker_thread(service_account, respx_mock, clock):
    token = respx_mock.post(TOKEN_URI).mock(return_value=_token())
    vision = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    async with GoogleAnalyzer(credentials_file=service_account, clock=clock) as google:
        result = await google.analyze_async(drawn_image((60, 80)), [F.TAGS])
    assert result.tags and token.call_count == 1
    assert vision.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_refused_token_is_an_authentication_error(service_account, respx_mock, clock):
    respx_mock.post(TOKEN_URI).mock(return_value=hand_made_response("token-invalid-grant"))
    vision = respx_mock.post(ANNOTATE)
    with (
        GoogleAnalyzer(credentials_file=service_account, clock=clock) as google,
        pytest.raises(AuthenticationError, match="invalid_grant") as caught,
    ):
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert not vision.called
    assert "PRIVATE KEY" not in str(caught.value)


def test_an_unreachable_token_endpoint_is_unavailable(service_account, respx_mock, clock):
    respx_mock.post(TOKEN_URI).mock(side_effect=httpx.ConnectError("refused"))
    with (
        GoogleAnalyzer(credentials_file=service_account, clock=clock) as google,
        pytest.raises(BackendUnavailableError, match="token endpoint"),
    ):
        google.analyze(drawn_image((60, 80)), [F.TAGS])


def test_the_token_is_scrubbed_from_error_messages(service_account, respx_mock, clock):
    respx_mock.post(TOKEN_URI).mock(return_value=_token())
    echo = {
        "error": {
            "code": 403,
            "message": f"token {TOKEN} lacks scope",
            "status": "PERMISSION_DENIED",
        }
    }
    respx_mock.post(ANNOTATE).mock(return_value=httpx.Response(403, json=echo))
    with (
        GoogleAnalyzer(credentials_file=service_account, clock=clock) as google,
        pytest.raises(AuthenticationError) as caught,
    ):
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert TOKEN not in str(caught.value)


def test_a_file_that_is_not_credentials_is_a_config_error(tmp_path):
    path = tmp_path / "nope.json"
    path.write_text('{"type": "something_else"}')
    with pytest.raises(ConfigError, match="Could not load Google credentials"):
        GoogleAnalyzer(credentials_file=path)


def test_google_auth_credentials_can_be_passed_in(service_account, respx_mock, clock):
    from google.oauth2 import service_account as sa

    creds = sa.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-vision"]
    )
    respx_mock.post(TOKEN_URI).mock(return_value=_token())
    vision = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    with GoogleAnalyzer(credentials=creds, clock=clock) as google:
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert vision.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_without_google_auth_the_error_names_the_extra(service_account, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.auth.transport", None)
    with pytest.raises(ConfigError, match=r"pip install 'visionkit\[google\]'"):
        GoogleAnalyzer(credentials_file=service_account)


def test_google_auth_is_imported_only_for_oauth():
    code = (
        "import sys, visionkit\n"
        "from visionkit.backends.google import GoogleAnalyzer\n"
        "GoogleAnalyzer(api_key='k' * 39).close()\n"
        "print(any(m == 'google.auth' or m.startswith('google.auth.') for m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_application_default_credentials_with_a_quota_project(tmp_path, respx_mock, monkeypatch):
    # The format 'gcloud auth application-default login' writes; every value is invented.
    user = {
        "type": "authorized_user",
        "client_id": "764086051850-test.apps.googleusercontent.com",
        "client_secret": "d-visionkit-test-client-secret",
        "refresh_token": "1//visionkit-test-refresh-token",
        "quota_project_id": "visionkit-quota",
    }
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(user))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    token = respx_mock.post(TOKEN_URI).mock(return_value=_token())
    vision = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    with GoogleAnalyzer(auth="adc", credentials_file=None) as google:
        google.analyze(drawn_image((60, 80)), [F.TAGS])
    assert parse_qs(token.calls.last.request.content.decode())["grant_type"] == ["refresh_token"]
    headers = vision.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["x-goog-user-project"] == "visionkit-quota"

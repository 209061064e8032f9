"""Fixtures for the AWS backend: recorded Rekognition answers, fake credentials, isolation.

No test here reaches the network: respx intercepts every httpx request (one
URL serves every operation, so routes match on ``X-Amz-Target``), botocore
is kept away from ``~/.aws`` and the instance metadata service, and time never
really passes (retries wait on a :class:`ManualClock`). Credentials are made
up per test run, so a test that finds one in output is a real leak.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from visionkit.backends.aws import AwsAnalyzer
from visionkit.backends.aws.signing import AwsIdentity
from visionkit.backends.http import ManualClock

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "eu-west-1"
URL = f"https://rekognition.{REGION}.amazonaws.com/"


@dataclass(frozen=True)
class FakeCredentials:
    """Obviously fake keys, new for every test: ``AKIAVKFAKE`` + random hex."""

    access_key: str
    secret_key: str
    token: str

    @classmethod
    def generate(cls) -> FakeCredentials:
        return cls(
            access_key="AKIAVKFAKE" + secrets.token_hex(5).upper(),
            secret_key="vkfake/" + secrets.token_urlsafe(30),
            token="vkfaketoken" + secrets.token_urlsafe(48),
        )

    @property
    def secret_values(self) -> tuple[str, str]:
        return (self.secret_key, self.token)


def load(relative: str) -> Any:
    with (FIXTURES / relative).open(encoding="utf-8") as f:
        return json.load(f)


def wire_body(relative: str) -> dict[str, Any]:
    """The HTTP body of a recorded boto3 answer: without boto3's and the tools' additions."""
    data = load(relative)
    if "original_response" in data:  # edenai's wrapper
        data = data["original_response"]
    return {k: v for k, v in data.items() if k not in ("ResponseMetadata", "response_time")}


def ok(body: Any, request_id: str = "req-1") -> httpx.Response:
    return httpx.Response(
        200,
        headers={"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
        json=body,
    )


def hand_made(name: str) -> httpx.Response:
    """A hand-made answer from ``fixtures/hand-made`` as an httpx response."""
    data = load(f"hand-made/{name}.json")
    body = data["body"]
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return httpx.Response(data["status"], headers=data["headers"], content=content)


def raw_http(relative: str) -> httpx.Response:
    """A raw HTTP response as the guide prints it (status line, headers, blank line, body)."""
    text = (FIXTURES / relative).read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = dict(line.split(": ", 1) for line in header_lines)
    headers.pop("Content-Length", None)
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=body.encode())


def target(operation: str) -> dict[str, str]:
    return {"X-Amz-Target": f"RekognitionService.{operation}"}


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* variable, ~/.aws file or metadata service of the machine reaches a test."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake() -> FakeCredentials:
    return FakeCredentials.generate()


@pytest.fixture
def identity(fake: FakeCredentials) -> AwsIdentity:
    from botocore.credentials import Credentials

    return AwsIdentity(Credentials(fake.access_key, fake.secret_key, fake.token), REGION)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def analyzer(respx_mock: Any, identity: AwsIdentity, clock: ManualClock) -> Iterator[AwsAnalyzer]:
    """An analyzer in eu-west-1 with fake credentials; every request it makes must be mocked."""
    with AwsAnalyzer(identity=identity, clock=clock) as aws:
        yield aws

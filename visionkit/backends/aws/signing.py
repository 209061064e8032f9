"""Credentials and SigV4 signing through botocore, imported only when the backend is used.

visionkit never writes SigV4 or a credential chain by hand: botocore's
:class:`~botocore.auth.SigV4Auth` signs, and its session finds credentials the
way every AWS tool does (environment, ``AWS_PROFILE`` and ``~/.aws``, SSO,
container and instance roles) and refreshes the ones that expire. The signer
is an :class:`httpx.Auth`, so the shared retry loop runs it again on every
attempt: each one carries a fresh ``X-Amz-Date`` and, for refreshable
credentials, the current keys.

``import visionkit`` does not import botocore; this module imports it on the
first call, and a missing install is a :class:`~visionkit.errors.ConfigError`
naming the ``pip install``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from collections.abc import Generator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from visionkit.backends.aws.options import AwsOptions
from visionkit.errors import ConfigError
from visionkit.options import checked_secret

if TYPE_CHECKING:
    from botocore.credentials import Credentials

SERVICE_NAME = "rekognition"
INSTALL_HINT = "pip install 'visionkit[aws]'"
SIGNED_HEADERS = ("Content-Type", "X-Amz-Target")
"""Request headers copied into the signed request besides Host (botocore adds X-Amz-Date)."""


def botocore_module(name: str) -> ModuleType:
    """``botocore.<name>``, or a :class:`ConfigError` that says how to install it."""
    try:
        return importlib.import_module(f"botocore.{name}")
    except ImportError as exc:
        raise ConfigError(
            f"The aws backend needs botocore (AWS's signing and credential library), which "
            f"is not installed. Run: {INSTALL_HINT}",
            backend="aws",
        ) from exc


def botocore_installed() -> bool:
    return importlib.util.find_spec("botocore") is not None


@dataclass(frozen=True)
class AwsIdentity:
    """Credentials (botocore's object, possibly refreshable) and the region to call.

    The repr names the region only: the credentials never print.
    """

    credentials: Credentials
    region: str

    def __repr__(self) -> str:
        return f"AwsIdentity(region={self.region!r}, credentials=<hidden>)"

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output: the secret key and session token."""
        frozen = self.credentials.get_frozen_credentials()
        return tuple(s for s in (frozen.secret_key, frozen.token) if s)


def resolve_identity(options: AwsOptions) -> AwsIdentity:
    """Credentials and region from ``options``, else from botocore's standard chain.

    Raises:
        ConfigError: botocore is missing, the profile does not exist, no
            credentials or no region can be found.
    """
    session_mod = botocore_module("session")
    exceptions = botocore_module("exceptions")
    credentials_mod = botocore_module("credentials")
    try:
        session = session_mod.Session(profile=options.profile)
        # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION is the newer name.
        region = (
            options.region or os.environ.get("AWS_REGION") or session.get_config_variable("region")
        )
        if options.access_key_id and options.secret_access_key:
            credentials: Any = credentials_mod.Credentials(
                options.access_key_id.reveal(),
                options.secret_access_key.reveal(),
                options.session_token.reveal() if options.session_token else None,
            )
        else:
            credentials = _checked_chain(session.get_credentials(), credentials_mod)
    except exceptions.ProfileNotFound as exc:
        raise ConfigError(
            f"The AWS profile {options.profile!r} is not in ~/.aws/config or "
            f"~/.aws/credentials. Fix AWS_PROFILE (or aws.profile), or create it with "
            f"`aws configure --profile {options.profile}`.",
            backend="aws",
        ) from exc
    except exceptions.BotoCoreError as exc:
        raise ConfigError(
            f"botocore could not load AWS credentials: {type(exc).__name__}. Check "
            f"~/.aws/config and the AWS_* environment variables (run `aws configure list` to "
            f"see what it finds).",
            backend="aws",
        ) from exc
    if credentials is None:
        raise ConfigError(
            "The aws backend found no AWS credentials. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE "
            "for a profile in ~/.aws (run `aws configure` or `aws sso login`), or run on a "
            "machine with an instance or container role.",
            backend="aws",
        )
    if not region:
        raise ConfigError(
            "The aws backend needs a region. Set AWS_REGION (or AWS_DEFAULT_REGION), the "
            "option aws.region, or `region` in your ~/.aws/config profile; Rekognition runs "
            "in e.g. us-east-1, eu-west-1, ap-southeast-2.",
            backend="aws",
        )
    return AwsIdentity(credentials=credentials, region=str(region))


def _checked_chain(credentials: Any, credentials_mod: ModuleType) -> Any:
    """Keys from botocore's chain (``AWS_*`` variables, ~/.aws files) held to the rules
    the aws.* options are: surrounding whitespace stripped, anything else a header cannot
    carry a ConfigError that does not quote it. Left in, httpx would refuse the session
    token's header with a message (and a DEBUG log line) quoting it, or raise a bare
    UnicodeEncodeError. Refreshable credentials are checked as they stand now."""
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    where = "found by botocore (AWS_* environment variables or ~/.aws/credentials)"
    parts = (
        ("access key id", frozen.access_key),
        ("secret access key", frozen.secret_key),
        ("session token", frozen.token),
    )
    clean = [
        checked_secret(value, name=f"The AWS {name} {where}").reveal() if value else value
        for name, value in parts
    ]
    if clean == [value for _, value in parts] or hasattr(credentials, "refresh_needed"):
        return credentials
    return credentials_mod.Credentials(*clean, method=getattr(credentials, "method", None))


class _NoCanonicalRequest(logging.Filter):
    """Drops botocore.auth's DEBUG dump of what it signs: the canonical request it logs
    quotes the signed ``X-Amz-Security-Token`` header, i.e. the session token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_FILTER = _NoCanonicalRequest()


def _silence_signing_dump() -> None:
    logger = logging.getLogger("botocore.auth")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


class SigV4Signer(httpx.Auth):
    """Signs each request with botocore's SigV4 for ``rekognition`` in one region.

    ``requires_request_body``: the signature covers the SHA-256 of the exact
    bytes sent, so the body must be known before signing.
    """

    requires_request_body = True

    def __init__(self, identity: AwsIdentity, service: str = SERVICE_NAME) -> None:
        self._identity = identity
        self._service = service
        self._auth_mod = botocore_module("auth")
        self._request_mod = botocore_module("awsrequest")
        _silence_signing_dump()

    @property
    def region(self) -> str:
        return self._identity.region

    def __repr__(self) -> str:
        return f"SigV4Signer(service={self._service!r}, region={self.region!r})"

    def sign(self, request: httpx.Request) -> None:
        """Add ``X-Amz-Date``, ``Authorization`` and any ``X-Amz-Security-Token`` in place."""
        frozen = self._identity.credentials.get_frozen_credentials()
        aws = self._request_mod.AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={name: request.headers[name] for name in SIGNED_HEADERS},
        )
        self._auth_mod.SigV4Auth(frozen, self._service, self.region).add_auth(aws)
        for name, value in aws.headers.items():
            if name.lower() in ("authorization", "x-amz-date", "x-amz-security-token"):
                request.headers[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request


__all__ = [
    "INSTALL_HINT",
    "SERVICE_NAME",
    "AwsIdentity",
    "SigV4Signer",
    "botocore_installed",
    "botocore_module",
    "resolve_identity",
]

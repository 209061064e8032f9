"""Credentials for Cloud Vision: an API key, or OAuth tokens from ``google-auth``.

Two kinds, one small interface (:class:`Credentials`): the headers to add to a
request, and the secret values to keep out of every message.

* :class:`ApiKeyCredentials` sends the key as ``X-Goog-Api-Key``, never as
  ``?key=``: a header stays out of URLs, so out of proxy logs, retry log lines
  (which print the URL) and cassettes (whose scrubber redacts the header by name).
* :class:`OAuthCredentials` wraps any ``google.auth`` credentials (a
  service-account file, Application Default Credentials) and lets the library
  fetch and refresh the token; visionkit never signs a JWT or parses a token
  answer itself. The library talks to the token endpoint through
  :class:`HttpxAuthRequest`, so every byte visionkit sends goes over httpx
  (and is served by respx in tests).

``google-auth`` is imported only on the OAuth path (:func:`oauth_credentials`),
so ``import visionkit`` and API-key users never load it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from visionkit.backends.google.options import GoogleOptions
from visionkit.errors import AuthenticationError, BackendUnavailableError, ConfigError
from visionkit.options import Secret

if TYPE_CHECKING:
    import google.auth.credentials

API_KEY_HEADER = "X-Goog-Api-Key"
SCOPES = ("https://www.googleapis.com/auth/cloud-vision",)
INSTALL_HINT = "pip install 'visionkit[google]'"
_BACKEND = "google"


class Credentials(Protocol):
    """What the analyzer needs from any kind of credentials."""

    def headers(self) -> dict[str, str]:
        """Headers that authenticate one request (refreshing a token first if needed)."""
        ...

    async def aheaders(self) -> dict[str, str]: ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret value in play now, to scrub from messages."""
        ...

    def close(self) -> None: ...


class ApiKeyCredentials:
    """An API key, sent in the ``X-Goog-Api-Key`` header."""

    def __init__(self, key: Secret) -> None:
        self._key = key

    def headers(self) -> dict[str, str]:
        return {API_KEY_HEADER: self._key.reveal()}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def secrets(self) -> tuple[str, ...]:
        return (self._key.reveal(),)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "ApiKeyCredentials(key='**********')"


def _auth_transport() -> Any:
    try:
        import google.auth.transport
    except ImportError as exc:
        raise ConfigError(
            f"Service-account and Application Default Credentials for the google backend need "
            f"the google-auth library: {INSTALL_HINT}. Or use an API key (GOOGLE_API_KEY).",
            backend=_BACKEND,
        ) from exc
    return google.auth.transport


def http_auth_request(client: httpx.Client) -> Any:
    """A ``google.auth.transport.Request`` that sends through ``client`` (httpx)."""
    transport = _auth_transport()

    class _Response(transport.Response):  # type: ignore[misc, name-defined]
        def __init__(self, response: httpx.Response) -> None:
            self._response = response

        @property
        def status(self) -> int:
            return self._response.status_code

        @property
        def headers(self) -> Mapping[str, str]:
            return dict(self._response.headers)

        @property
        def data(self) -> bytes:
            return self._response.content

    class HttpxAuthRequest(transport.Request):  # type: ignore[misc, name-defined]
        """google-auth's transport interface over an httpx client."""

        def __call__(
            self,
            url: str,
            method: str = "GET",
            body: bytes | None = None,
            headers: Mapping[str, str] | None = None,
            timeout: float | None = None,
            **kwargs: Any,
        ) -> _Response:
            import google.auth.exceptions

            try:
                response = client.request(
                    method,
                    url,
                    content=body,
                    headers=dict(headers or {}),
                    timeout=timeout if timeout is not None else client.timeout,
                )
            except httpx.TransportError as exc:
                # The library's own type, so its retry and error handling apply.
                raise google.auth.exceptions.TransportError(  # type: ignore[no-untyped-call]
                    f"{type(exc).__name__} reaching {url.split('?')[0]}"
                ) from exc
            return _Response(response)

    return HttpxAuthRequest()


class OAuthCredentials:
    """``google.auth`` credentials; the token is fetched and refreshed by the library.

    Refreshes are serialised by a lock, so concurrent requests share one token
    fetch. The async twin runs the (blocking) refresh on a worker thread, which
    happens about once an hour.
    """

    def __init__(
        self,
        credentials: google.auth.credentials.Credentials,
        *,
        timeout_s: float = 30.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._credentials = credentials
        self._client = http_client
        self._owns_client = http_client is None
        self._timeout_s = timeout_s
        self._lock = threading.Lock()

    @property
    def credentials(self) -> google.auth.credentials.Credentials:
        return self._credentials

    def headers(self) -> dict[str, str]:
        import google.auth.exceptions

        with self._lock:
            if not self._credentials.valid:
                try:
                    self._credentials.refresh(http_auth_request(self._token_client()))  # type: ignore[no-untyped-call]
                except google.auth.exceptions.TransportError as exc:
                    raise BackendUnavailableError(
                        f"Could not reach Google's token endpoint to refresh the credentials "
                        f"({exc}). Check your network or proxy settings.",
                        backend=_BACKEND,
                    ) from exc
                except google.auth.exceptions.GoogleAuthError as exc:
                    raise AuthenticationError(
                        f"Google refused to issue an access token: {_scrub(str(exc), self)}. "
                        f"Check the service-account key is current (not deleted or disabled in "
                        f"IAM & Admin > Service Accounts) and, for Application Default "
                        f"Credentials, run 'gcloud auth application-default login' again.",
                        backend=_BACKEND,
                    ) from exc
            out: dict[str, str] = {}
            self._credentials.apply(out)  # type: ignore[no-untyped-call]
            return out

    async def aheaders(self) -> dict[str, str]:
        if self._credentials.valid:
            return self.headers()
        return await asyncio.to_thread(self.headers)

    def secrets(self) -> tuple[str, ...]:
        token = getattr(self._credentials, "token", None)
        return (token,) if isinstance(token, str) and token else ()

    def close(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def _token_client(self) -> httpx.Client:
        # Its own client: token calls must not count against the Vision rate limiter.
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout_s)
        return self._client

    def __repr__(self) -> str:
        return f"OAuthCredentials({type(self._credentials).__name__})"


def _scrub(text: str, credentials: Credentials) -> str:
    for secret in credentials.secrets():
        text = text.replace(secret, "**********")
    return text


def oauth_credentials(path: Path | None, *, timeout_s: float = 30.0) -> OAuthCredentials:
    """Credentials from a file (service account or other google-auth file), or from ADC.

    Raises:
        ConfigError: google-auth is not installed, the file is missing or not a
            credentials file, or no Application Default Credentials exist.
    """
    _auth_transport()
    import google.auth
    import google.auth.exceptions

    try:
        if path is not None:
            if not path.is_file():
                raise ConfigError(
                    f"The Google credentials file {path} does not exist. Set "
                    f"GOOGLE_APPLICATION_CREDENTIALS (or google.credentials_file) to the "
                    f"service-account JSON key downloaded from IAM & Admin > Service Accounts.",
                    backend=_BACKEND,
                )
            credentials, _ = google.auth.load_credentials_from_file(str(path), scopes=SCOPES)  # type: ignore[no-untyped-call]
        else:
            credentials, _ = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        where = f"{path}" if path is not None else "Application Default Credentials"
        raise ConfigError(
            f"Could not load Google credentials from {where}: {exc}. Set GOOGLE_API_KEY, or "
            f"GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON key file, or run "
            f"'gcloud auth application-default login'.",
            backend=_BACKEND,
        ) from exc
    return OAuthCredentials(credentials, timeout_s=timeout_s)


def wrap_credentials(credentials: Any, options: GoogleOptions) -> Credentials | None:
    """Credentials handed to the analyzer: visionkit's own, or any ``google.auth`` ones."""
    if credentials is None:
        return None
    if hasattr(credentials, "aheaders") and hasattr(credentials, "secrets"):
        return credentials  # type: ignore[no-any-return]
    if hasattr(credentials, "apply") and hasattr(credentials, "refresh"):
        return OAuthCredentials(credentials, timeout_s=options.timeout_s)
    raise ConfigError(
        f"credentials must be google.auth credentials or visionkit's Credentials, not "
        f"{type(credentials).__name__}.",
        backend=_BACKEND,
    )


def credentials_for(options: GoogleOptions) -> Credentials:
    """The credentials the options name, in the documented order (see :mod:`.options`)."""
    mode = options.auth
    if mode == "api_key" or (mode == "auto" and options.api_key):
        if not options.api_key:
            raise ConfigError(
                "google.auth is 'api_key' but no key is set. Set GOOGLE_API_KEY, or "
                'visionkit.configure(google={"api_key": "..."}); keys are made under APIs & '
                "Services > Credentials in the Google Cloud console.",
                backend=_BACKEND,
            )
        return ApiKeyCredentials(options.api_key)
    if mode == "credentials_file" or (mode == "auto" and options.credentials_file):
        if options.credentials_file is None:
            raise ConfigError(
                "google.auth is 'credentials_file' but no file is set. Set "
                "GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON key file.",
                backend=_BACKEND,
            )
        return oauth_credentials(options.credentials_file, timeout_s=options.timeout_s)
    return oauth_credentials(None, timeout_s=options.timeout_s)


__all__ = [
    "API_KEY_HEADER",
    "INSTALL_HINT",
    "SCOPES",
    "ApiKeyCredentials",
    "Credentials",
    "OAuthCredentials",
    "credentials_for",
    "http_auth_request",
    "oauth_credentials",
    "wrap_credentials",
]

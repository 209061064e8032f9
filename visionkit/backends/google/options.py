"""Settings of the ``google`` backend, declared once for config files, env and errors.

Every field can be set as ``[google]`` in the config file, with
``visionkit.configure(google={...})``, as a keyword of :class:`GoogleAnalyzer`,
or through the environment variables its :func:`~visionkit.options.option`
names (plus the generic ``VISIONKIT_GOOGLE_<NAME>``). The API key is a
:class:`~visionkit.options.Secret`, so no repr, log line or error message can
print it by accident.

Credentials are tried in a fixed order, so which one is used never depends on
luck: an API key, else a service-account (or other credentials) file, else
Google's Application Default Credentials (gcloud login, the metadata server).
The last two go through the ``google-auth`` library (``visionkit[google]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from visionkit.backends.http import RetryPolicy
from visionkit.errors import ConfigError
from visionkit.options import Secret, option

AuthMode = Literal["auto", "api_key", "credentials_file", "adc"]
TextMode = Literal["text", "document"]
UrlMode = Literal["download", "pass"]

DEFAULT_ENDPOINT = "https://vision.googleapis.com"


@dataclass(frozen=True)
class GoogleOptions:
    """Credentials and behaviour of the Google Cloud Vision backend."""

    api_key: Secret | None = option(
        env=("GOOGLE_API_KEY",),
        secret=True,
        help="An API key restricted to the Cloud Vision API (APIs & Services > Credentials).",
    )
    credentials_file: Path | None = option(
        env=("GOOGLE_APPLICATION_CREDENTIALS",),
        help="A service-account JSON key file (or any google-auth credentials file).",
    )
    auth: AuthMode = option(
        "auto",
        help=(
            "Which credentials to use: auto (api_key, else credentials_file, else Application "
            "Default Credentials), or force one of api_key, credentials_file, adc."
        ),
    )
    endpoint: str = option(
        DEFAULT_ENDPOINT,
        help="Service root; https://eu-vision.googleapis.com keeps data in the EU.",
    )
    model: str | None = option(
        None,
        help="Pin a model for every feature (builtin/stable, builtin/latest); default: stable.",
    )
    max_results: int = option(
        50, help="Most labels, objects, faces, logos and landmarks to return per image (1-1000)."
    )
    text_mode: TextMode = option(
        "text",
        help="OCR flavour: text (TEXT_DETECTION, photos and signs) or document (dense text).",
    )
    language_hints: tuple[str, ...] = option(
        (), help="BCP-47 language hints for OCR (e.g. en,ja); default: detected."
    )
    url_mode: UrlMode = option(
        "download",
        help=(
            "An http(s) image URL is downloaded by visionkit and sent as bytes (download), or "
            "passed to Google to fetch (pass: no image size, so no objects or metadata)."
        ),
    )
    timeout_s: float = option(30.0, help="Seconds to wait for each HTTP answer.")
    deadline_s: float = option(
        30.0,
        help=(
            "Seconds one call may take in total (connect to last byte, retries included); "
            "analyze_many applies it to each request of up to 16 images."
        ),
    )
    max_retries: int = option(
        3, help="Retries after 429 RESOURCE_EXHAUSTED, 5xx answers, timeouts and dropped links."
    )
    max_retry_time_s: float = option(
        60.0, help="Stop retrying once this many seconds have gone into one request."
    )
    backoff_base_s: float = option(
        1.0, help="First backoff ceiling; it doubles each retry (full jitter)."
    )
    backoff_max_s: float = option(32.0, help="Largest backoff between two retries.")

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigError(
                f"google.endpoint must be an https:// URL such as {DEFAULT_ENDPOINT}, "
                f"got {self.endpoint!r}.",
                backend="google",
            )
        for name in ("timeout_s", "deadline_s"):
            value = getattr(self, name)
            if not value > 0 or value != value:
                raise ConfigError(
                    f"google.{name} must be a positive number of seconds, got {value}.",
                    backend="google",
                )
        if not 1 <= self.max_results <= 1000:
            raise ConfigError(
                f"google.max_results must be between 1 and 1000, got {self.max_results}.",
                backend="google",
            )
        for name in ("max_retry_time_s", "backoff_base_s", "backoff_max_s"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"google.{name} must not be negative, got {getattr(self, name)}.",
                    backend="google",
                )
        if self.max_retries < 0:
            raise ConfigError(
                f"google.max_retries must be 0 or more, got {self.max_retries}.",
                backend="google",
            )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            max_retry_time_s=self.max_retry_time_s,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
        )


__all__ = ["DEFAULT_ENDPOINT", "AuthMode", "GoogleOptions", "TextMode", "UrlMode"]

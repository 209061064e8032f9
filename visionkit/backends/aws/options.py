"""Settings of the ``aws`` backend, declared once for config files, env and errors.

Credentials are deliberately *not* read here from ``AWS_ACCESS_KEY_ID`` and
friends: botocore's standard chain does that (environment, ``AWS_PROFILE`` and
``~/.aws``, SSO, container and instance roles), in the order every AWS tool
uses, and refreshes what expires. The explicit fields below exist for
``visionkit.configure(aws={...})`` and the generic ``VISIONKIT_AWS_<NAME>``
variables, and win over the chain when set. Secrets are
:class:`~visionkit.options.Secret`, so no repr, log line or error prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from visionkit.backends.aws.errors import is_retryable
from visionkit.backends.http import RetryPolicy
from visionkit.errors import ConfigError
from visionkit.options import Secret, option

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

SIGNATURE_LIFETIME_S = 300.0
"""AWS refuses a SigV4 signature older than five minutes; each attempt is signed anew,
but one attempt's wait must still fit well inside it."""


@dataclass(frozen=True)
class AwsOptions:
    """Region, credentials and behaviour of the AWS Rekognition backend."""

    region: str | None = option(
        env=("AWS_REGION", "AWS_DEFAULT_REGION"),
        help="Rekognition region, e.g. eu-west-1; else the profile's region in ~/.aws/config.",
    )
    profile: str | None = option(
        env=("AWS_PROFILE",),
        help="Named profile of ~/.aws/config and ~/.aws/credentials (SSO, roles, static keys).",
    )
    access_key_id: Secret | None = option(
        secret=True,
        help="Static access key id; normally left unset so botocore's chain finds credentials.",
    )
    secret_access_key: Secret | None = option(
        secret=True, help="Static secret access key, with access_key_id."
    )
    session_token: Secret | None = option(
        secret=True, help="Session token of temporary credentials, with the two keys above."
    )
    endpoint_url: str | None = option(
        None,
        help="Override https://rekognition.<region>.amazonaws.com/ (FIPS or VPC endpoints).",
    )
    min_confidence: float | None = option(
        None,
        help="DetectLabels: drop labels below this score, 0-1; service default 0.55.",
    )
    max_labels: int | None = option(
        None, help="DetectLabels: at most this many labels; service default 1000."
    )
    moderation_min_confidence: float = option(
        0.5,
        help=(
            "DetectModerationLabels threshold, 0-1 (the service default): an adult score "
            "of None means no label reached it (kept as adult.reporting_threshold)."
        ),
    )
    max_dominant_colors: int = option(
        10, help="DetectLabels IMAGE_PROPERTIES: dominant colours returned, 1-20."
    )
    timeout_s: float = option(30.0, help="Seconds to wait for each HTTP answer.")
    deadline_s: float = option(
        30.0,
        help=(
            "Seconds one operation may take in total (connect to last byte, retries "
            "included); analyze_many applies it to each image."
        ),
    )
    max_retries: int = option(
        3,
        help="Retries after throttling and transient failures (botocore's standard mode: 3).",
    )
    max_retry_time_s: float = option(
        60.0, help="Stop retrying once this many seconds have gone into one request."
    )
    backoff_base_s: float = option(
        1.0, help="First backoff ceiling; it doubles each retry (full jitter), as botocore's."
    )
    backoff_max_s: float = option(20.0, help="Largest backoff between two retries.")
    resize_to_fit: bool = option(
        True,
        help=(
            "Downscale or re-encode images outside Rekognition's limits (JPEG/PNG, 5 MB, "
            "10,000 px a side) before upload; off: refuse them with InvalidImageError."
        ),
    )

    def __post_init__(self) -> None:
        if self.region is not None and not _REGION.match(self.region):
            raise ConfigError(
                f"aws.region must be an AWS region name such as eu-west-1, got {self.region!r}.",
                backend="aws",
            )
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
            if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
                raise ConfigError(
                    f"aws.endpoint_url must be an https:// URL (http:// only on loopback, for "
                    f"local emulators), got {self.endpoint_url!r}.",
                    backend="aws",
                )
        keys = (self.access_key_id, self.secret_access_key)
        if any(keys) and not all(keys):
            raise ConfigError(
                "aws.access_key_id and aws.secret_access_key go together: set both, or "
                "neither (then botocore's credential chain is used).",
                backend="aws",
            )
        if self.session_token and not all(keys):
            raise ConfigError(
                "aws.session_token needs aws.access_key_id and aws.secret_access_key too.",
                backend="aws",
            )
        for name in ("min_confidence", "moderation_min_confidence"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(
                    f"aws.{name} is a score between 0 and 1, got {value!r}.", backend="aws"
                )
        if self.max_labels is not None and self.max_labels < 1:
            raise ConfigError(
                f"aws.max_labels must be 1 or more, got {self.max_labels}.", backend="aws"
            )
        if not 1 <= self.max_dominant_colors <= 20:
            raise ConfigError(
                f"aws.max_dominant_colors must be 1 to 20, got {self.max_dominant_colors}.",
                backend="aws",
            )
        for name in ("timeout_s", "deadline_s"):
            value = getattr(self, name)
            if not value > 0 or value != value:
                raise ConfigError(
                    f"aws.{name} must be a positive number of seconds, got {value}.",
                    backend="aws",
                )
        if self.max_retries < 0:
            raise ConfigError(
                f"aws.max_retries must be 0 or more, got {self.max_retries}.", backend="aws"
            )
        for name in ("max_retry_time_s", "backoff_base_s", "backoff_max_s"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"aws.{name} must not be negative, got {getattr(self, name)}.", backend="aws"
                )
        if self.backoff_max_s >= SIGNATURE_LIFETIME_S:
            raise ConfigError(
                f"aws.backoff_max_s must stay under {SIGNATURE_LIFETIME_S:g}s, the life of a "
                f"request signature; got {self.backoff_max_s}.",
                backend="aws",
            )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            max_retry_time_s=self.max_retry_time_s,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            retry_when=is_retryable,
        )


__all__ = ["SIGNATURE_LIFETIME_S", "AwsOptions"]

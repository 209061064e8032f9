"""Settings of the ``azure`` backend, declared once for config files, env and errors.

Every field can be set as ``[azure]`` in the config file, with
``visionkit.configure(azure={...})``, as a keyword of :class:`AzureAnalyzer`,
or through the environment variables its :func:`~visionkit.options.option`
names (plus the generic ``VISIONKIT_AZURE_<NAME>``). The key is a
:class:`~visionkit.options.Secret`, so no repr, log line or error message can
print it by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from visionkit.backends.http import RetryPolicy
from visionkit.errors import ConfigError
from visionkit.options import Secret, check_secret_fields, option

ApiVersion = Literal["v3.2", "4.0"]


@dataclass(frozen=True)
class AzureOptions:
    """Endpoint, key and behaviour of the Azure Computer Vision backend."""

    endpoint: str | None = option(
        env=("AZURE_VISION_ENDPOINT", "VISION_ENDPOINT"),
        help="Your resource's endpoint, e.g. https://<name>.cognitiveservices.azure.com/",
    )
    key: Secret | None = option(
        env=("AZURE_VISION_KEY", "VISION_KEY"),
        secret=True,
        help="Either key of the resource (Keys and Endpoint page in the Azure portal).",
    )
    api: ApiVersion = option(
        "v3.2",
        help="REST API: v3.2 (Computer Vision) or 4.0 (Image Analysis 2023-10-01).",
    )
    language: str | None = option(
        None, help="Language of captions, tags and names (e.g. en, es, ja); service default: en."
    )
    model_version: str | None = option(
        None,
        help="Pin a model (e.g. 2021-04-01) so results do not change over time; default: latest.",
    )
    timeout_s: float = option(30.0, help="Seconds to wait for each HTTP answer.")
    deadline_s: float = option(
        30.0,
        help=(
            "Seconds one call may take in total (connect to last byte, retries and OCR "
            "polling included); analyze_many applies it to each image."
        ),
    )
    max_retries: int = option(
        3, help="Retries after throttling (429), 5xx answers, timeouts and dropped connections."
    )
    max_retry_time_s: float = option(
        60.0, help="Stop retrying once this many seconds have gone into one request."
    )
    backoff_base_s: float = option(
        0.5, help="First backoff ceiling; it doubles each retry (full jitter)."
    )
    backoff_max_s: float = option(8.0, help="Largest backoff between two retries.")
    read_poll_interval_s: float = option(
        0.5, help="First wait before polling an OCR (Read) operation; it grows 1.5x per poll."
    )
    read_max_wait_s: float = option(
        60.0, help="Give up on an OCR (Read) operation that has not finished after this long."
    )
    resize_to_fit: bool = option(
        True,
        help=(
            "Downscale, upscale or re-encode images outside Azure's limits before upload "
            "(boxes are mapped back to your image); off: refuse them with InvalidImageError."
        ),
    )

    def __post_init__(self) -> None:
        check_secret_fields(self, backend="azure")
        if self.endpoint is not None:
            parts = urlsplit(self.endpoint)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                raise ConfigError(
                    f"azure.endpoint must be an https:// URL such as "
                    f"https://<resource>.cognitiveservices.azure.com/, got {self.endpoint!r}.",
                    backend="azure",
                )
        for name in ("timeout_s", "deadline_s"):
            value = getattr(self, name)
            if not value > 0 or value != value:
                raise ConfigError(
                    f"azure.{name} must be a positive number of seconds, got {value}.",
                    backend="azure",
                )
        for name in (
            "max_retry_time_s",
            "backoff_base_s",
            "backoff_max_s",
            "read_poll_interval_s",
            "read_max_wait_s",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"azure.{name} must not be negative, got {getattr(self, name)}.",
                    backend="azure",
                )
        if self.max_retries < 0:
            raise ConfigError(
                f"azure.max_retries must be 0 or more, got {self.max_retries}.", backend="azure"
            )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            max_retry_time_s=self.max_retry_time_s,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
        )


__all__ = ["ApiVersion", "AzureOptions"]

"""The visionkit exception tree.

Every error visionkit raises on purpose is a :class:`VisionKitError`, so one
``except VisionKitError`` guards a whole application, and every message says
what went wrong *and* what to do about it. Library exceptions (Pillow, httpx,
TensorFlow) never escape bare: they are wrapped and kept as ``__cause__``.

::

    VisionKitError
    ├── ConfigError                 bad or missing configuration, unknown backend
    │   └── MissingDependencyError  an optional extra is not installed
    ├── InvalidImageError           the input is not an image we can analyse
    ├── UnsupportedFeatureError     the backend cannot do a requested feature
    ├── ModelError                  a local model file is missing or unusable
    └── BackendError                the backend failed to answer
        ├── AuthenticationError     401/403: key or endpoint rejected
        ├── RateLimitError          429 after retries; carries retry_after
        │   └── QuotaExceededError  the tier's call quota is used up: not retried
        ├── BackendTimeoutError     no answer in time
        └── BackendUnavailableError connection refused, DNS, 5xx after retries

Cloud-side errors carry the HTTP status, the vendor's error code and the
request id, because those are what a support ticket asks for.
"""

from __future__ import annotations

from collections.abc import Iterable


class VisionKitError(Exception):
    """Base class of every error visionkit raises deliberately."""

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend

    def __str__(self) -> str:
        return self.message


class ConfigError(VisionKitError):
    """Configuration is invalid, incomplete or names something that does not exist."""


class MissingDependencyError(ConfigError):
    """A feature needs an optional extra that is not installed; the message names the pip line.

    Raised when the feature is used, not when visionkit is imported, so the base
    install never fails because of an extra nobody asked for.
    """

    def __init__(self, what: str, *, module: str, extra: str) -> None:
        super().__init__(
            f"{what} needs {module}, which is not installed. Install it with: "
            f"pip install 'visionkit[{extra}]'"
        )
        self.module = module
        self.extra = extra


class InvalidImageError(VisionKitError):
    """The input cannot be analysed as an image (missing, corrupt, too big, ...).

    ``source`` names the input (a path, a URL, or a description such as
    ``"<bytes: 0 bytes>"``) so that a batch failure points at the right file.
    Cloud backends also set ``status`` and ``code`` when the service rejected it.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        backend: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, backend=backend)
        self.source = source
        self.status = status
        self.code = code
        self.request_id = request_id


class UnsupportedFeatureError(VisionKitError):
    """A backend was asked for a feature it does not offer."""

    def __init__(
        self, feature: str, backend: str, supported_by: Iterable[str], *, fix: str = ""
    ) -> None:
        others = sorted(supported_by)
        hint = (
            f"Backends that can: {', '.join(others)}."
            if others
            else "No installed backend offers it."
        )
        if fix:  # an opt-in option would turn it on
            message = (
                f"The {backend!r} backend does not offer the {feature!r} feature with its "
                f"current options. {fix} {hint}"
            )
        else:
            message = (
                f"The {backend!r} backend does not support the {feature!r} feature. {hint} "
                "Leave it out of `features`, or choose another backend."
            )
        super().__init__(message, backend=backend)
        self.feature = feature
        self.supported_by = tuple(others)


class ModelError(VisionKitError):
    """A local model file is missing, corrupt or of the wrong shape."""


class BackendError(VisionKitError):
    """A backend service failed; keeps what a support request needs."""

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, backend=backend)
        self.status = status
        self.code = code
        self.request_id = request_id


class AuthenticationError(BackendError):
    """The service rejected the credentials or the endpoint (HTTP 401/403)."""


class RateLimitError(BackendError):
    """The service kept answering 429 after all retries.

    ``retry_after`` is the service's own advice in seconds, when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        backend: str | None = None,
        status: int | None = 429,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, backend=backend, status=status, code=code, request_id=request_id)
        self.retry_after = retry_after


class QuotaExceededError(RateLimitError):
    """The service's call quota for the account's pricing tier is used up.

    A rate limit over a long window (Azure answers 403 "Out of call volume
    quota" when a free tier's allowance is spent), so it is a
    :class:`RateLimitError`: code that handles throttling, and fallback, treat it
    alike. It differs in what helps: it does not clear in seconds, so it is never
    retried, and the fix is a paid tier, another resource, or waiting for the
    quota to renew. It is not an :class:`AuthenticationError`: the key is fine.
    """


class BackendTimeoutError(BackendError):
    """The service did not answer within the configured timeout."""


class BackendUnavailableError(BackendError):
    """The service could not be reached, or kept failing with 5xx."""


__all__ = [
    "AuthenticationError",
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigError",
    "InvalidImageError",
    "MissingDependencyError",
    "ModelError",
    "QuotaExceededError",
    "RateLimitError",
    "UnsupportedFeatureError",
    "VisionKitError",
]

"""Transport failures as visionkit errors, the same way for every cloud backend.

A refused connection or a timeout says nothing about the vendor, so the
wording and the class (:class:`~visionkit.errors.BackendTimeoutError` or
:class:`~visionkit.errors.BackendUnavailableError`) are decided here once.
The httpx exception is kept as ``__cause__`` by the caller's ``raise ... from``.
"""

from __future__ import annotations

import httpx

from visionkit.backends.http.limits import BadContentEncoding, DeadlineExceeded, ResponseTooLarge
from visionkit.errors import BackendError, BackendTimeoutError, BackendUnavailableError


def transport_error(exc: httpx.TransportError, *, backend: str, service: str) -> BackendError:
    """The visionkit error for an httpx transport failure that survived the retries.

    ``service`` is the human name used in the message ("Azure Computer Vision").
    The URL is reported without its query string.
    """
    try:
        where = str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # an exception raised outside a request has no .request
        where = "the service"
    if isinstance(exc, DeadlineExceeded):
        return BackendTimeoutError(
            f"{service} did not answer in time: {exc} (on {where}, retries included). "
            f"Raise the backend's deadline_s for large images or slow networks, or try "
            f"again later.",
            backend=backend,
        )
    if isinstance(exc, ResponseTooLarge):
        return BackendError(
            f"{service} sent an answer too large to be real: {exc} (on {where}). "
            f"visionkit stopped reading it; this is a proxy or server fault, not your image.",
            backend=backend,
        )
    if isinstance(exc, BadContentEncoding):
        return BackendError(
            f"{service} sent an unreadable answer: {exc} (on {where}). Check any proxy "
            f"between you and the service.",
            backend=backend,
        )
    if isinstance(exc, httpx.TimeoutException):
        return BackendTimeoutError(
            f"{service} did not answer in time ({type(exc).__name__} on {where}). "
            f"Raise the backend's timeout_s for large images, or try again later.",
            backend=backend,
        )
    return BackendUnavailableError(
        f"Could not reach {service} ({type(exc).__name__} on {where}: {exc}). "
        f"Check the endpoint and your network or proxy settings.",
        backend=backend,
    )


__all__ = ["transport_error"]

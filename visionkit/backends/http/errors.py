"""Transport failures as visionkit errors, the same way for every cloud backend.

A refused connection or a timeout says nothing about the vendor, so the
wording and the class (:class:`~visionkit.errors.BackendTimeoutError` or
:class:`~visionkit.errors.BackendUnavailableError`) are decided here once.
The httpx exception is kept as ``__cause__`` by the caller's ``raise ... from``.
"""

from __future__ import annotations

import httpx

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

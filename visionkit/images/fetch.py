"""Image URLs: download within the limits, and never let a password reach a message.

Every httpx failure becomes an :class:`~visionkit.errors.InvalidImageError`
naming the URL without its ``user:password@``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from visionkit.errors import InvalidImageError
from visionkit.images.validate import ImageLimits

_MAX_REDIRECTS = 5


def redact_url(url: str) -> str:
    """Drop ``user:password@`` so credentials never reach logs or messages.

    Only the userinfo is removed. Query strings (which may hold SAS tokens) are
    kept because they are often what distinguishes two images; callers who log
    sources of signed URLs must redact those themselves.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _check_response(response: httpx.Response, source: str, limits: ImageLimits) -> None:
    if not response.is_success:
        phrase = response.reason_phrase or "error"
        raise InvalidImageError(
            f"Downloading {source} failed: the server answered {response.status_code} {phrase}. "
            "Check that the URL is public and correct, or download it yourself and pass bytes.",
            source=source,
            status=response.status_code,
        )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise InvalidImageError(
            f"{source} is {int(declared):,} bytes, over the limit of {limits.max_bytes:,}. "
            "Use a smaller image or raise ImageLimits.max_bytes.",
            source=source,
        )


def _too_large_download(source: str, limits: ImageLimits) -> InvalidImageError:
    return InvalidImageError(
        f"{source} sent more than the limit of {limits.max_bytes:,} bytes; the download was "
        "stopped. Use a smaller image or raise ImageLimits.max_bytes.",
        source=source,
    )


def _http_error(source: str, exc: httpx.HTTPError, limits: ImageLimits) -> InvalidImageError:
    if isinstance(exc, httpx.TimeoutException):
        reason = (
            f"no answer within {limits.url_timeout_s:g} s. Try again later, or raise "
            "ImageLimits.url_timeout_s"
        )
    elif isinstance(exc, httpx.TooManyRedirects):
        reason = f"more than {_MAX_REDIRECTS} redirects. Use the final URL of the image"
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        reason = f"{exc}. Only http:// and https:// URLs can be downloaded"
    else:
        reason = f"{exc or type(exc).__name__}. Check the URL and the network"
    return InvalidImageError(f"Could not download {source}: {reason}.", source=source)


def _new_client_kwargs(limits: ImageLimits) -> dict[str, Any]:
    return {
        "timeout": httpx.Timeout(limits.url_timeout_s),
        "follow_redirects": True,
        "max_redirects": _MAX_REDIRECTS,
    }


def fetch(url: str, limits: ImageLimits, client: httpx.Client | None) -> bytes:
    """Download ``url`` within ``limits`` (size counted while streaming, one timeout)."""
    source = redact_url(url)
    owned = client is None
    http = httpx.Client(**_new_client_kwargs(limits)) if client is None else client
    try:
        with http.stream(
            "GET", url, follow_redirects=True, timeout=httpx.Timeout(limits.url_timeout_s)
        ) as response:
            _check_response(response, source, limits)
            chunks = bytearray()
            for chunk in response.iter_bytes():
                chunks += chunk
                if len(chunks) > limits.max_bytes:
                    raise _too_large_download(source, limits)
            return bytes(chunks)
    except httpx.HTTPError as exc:
        raise _http_error(source, exc, limits) from exc
    finally:
        if owned:
            http.close()


async def fetch_async(url: str, limits: ImageLimits, client: httpx.AsyncClient | None) -> bytes:
    """The awaitable twin of :func:`fetch`."""
    source = redact_url(url)
    owned = client is None
    http = httpx.AsyncClient(**_new_client_kwargs(limits)) if client is None else client
    try:
        async with http.stream(
            "GET", url, follow_redirects=True, timeout=httpx.Timeout(limits.url_timeout_s)
        ) as response:
            _check_response(response, source, limits)
            chunks = bytearray()
            async for chunk in response.aiter_bytes():
                chunks += chunk
                if len(chunks) > limits.max_bytes:
                    raise _too_large_download(source, limits)
            return bytes(chunks)
    except httpx.HTTPError as exc:
        raise _http_error(source, exc, limits) from exc
    finally:
        if owned:
            await http.aclose()


__all__ = ["fetch", "fetch_async", "redact_url"]

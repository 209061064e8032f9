"""Image URLs: download within the limits and the URL policy, and keep secrets out of messages.

A download is a loop over hops, one request each, so that every hop is held to
the same rules (:mod:`~visionkit.images.urlpolicy`): the scheme, the number of
redirects, and the address, checked where the connection is opened. The loop,
not httpx, follows redirects, which also decides where credentials go:
``user:password@`` is taken out of the URL before any request (so no log line,
httpx's own included, can show it) and sent as an ``Authorization`` header to
the URL's own origin only, never to a host a redirect names.

The body is read raw and any ``Content-Encoding`` undone here, incrementally
and bounded by :attr:`~ImageLimits.max_bytes`, because httpx's decoder would
inflate a 64 kB gzip chunk to 64 MB (and a doubly gzipped one to gigabytes)
before anything could count it. One deadline covers the whole download.

:func:`redact_url` is the one way to show a URL: every message, log line and
description of an input goes through it.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import httpx

from visionkit.errors import InvalidImageError
from visionkit.images.inflate import Inflater
from visionkit.images.transport import AsyncGuardedTransport, Deadline, GuardedTransport
from visionkit.images.urlpolicy import Guard, UrlRefused
from visionkit.images.validate import ImageLimits

logger = logging.getLogger("visionkit.images")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*:)?//[^/?#]*@")
_QUERY_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
_SECRET_NAMES = frozenset(
    {"sig", "signature", "key", "code", "auth", "password", "pass", "pwd", "secret", "token"}
)
_SECRET_PARTS = ("signature", "token", "secret", "password", "credential", "apikey", "api_key")
_SECRET_SUFFIXES = ("-key", "_key", "key")
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_MAX_HOST = 253  # DNS's longest name; longer hosts fill messages with kilobytes of host
_MAX_PORT = 65_535


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in _SECRET_NAMES
        or any(part in lowered for part in _SECRET_PARTS)
        or lowered.endswith(_SECRET_SUFFIXES)
    )


def redact_url(url: str) -> str:
    """``url`` fit to show: no ``user:password@``, secret query values replaced, printable.

    Query parameters whose name says they are a credential (``key``, ``sig``,
    ``token``, ``X-Amz-Signature``, ``X-Goog-Credential``, ``*_key``,
    ``*password*``, ...) keep their name and lose their value
    (``sig=REDACTED``), so two signed URLs of different images still read
    differently. Works on text, not a parsed URL, so a malformed URL is
    redacted too. Control characters are shown escaped and very long URLs
    shortened.
    """
    shown = _USERINFO.sub(lambda m: f"{m.group(1) or ''}//", url.strip(), count=1)
    shown = _QUERY_PARAM.sub(
        lambda m: f"{m.group(1)}{m.group(2)}=REDACTED" if _secret_name(m.group(2)) else m.group(0),
        shown,
    )
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in shown)
    return shown if len(shown) <= 300 else f"{shown[:300]}... ({len(url)} characters)"


class _RedactUrls(logging.Filter):
    """Shows the URLs of httpx's own log lines through :func:`redact_url`.

    visionkit's transport logs no URL, but a caller's client does (httpx's INFO
    line ``HTTP Request: GET URL``), query string and all: a signed URL's
    ``sig=`` or ``X-Amz-Signature=`` would be in it. Only secrets change, so
    the filter is harmless for the application's other requests.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # The message as formatted: another filter (the backends' secret scrubber) may have
        # formatted it already, so the URL is found in the text, not among the arguments.
        message = record.getMessage()
        shown = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), message)
        if shown != message:
            record.msg, record.args = shown, ()
        return True


_redact_urls = _RedactUrls()


def _install_url_filter() -> None:
    """Attach :class:`_RedactUrls` to httpx's logger, once (downloads through a caller's client)."""
    httpx_logger = logging.getLogger("httpx")
    if _redact_urls not in httpx_logger.filters:
        httpx_logger.addFilter(_redact_urls)


@dataclass(frozen=True)
class _Hop:
    url: httpx.URL
    authorization: str | None  # sent only while the hop's origin is the first URL's


def _refused(source: str, exc: UrlRefused) -> InvalidImageError:
    if exc.rule == "dns":
        return InvalidImageError(
            f"Could not download {source}: {exc.reason}. Check the host name and the network.",
            source=source,
        )
    return InvalidImageError(
        f"Refused to download {source}: {exc.reason} [rule: {exc.rule}]. See docs/images.md "
        "(URL policy).",
        source=source,
    )


def parse_url(url: str, limits: ImageLimits) -> _Hop:
    """The first hop of ``url``: validated, userinfo moved into an ``Authorization`` header."""
    source = redact_url(url)
    if any(not c.isprintable() or c.isspace() for c in url):
        raise InvalidImageError(
            f"{source} is not a valid URL: it contains whitespace or a control character "
            "(a NUL byte, a line break...). Percent-encode it (%20, %00) or fix the URL.",
            source=source,
        )
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise InvalidImageError(
            f"{source} is not a valid URL ({_scrub(exc, url)}). Check the host and the port.",
            source=source,
        ) from exc
    _check_scheme(parsed, source, "")
    authorization = None
    if parsed.username or parsed.password:
        pair = f"{parsed.username}:{parsed.password}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        parsed = parsed.copy_with(username=None, password=None)
    return _Hop(parsed, authorization)


def _check_scheme(url: httpx.URL, source: str, how: str) -> None:
    """Refuse what no request could be made to: another scheme, no host, a bad host or port.

    httpx accepts some of these when it parses the URL and fails only later (an
    IDNA error when the host is read, an ``OverflowError`` or an exception group
    from the socket layer for port 99999), so they are caught here, for the
    first URL and every redirect alike.
    """
    if url.scheme not in ("http", "https"):
        shown = url.scheme or "none"
        raise _refused(
            source,
            UrlRefused(
                "scheme",
                f"{how}the scheme is {shown!r}; only http:// and https:// URLs are downloaded",
            ),
        )
    problem = _host_problem(url)
    if problem is None and url.port is not None and not 0 < url.port <= _MAX_PORT:
        problem = f"its port {url.port} is outside 1-{_MAX_PORT}"
    if problem is None:
        return
    if how:  # a redirect: name the URL that was asked for, then where it led
        raise InvalidImageError(
            f"Could not download {source}: {how}that is not a valid URL: {problem}.",
            source=source,
        )
    raise InvalidImageError(
        f"{source} is not a valid URL: {problem}. Check the URL.", source=source
    )


def _host_problem(url: httpx.URL) -> str | None:
    """What is wrong with ``url``'s host, or ``None``: missing, too long, not valid IDNA."""
    raw = url.raw_host
    if not raw:
        return "it has no host"
    if len(raw) > _MAX_HOST:
        return f"its host is {len(raw):,} characters long, over DNS's limit of {_MAX_HOST}"
    try:
        url.host  # noqa: B018 - decoding the host is the check
    except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
        return f"its host {_shorten_host(raw)!r} is not a valid internationalised name ({exc})"
    return None


def _shorten_host(raw: bytes) -> str:
    text = raw.decode("ascii", "backslashreplace")
    return text if len(text) <= 80 else f"{text[:80]}..."


def _next_hop(
    hop: _Hop, response: httpx.Response, source: str, hops: int, limits: ImageLimits
) -> _Hop:
    location = response.headers.get("Location", "")
    if hops >= limits.max_redirects:
        rule = (
            "no redirects are allowed"
            if limits.max_redirects == 0
            else (f"more than {limits.max_redirects} redirects")
        )
        raise _refused(
            source,
            UrlRefused(
                "redirects",
                f"{rule} (the server answered {response.status_code} to "
                f"{redact_url(location) or 'nowhere'}). Use the final URL of the image, or raise "
                "max_redirects",
            ),
        )
    try:
        target = hop.url.join(location)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise InvalidImageError(
            f"Could not download {source}: it redirects to {redact_url(location)!r}, which is "
            "not a valid URL.",
            source=source,
        ) from exc
    _check_scheme(target, source, f"it redirects to {redact_url(str(target))[:80]}, and ")
    if target.username or target.password:  # credentials a server hands out are not used
        target = target.copy_with(username=None, password=None)
    same_origin = (target.scheme, target.host, target.port) == (
        hop.url.scheme,
        hop.url.host,
        hop.url.port,
    )
    return _Hop(target, hop.authorization if same_origin else None)


def _request(hop: _Hop, limits: ImageLimits, deadline: Deadline) -> httpx.Request:
    headers = {"Accept": "image/*", "Accept-Encoding": "identity"}
    if hop.authorization:
        headers["Authorization"] = hop.authorization
    request = httpx.Request("GET", hop.url, headers=headers)
    step = deadline.clip(limits.url_timeout_s, httpx.TimeoutException)
    request.extensions["timeout"] = httpx.Timeout(step).as_dict()
    return request


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


def _too_large(source: str, limits: ImageLimits) -> InvalidImageError:
    return InvalidImageError(
        f"{source} sent more than the limit of {limits.max_bytes:,} bytes (after undoing any "
        "Content-Encoding); the download was stopped. Use a smaller image or raise "
        "ImageLimits.max_bytes.",
        source=source,
    )


def _deadline_error(source: str, limits: ImageLimits) -> InvalidImageError:
    return InvalidImageError(
        f"Could not download {source}: it did not finish within the download deadline of "
        f"{limits.url_deadline_s:g} s (connecting to the last byte, redirects included). Try "
        "again later, or raise ImageLimits.url_deadline_s.",
        source=source,
    )


def _scrub(exc: BaseException, url: str) -> str:
    """An exception's text with any form of ``url`` in it redacted."""
    text = str(exc) or type(exc).__name__
    return text.replace(url, redact_url(url)) if url else text


def _http_error(
    source: str, url: str, exc: httpx.HTTPError, limits: ImageLimits, deadline: Deadline
) -> InvalidImageError:
    if isinstance(exc, httpx.TimeoutException):
        if deadline.expired():
            return _deadline_error(source, limits)
        reason = (
            f"no answer within {limits.url_timeout_s:g} s. Try again later, or raise "
            "ImageLimits.url_timeout_s"
        )
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        reason = f"{_scrub(exc, url)}. Only http:// and https:// URLs can be downloaded"
    else:
        reason = f"{_scrub(exc, url)}. Check the URL and the network"
    return InvalidImageError(f"Could not download {source}: {reason}.", source=source)


def _unexpected(source: str, url: str, exc: Exception) -> InvalidImageError:
    return InvalidImageError(
        f"Could not download {source}: {type(exc).__name__}: {_scrub(exc, url)}. Check the URL "
        "and the network.",
        source=source,
    )


def _inflater(response: httpx.Response, source: str, limits: ImageLimits) -> Inflater:
    return Inflater(response.headers.get("Content-Encoding", ""), limits.max_bytes, source)


def _body(
    chunks: Iterator[bytes],
    response: httpx.Response,
    source: str,
    limits: ImageLimits,
    deadline: Deadline,
) -> bytes:
    inflater = _inflater(response, source, limits)
    for chunk in chunks:
        if inflater.feed(chunk):
            raise _too_large(source, limits)
        if deadline.expired():
            raise _deadline_error(source, limits)
    if inflater.finish():
        raise _too_large(source, limits)
    return inflater.data()


def fetch(url: str, limits: ImageLimits, client: httpx.Client | None) -> bytes:
    """Download ``url`` within ``limits`` and the URL policy; see the module docstring."""
    source = redact_url(url)
    hop = parse_url(url, limits)
    deadline = Deadline(limits.url_deadline_s)
    guard = Guard(limits)
    transport: httpx.BaseTransport | None = None
    if client is None:
        transport = GuardedTransport(guard, deadline)
    else:
        _install_url_filter()
    try:
        for hops in range(limits.max_redirects + 2):
            request = _request(hop, limits, deadline)
            logger.debug("GET %s (hop %d)", redact_url(str(hop.url)), hops)
            if transport is not None:
                response = transport.handle_request(request)
                response.request = request
            else:
                _precheck(guard, hop.url)
                response = client.send(request, stream=True, follow_redirects=False)  # type: ignore[union-attr]
            try:
                public = guard.reached_public(hop.url.host, _port(hop.url))
                if response.status_code in _REDIRECTS and "Location" in response.headers:
                    hop = _next_hop(hop, response, source, hops, limits)
                    guard.previous_public = public
                    continue
                _check_response(response, source, limits)
                return _body(_raw(response), response, source, limits, deadline)
            finally:
                response.close()
        raise AssertionError("unreachable: _next_hop refuses the last redirect")
    except UrlRefused as exc:
        raise _refused(source, exc) from exc
    except httpx.HTTPError as exc:
        raise _http_error(source, url, exc, limits, deadline) from exc
    except (InvalidImageError, AssertionError):
        raise
    except Exception as exc:  # a socket or codec error httpx let through: still this URL's
        raise _unexpected(source, url, exc) from exc
    finally:
        if transport is not None:
            transport.close()


async def fetch_async(url: str, limits: ImageLimits, client: httpx.AsyncClient | None) -> bytes:
    """The awaitable twin of :func:`fetch`; the deadline also bounds DNS and a caller's client."""
    source = redact_url(url)
    hop = parse_url(url, limits)
    deadline = Deadline(limits.url_deadline_s)
    guard = Guard(limits)
    transport: httpx.AsyncBaseTransport | None = None
    if client is None:
        transport = AsyncGuardedTransport(guard, deadline)
    else:
        _install_url_filter()
    try:
        with anyio.fail_after(limits.url_deadline_s):
            for hops in range(limits.max_redirects + 2):
                request = _request(hop, limits, deadline)
                logger.debug("GET %s (hop %d)", redact_url(str(hop.url)), hops)
                if transport is not None:
                    response = await transport.handle_async_request(request)
                    response.request = request
                else:
                    await anyio.to_thread.run_sync(_precheck, guard, hop.url)
                    response = await client.send(request, stream=True, follow_redirects=False)  # type: ignore[union-attr]
                try:
                    public = guard.reached_public(hop.url.host, _port(hop.url))
                    if response.status_code in _REDIRECTS and "Location" in response.headers:
                        hop = _next_hop(hop, response, source, hops, limits)
                        guard.previous_public = public
                        continue
                    _check_response(response, source, limits)
                    inflater = _inflater(response, source, limits)
                    async for chunk in response.aiter_raw():
                        if inflater.feed(chunk):
                            raise _too_large(source, limits)
                    if inflater.finish():
                        raise _too_large(source, limits)
                    return inflater.data()
                finally:
                    await response.aclose()
            raise AssertionError("unreachable: _next_hop refuses the last redirect")
    except TimeoutError as exc:
        raise _deadline_error(source, limits) from exc
    except UrlRefused as exc:
        raise _refused(source, exc) from exc
    except httpx.HTTPError as exc:
        raise _http_error(source, url, exc, limits, deadline) from exc
    except (InvalidImageError, AssertionError):
        raise
    except Exception as exc:  # incl. an exception group from anyio's connection attempts
        raise _unexpected(source, url, exc) from exc
    finally:
        if transport is not None:
            await transport.aclose()


def _raw(response: httpx.Response) -> Iterator[bytes]:
    """The body as sent; a response already read in memory (a mock) gives its content."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _precheck(guard: Guard, url: httpx.URL) -> None:
    """The policy for a caller's client: resolve and check before the request.

    The caller's transport resolves the name again when it connects, so this
    check cannot pin the address; visionkit's own client does (docs/images.md).
    """
    guard.addresses(url.host, _port(url))


__all__ = ["fetch", "fetch_async", "parse_url", "redact_url"]

"""Removing configured secrets, by value, from anything a service answered.

A proxy, a misconfigured gateway or a hostile server can echo the key it was
sent, in an error body, a header or a 200 answer. Whatever visionkit keeps
from a response (exception messages and attributes, log lines, ``result.raw``,
the result cache, cassettes) goes through a :class:`Scrubber` first, so a
secret cannot ride along. Every backend uses the same one: it knows nothing
of any vendor, only the secret values it is given (and, by default, every
secret validated in this process, :func:`visionkit.options.known_secrets`).

Secrets are replaced whatever their length, along with the forms an echo may
take: JSON-escaped, percent-encoded, escaped as a ``repr`` shows it. JSON is
scrubbed after decoding, string by string (keys too), so ``\\u`` escapes
cannot hide a value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from visionkit.options import Secret, known_secrets

if TYPE_CHECKING:  # the result cache scrubs with this module, and it needs no httpx
    import httpx

REDACTED = "<redacted>"


class Scrubber:
    """Replaces each secret (longest first) with ``<redacted>`` in text, bytes, JSON, exceptions."""

    def __init__(
        self,
        secrets: Iterable[str | Secret] = (),
        *,
        include_known: bool = True,
        known_min_length: int = 0,
    ) -> None:
        values = {s.reveal() if isinstance(s, Secret) else str(s) for s in secrets}
        if include_known:
            values |= {v for v in known_secrets() if len(v) >= known_min_length}
        forms: set[str] = set()
        for value in values:
            if not value:
                continue
            forms.add(value)
            forms.add(json.dumps(value)[1:-1])
            forms.add(quote(value, safe=""))
            # As a repr quotes it: h11's "Illegal header value b'...'" logs and messages.
            forms.add(repr(value)[1:-1])
            forms.add(value.encode("unicode_escape").decode("ascii"))
            forms.add(repr(value.encode("utf-8", "backslashreplace"))[2:-1])
        self._forms = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def binary(self, value: bytes) -> bytes:
        for form in self._forms:
            encoded = form.encode("utf-8")
            if encoded in value:
                value = value.replace(encoded, REDACTED.encode())
        return value

    def found_in(self, value: bytes) -> bool:
        """Whether any form of any secret occurs in ``value`` (as :meth:`binary` looks)."""
        return any(form.encode("utf-8") in value for form in self._forms)

    def json(self, value: Any) -> Any:
        """A scrubbed copy of a decoded JSON value (its depth is capped before this runs)."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        return value

    def body(self, content: bytes) -> bytes:
        """A response body with secrets removed: decoded and re-encoded when it is JSON."""
        if not self._forms:
            return content
        try:
            data = json.loads(content)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self.binary(content)
        return json.dumps(self.json(data)).encode()

    def headers(self, headers: httpx.Headers) -> httpx.Headers:
        """A copy of ``headers`` with secrets removed from every value (names are case-blind)."""
        import httpx

        return httpx.Headers([(k, self.text(v)) for k, v in headers.multi_items()])

    def exception(self, exc: BaseException) -> BaseException:
        """Scrub ``exc`` in place (message, args, string attributes) and its whole cause chain."""
        seen: set[int] = set()
        node: BaseException | None = exc
        while node is not None and id(node) not in seen:
            seen.add(id(node))
            node.args = tuple(self.text(a) if isinstance(a, str) else a for a in node.args)
            for name, value in list(vars(node).items()):
                if isinstance(value, str):
                    setattr(node, name, self.text(value))
            node = node.__cause__ or node.__context__
        return exc


THIRD_PARTY_LOGGERS: tuple[str, ...] = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
"""Loggers that print response headers at DEBUG (httpcore traces them verbatim)."""


class SecretLogFilter(logging.Filter):
    """Rewrites each record's message with every known secret removed.

    A logger's filters see only the records logged on that logger itself,
    so it is attached to each of :data:`THIRD_PARTY_LOGGERS` and to visionkit's.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        scrubber = Scrubber()
        if scrubber:
            record.msg = scrubber.text(record.getMessage())
            record.args = ()
        return True


_filter = SecretLogFilter()


def install_log_filter() -> None:
    """Attach :class:`SecretLogFilter` to the HTTP loggers (idempotent; backends call it)."""
    for name in (*THIRD_PARTY_LOGGERS, "visionkit.backends.http"):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)


__all__ = ["REDACTED", "THIRD_PARTY_LOGGERS", "Scrubber", "SecretLogFilter", "install_log_filter"]

"""Keeping secrets and private hosts out of cassettes.

Cassettes are committed, so a recording must never carry a key, a token, a
signed URL's signature or the name of the resource it was recorded against.
Three layers, because each catches what the others miss:

1. **By name**: headers and query parameters whose name contains a sensitive
   word (``Ocp-Apim-Subscription-Key``, ``Authorization``, ``sig``,
   ``access_token``...) are redacted in requests and dropped from responses; so
   are string values under such keys in JSON bodies.
2. **By value**: every secret value seen in the live request (and any the
   caller names, and every secret a backend was configured with) is replaced
   wherever else it appears, as sent, JSON-escaped or percent-encoded, so a
   service that echoes the key in a body or a redirect URL cannot leak it either.
3. **By host**: the endpoint's ``scheme://host`` becomes ``https://<endpoint>``
   (the bare host ``<endpoint>``); replay puts the live endpoint back, so an
   ``Operation-Location`` recorded against one resource works against any.

Names are split into words (on punctuation and camelCase) before comparison,
so ``x-api-key`` and ``accessKey`` are sensitive but ``keywords`` is not.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from visionkit.options import known_secrets
from visionkit.testing.cassette import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    interaction_files,
    read_interaction,
)
from visionkit.testing.errors import CassetteError

REDACTED = "<redacted>"
ENDPOINT_PLACEHOLDER = "https://<endpoint>"
HOST_PLACEHOLDER = "<endpoint>"

DEFAULT_SENSITIVE_WORDS: tuple[str, ...] = (
    "key",
    "apikey",
    "token",
    "signature",
    "sig",
    "secret",
    "password",
    "authorization",
    "auth",
    "cookie",
    "credential",
    "credentials",
)

MIN_SECRET_LENGTH = 6
"""Record mode refuses a secret shorter than this (:func:`check_recordable`).

Every secret is searched for and replaced whatever its length, but replacing
every ``"en"`` in a body because a header held ``"en"`` would wreck the
recording, so a key that short is refused instead of recorded.
"""


@dataclass(frozen=True, slots=True)
class ScrubRules:
    """What counts as secret; extend it for a service with its own names."""

    sensitive_words: tuple[str, ...] = DEFAULT_SENSITIVE_WORDS
    extra_secrets: tuple[str, ...] = ()
    """Values to remove wherever they appear (e.g. a key sent in a JSON body)."""
    extra_hosts: tuple[str, ...] = ()
    """Hosts to hide besides the one each request went to (e.g. a redirect target)."""

    def is_sensitive(self, name: str) -> bool:
        words = {w.lower() for w in self.sensitive_words}
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower()
        parts = {p for p in re.split(r"[^a-z0-9]+", spaced) if p}
        return name.lower() in words or not parts.isdisjoint(words)


DEFAULT_RULES = ScrubRules()


_AUTH_PARAM = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)=([^\s,]+)")
"""``name=value`` in an ``Authorization`` header (RFC 9110 auth-params, SigV4's list)."""


def secrets_in(request: httpx.Request, rules: ScrubRules = DEFAULT_RULES) -> set[str]:
    """Values of ``request``'s sensitive headers and query parameters.

    ``Authorization: Bearer abc`` yields both the whole value and ``abc``, since
    a service may echo the token alone. So does each sensitive parameter of a
    scheme's parameter list: AWS SigV4's ``Credential=AKID/20261204/eu-west-1/
    rekognition/aws4_request, SignedHeaders=..., Signature=hex`` yields the
    signature, the credential scope and the access key id before its first
    ``/`` (not secret on its own, but it names the account; a cassette is public).
    """
    values: set[str] = set(rules.extra_secrets)
    named = [v for k, v in request.headers.items() if rules.is_sensitive(k)]
    named += [v for k, v in request.url.params.multi_items() if rules.is_sensitive(k)]
    for value in named:
        values.add(value)
        # "Bearer abc" yields "abc" too; a short word of the scheme ("Bearer") is no secret.
        values.update(part for part in value.split() if len(part) >= MIN_SECRET_LENGTH)
        for name, param in _AUTH_PARAM.findall(value):
            if rules.is_sensitive(name):
                values.update(
                    v for v in (param, param.split("/")[0]) if len(v) >= MIN_SECRET_LENGTH
                )
    values.update(v for v in known_secrets() if len(v) >= MIN_SECRET_LENGTH)
    return {v for v in values if v}


def check_recordable(secrets: Iterable[str]) -> None:
    """Refuse to record when a secret is so short that scrubbing it would mangle the cassette."""
    short = sorted(len(s) for s in secrets if 0 < len(s) < MIN_SECRET_LENGTH)
    if short:
        raise CassetteError(
            f"Refusing to record: a secret sent with the request is only {short[0]} "
            f"character(s) long, and removing it from every body would corrupt the cassette. "
            f"Record with a real key (or a placeholder of {MIN_SECRET_LENGTH}+ characters)."
        )


def scrub_interaction(
    interaction: Interaction,
    *,
    secrets: Iterable[str] = (),
    hosts: Iterable[str] = (),
    rules: ScrubRules = DEFAULT_RULES,
) -> Interaction:
    """``interaction`` with secrets redacted and ``hosts`` replaced by the placeholder.

    ``hosts`` are ``host`` or ``host:port`` strings (``httpx.URL.netloc``);
    ``secrets`` are values to hunt for, on top of the names in ``rules``.
    Scrubbing is idempotent, so it is safe to run over cassettes again.
    """
    replacer = _Replacer(
        secrets=[*secrets, *rules.extra_secrets], hosts=[*hosts, *rules.extra_hosts]
    )
    return replace(
        interaction,
        request=_scrub_request(interaction.request, replacer, rules),
        response=_scrub_response(interaction.response, replacer, rules),
        comment=None if interaction.comment is None else replacer.text(interaction.comment),
    )


def scrub_request(
    request: RecordedRequest,
    *,
    secrets: Iterable[str] = (),
    hosts: Iterable[str] = (),
    rules: ScrubRules = DEFAULT_RULES,
) -> RecordedRequest:
    """The request part of :func:`scrub_interaction`.

    Replay runs live requests through this too, so that a request carrying a
    fresh signature still matches the recording that carries ``<redacted>``.
    """
    replacer = _Replacer(
        secrets=[*secrets, *rules.extra_secrets], hosts=[*hosts, *rules.extra_hosts]
    )
    return _scrub_request(request, replacer, rules)


def scrub_cassette(
    directory: str | Path,
    *,
    secrets: Iterable[str] = (),
    hosts: Iterable[str] = (),
    rules: ScrubRules = DEFAULT_RULES,
) -> list[Path]:
    """Scrub every interaction file under ``directory`` in place; returns the files changed.

    For cassettes recorded by other means, or before :data:`DEFAULT_RULES`
    grew a word: name the leaked values and hosts and they are gone.
    """
    secrets, hosts = list(secrets), list(hosts)
    changed: list[Path] = []
    for path in interaction_files(Path(directory)):
        before = read_interaction(path)
        after = scrub_interaction(before, secrets=secrets, hosts=hosts, rules=rules)
        if after != before:
            path.write_text(after.to_json(), encoding="utf-8")
            changed.append(path)
    return changed


def fill_endpoint(response: RecordedResponse, url: httpx.URL) -> RecordedResponse:
    """Undo the host scrubbing for replay: point placeholders at the live request's endpoint."""
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    host = url.netloc.decode("ascii")

    def fill(text: str) -> str:
        return text.replace(ENDPOINT_PLACEHOLDER, origin).replace(HOST_PLACEHOLDER, host)

    headers = tuple((k, fill(v)) for k, v in response.headers)
    if response.body_encoding == "json":
        body: Any = _map_json(response.body, fill, lambda _key: False)
    elif response.body_encoding == "text":
        body = fill(response.body)
    else:
        body = response.body
    return replace(response, headers=headers, body=body)


def _scrub_request(
    request: RecordedRequest, replacer: _Replacer, rules: ScrubRules
) -> RecordedRequest:
    def value(name: str, text: str) -> str:
        return REDACTED if rules.is_sensitive(name) else replacer.text(text)

    return replace(
        request,
        path=replacer.text(request.path),
        query=tuple(sorted((k, value(k, v)) for k, v in request.query)),
        headers=tuple((k, value(k, v)) for k, v in request.headers),
    )


def _scrub_response(
    response: RecordedResponse, replacer: _Replacer, rules: ScrubRules
) -> RecordedResponse:
    headers = tuple((k, replacer.text(v)) for k, v in response.headers if not rules.is_sensitive(k))
    if response.body_encoding == "json":
        body: Any = _map_json(response.body, replacer.text, rules.is_sensitive)
    elif response.body_encoding == "text":
        body = replacer.text(response.body)
    else:
        raw = base64.b64decode(response.body)
        body = base64.b64encode(replacer.binary(raw)).decode("ascii")
    return replace(response, headers=headers, body=body)


def _map_json(value: Any, text: Any, sensitive_key: Any) -> Any:
    """Apply ``text`` to every string in a JSON value; redact strings under sensitive keys."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_map_json(v, text, sensitive_key) for v in value]
    if isinstance(value, dict):
        return {
            text(k): REDACTED
            if sensitive_key(k) and isinstance(v, str)
            else _map_json(v, text, sensitive_key)
            for k, v in value.items()
        }
    return value


class _Replacer:
    """Literal replacements, longest first, so ``https://host`` wins over ``host``."""

    def __init__(self, *, secrets: Iterable[str], hosts: Iterable[str]) -> None:
        pairs: dict[str, str] = {}
        for host in hosts:
            if not host or host == HOST_PLACEHOLDER:
                continue
            bare = host.split(":")[0] if host.count(":") == 1 else host
            for name in {host, bare}:
                for scheme in ("https://", "http://"):
                    pairs[scheme + name] = ENDPOINT_PLACEHOLDER
                pairs[name] = HOST_PLACEHOLDER
        for secret in secrets:
            if secret:
                # The forms an echo takes: as sent, JSON-escaped, percent-encoded (in a
                # URL path, a query, a form body).
                for form in (
                    secret,
                    json.dumps(secret)[1:-1],
                    quote(secret, safe=""),
                    quote(secret),
                    quote_plus(secret),
                ):
                    pairs[form] = REDACTED
        self._pairs = sorted(pairs.items(), key=lambda p: len(p[0]), reverse=True)

    def text(self, value: str) -> str:
        for old, new in self._pairs:
            value = value.replace(old, new)
        return value

    def binary(self, value: bytes) -> bytes:
        for old, new in self._pairs:
            value = value.replace(old.encode("utf-8"), new.encode("utf-8"))
        return value


__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_SENSITIVE_WORDS",
    "ENDPOINT_PLACEHOLDER",
    "HOST_PLACEHOLDER",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "ScrubRules",
    "check_recordable",
    "fill_endpoint",
    "scrub_cassette",
    "scrub_interaction",
    "scrub_request",
    "secrets_in",
]

"""The cassette format: one JSON file per HTTP interaction, and reading and writing them.

A cassette is a directory; each ``NNN-<method>-<path>.json`` file in it holds
one request and the response it got, in the order they happened. One file per
interaction keeps diffs of re-recorded cassettes readable and lets a person
write or fix one exchange by hand. The format is specified, with a JSON
Schema, in ``docs/testing.md`` (``cassette.schema.json`` beside this module is
the same schema, machine-readable).

Requests are stored by what identifies them, never by what they carry: method,
path without scheme or host, sorted query, the headers that change the meaning
of the body, and the body's SHA-256 digest and length. Image bodies would bloat
the repository and may be private, and the host names a customer's resource.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args

import httpx

from visionkit.testing.errors import CassetteFormatError

FORMAT = "visionkit.cassette/1"
"""Written into every interaction file, so a future format can be told apart and migrated."""

BodyEncoding = Literal["json", "text", "base64"]
"""How :attr:`RecordedResponse.body` holds the bytes: parsed JSON, UTF-8 text, or base64."""

Headers = tuple[tuple[str, str], ...]
"""Header name/value pairs, names lower-case, in the order they were sent."""

KEPT_REQUEST_HEADERS: tuple[str, ...] = ("content-type",)
"""Request headers worth keeping: they say how to read the body the digest stands for."""

_TRANSPORT_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection"}
)
"""Response headers that describe the bytes on the wire, not the message.

Stored bodies are decoded (and JSON bodies re-serialised on replay), so these
would lie about the replayed bytes; httpx recomputes the length itself.
"""

_FILE_NAME = re.compile(r"^(\d{3,})-.*\.json$")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """The identity of a request: what replay matches on, and nothing private."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Headers = ()
    body_sha256: str | None = None
    """Hex digest of the body; ``None`` in hand-made cassettes means "any body"."""
    body_length: int | None = None

    @classmethod
    def from_httpx(
        cls, request: httpx.Request, *, keep_headers: Iterable[str] = KEPT_REQUEST_HEADERS
    ) -> RecordedRequest:
        """Describe ``request``; its body must already be read (respx and the recorder do)."""
        kept = {name.lower() for name in keep_headers}
        body = request.content
        return cls(
            method=request.method.upper(),
            path=request.url.path,
            query=tuple(sorted(request.url.params.multi_items())),
            headers=tuple((k.lower(), v) for k, v in request.headers.items() if k.lower() in kept),
            body_sha256=hashlib.sha256(body).hexdigest(),
            body_length=len(body),
        )

    @property
    def target(self) -> str:
        """``path?query`` as a person would read it (decoded, sorted)."""
        if not self.query:
            return self.path
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in self.query)

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """A response as stored: status, headers, and the body in its most readable form."""

    status: int
    headers: Headers = ()
    body: Any = ""
    body_encoding: BodyEncoding = "text"

    @classmethod
    def from_content(
        cls, status: int, headers: Iterable[tuple[str, str]], content: bytes
    ) -> RecordedResponse:
        """Store decoded ``content`` as JSON if it is JSON, text if text, else base64.

        JSON is kept as JSON (not a string) so that a reviewer can read a
        cassette and a person can edit one; the bytes of a replayed JSON body
        differ in whitespace only.
        """
        kept: dict[str, str] = {}
        for name, value in headers:
            name = name.lower()
            if name not in _TRANSPORT_HEADERS:
                # Repeated headers fold into one, as RFC 9110 allows (scrubbing drops Set-Cookie).
                kept[name] = f"{kept[name]}, {value}" if name in kept else value
        encoding, body = _encode_body(kept.get("content-type", ""), content)
        return cls(status=status, headers=tuple(kept.items()), body=body, body_encoding=encoding)

    @property
    def content(self) -> bytes:
        """The body bytes to serve."""
        if self.body_encoding == "json":
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        if self.body_encoding == "base64":
            return base64.b64decode(cast(str, self.body))
        return cast(str, self.body).encode("utf-8")

    def to_httpx(self, request: httpx.Request) -> httpx.Response:
        headers = [(k, v) for k, v in self.headers if k.lower() not in _TRANSPORT_HEADERS]
        return httpx.Response(self.status, headers=headers, content=self.content, request=request)


@dataclass(frozen=True, slots=True)
class Interaction:
    """One request and its response: the content of one cassette file."""

    request: RecordedRequest
    response: RecordedResponse
    recorded_at: str
    """ISO 8601 UTC time of the recording, or of the making of a hand-made file."""
    comment: str | None = None
    """Free text for people (stored as ``_comment``): where a hand-made body came from."""

    def with_comment(self, comment: str | None) -> Interaction:
        return replace(self, comment=comment)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT}
        if self.comment is not None:
            data["_comment"] = self.comment
        data["recorded_at"] = self.recorded_at
        data["request"] = {
            "method": self.request.method,
            "path": self.request.path,
            "query": [list(pair) for pair in self.request.query],
            "headers": dict(self.request.headers),
            "body_sha256": self.request.body_sha256,
            "body_length": self.request.body_length,
        }
        data["response"] = {
            "status": self.response.status,
            "headers": dict(self.response.headers),
            "body_encoding": self.response.body_encoding,
            "body": self.response.body,
        }
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: Path | None = None) -> Interaction:
        """Parse and check one interaction; errors name the file and the offending key."""
        reader = _Reader(path)
        reader.check_keys(
            data,
            "",
            required={"format", "recorded_at", "request", "response"},
            optional={"_comment"},
        )
        if data["format"] != FORMAT:
            raise CassetteFormatError(
                f"format is {data['format']!r}; this visionkit reads {FORMAT!r}", path=path
            )
        req = reader.mapping(data, "request")
        reader.check_keys(
            req,
            "request.",
            required={"method", "path", "query", "headers", "body_sha256", "body_length"},
        )
        resp = reader.mapping(data, "response")
        reader.check_keys(
            resp, "response.", required={"status", "headers", "body_encoding", "body"}
        )
        encoding = resp["body_encoding"]
        if encoding not in get_args(BodyEncoding):
            raise CassetteFormatError(
                f"response.body_encoding must be one of {get_args(BodyEncoding)}, got {encoding!r}",
                path=path,
            )
        if encoding != "json" and not isinstance(resp["body"], str):
            raise CassetteFormatError(
                f"response.body must be a string when body_encoding is {encoding!r}", path=path
            )
        comment = data.get("_comment")
        return cls(
            request=RecordedRequest(
                method=reader.string(req, "request.method").upper(),
                path=reader.string(req, "request.path"),
                query=reader.pairs(req, "request.query"),
                headers=reader.headers(req, "request.headers"),
                body_sha256=reader.optional(req, "request.body_sha256", str),
                body_length=reader.optional(req, "request.body_length", int),
            ),
            response=RecordedResponse(
                status=reader.integer(resp, "response.status"),
                headers=reader.headers(resp, "response.headers"),
                body=resp["body"],
                body_encoding=encoding,
            ),
            recorded_at=reader.string(data, "recorded_at"),
            comment=comment if comment is None else reader.string(data, "_comment"),
        )


def now_utc() -> str:
    """The ``recorded_at`` stamp for an interaction recorded now."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def interaction_filename(index: int, interaction: Interaction) -> str:
    """``001-post-vision-v3.2-analyze.json``: the order first, then what a reader looks for."""
    slug = re.sub(r"[^a-z0-9.]+", "-", interaction.request.path.lower()).strip("-")
    return f"{index:03d}-{interaction.request.method.lower()}-{slug[:80] or 'root'}.json"


def is_interaction_file(path: Path) -> bool:
    return path.is_file() and _FILE_NAME.match(path.name) is not None


def interaction_files(directory: Path) -> list[Path]:
    """The interaction files of a cassette, in play order (by their number)."""
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if is_interaction_file(p)]
    return sorted(files, key=lambda p: (int(_FILE_NAME.match(p.name).group(1)), p.name))  # type: ignore[union-attr]


def read_interaction(path: Path) -> Interaction:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CassetteFormatError(f"not valid JSON: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise CassetteFormatError("an interaction file must hold a JSON object", path=path)
    return Interaction.from_dict(data, path=path)


def load_cassette(directory: str | Path) -> list[tuple[Path, Interaction]]:
    """Every interaction of the cassette at ``directory`` with its file, in play order."""
    return [(path, read_interaction(path)) for path in interaction_files(Path(directory))]


def write_cassette(directory: str | Path, interactions: Sequence[Interaction]) -> list[Path]:
    """Replace the cassette at ``directory`` with ``interactions``; returns the files written.

    Earlier interaction files are removed first, so a re-recording that makes
    fewer calls leaves no stale exchange behind; other files (a README) stay.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    for old in interaction_files(root):
        old.unlink()
    written: list[Path] = []
    for index, interaction in enumerate(interactions, start=1):
        path = root / interaction_filename(index, interaction)
        path.write_text(interaction.to_json(), encoding="utf-8")
        written.append(path)
    return written


def _encode_body(content_type: str, content: bytes) -> tuple[BodyEncoding, Any]:
    if not content:
        return "text", ""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    charset = next(
        (
            p.split("=", 1)[1].strip().strip('"').lower()
            for p in params.split(";")
            if "=" in p and p.split("=", 1)[0].strip().lower() == "charset"
        ),
        "utf-8",
    )
    is_json = media == "application/json" or media.endswith("+json")
    is_text = (
        is_json or media.startswith("text/") or media == "application/xml" or media.endswith("+xml")
    )
    if is_text and charset in {"utf-8", "utf8", "us-ascii", "ascii"}:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if is_json:
                try:
                    return "json", json.loads(text)
                except ValueError:
                    pass  # declared JSON but is not: keep it verbatim, as text
            return "text", text
    return "base64", base64.b64encode(content).decode("ascii")


class _Reader:
    """Typed access to a parsed interaction, raising :class:`CassetteFormatError` with the key."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def fail(self, message: str) -> CassetteFormatError:
        return CassetteFormatError(message, path=self.path)

    def check_keys(
        self,
        data: Mapping[str, Any],
        prefix: str,
        *,
        required: AbstractSet[str],
        optional: AbstractSet[str] = frozenset(),
    ) -> None:
        missing = required - set(data)
        if missing:
            raise self.fail(f"missing {', '.join(prefix + k for k in sorted(missing))}")
        unknown = set(data) - required - optional
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(prefix + k for k in sorted(unknown))}")

    def _leaf(self, data: Mapping[str, Any], key: str) -> Any:
        return data[key.rsplit(".", 1)[-1]]

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = self._leaf(data, key)
        if not isinstance(value, dict):
            raise self.fail(f"{key} must be an object")
        return value

    def string(self, data: Mapping[str, Any], key: str) -> str:
        value = self._leaf(data, key)
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string, got {value!r}")
        return value

    def integer(self, data: Mapping[str, Any], key: str) -> int:
        value = self._leaf(data, key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{key} must be an integer, got {value!r}")
        return value

    def optional(self, data: Mapping[str, Any], key: str, tp: type[Any]) -> Any:
        value = self._leaf(data, key)
        if value is None:
            return None
        if tp is int:
            return self.integer(data, key)
        return self.string(data, key)

    def pairs(self, data: Mapping[str, Any], key: str) -> tuple[tuple[str, str], ...]:
        value = self._leaf(data, key)
        if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in value
        ):
            raise self.fail(f"{key} must be a list of [name, value] string pairs")
        return tuple(sorted((p[0], p[1]) for p in value))

    def headers(self, data: Mapping[str, Any], key: str) -> Headers:
        value = self._leaf(data, key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(f"{key} must be an object of string values")
        return tuple((k.lower(), v) for k, v in value.items())


__all__ = [
    "FORMAT",
    "KEPT_REQUEST_HEADERS",
    "BodyEncoding",
    "Headers",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "interaction_filename",
    "interaction_files",
    "is_interaction_file",
    "load_cassette",
    "now_utc",
    "read_interaction",
    "write_cassette",
]

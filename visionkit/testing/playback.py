"""Serving a cassette to code under test, or recording one: :func:`replay`.

Replay is built on respx, which patches httpcore underneath every httpx
client, so sync and async clients are served alike, including clients created
before the ``with`` block (a backend's pooled client, for instance).

Matching is by method, path and sorted query (plus the body digest with
``strict=True``), after the live request has been scrubbed by the same rules
as the recording, so a request whose key or signature differs from the
recorded one still matches. Identical requests are answered in recorded
order, which is what a polling loop needs: *running*, *running*, *succeeded*.
Different requests are matched independently, so concurrent requests may
arrive in any order.

For its duration a session also keeps away from the user's result cache, and
when replaying it marks each remote result with ``replayed_from``
(:mod:`visionkit.testing.session` says why and how).

It is a little over the project's ~400-line guide: replay, record and the session around
both (cache off, replay labels) share one context manager's state.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import httpx

from visionkit.errors import MissingDependencyError

try:
    import respx
except ModuleNotFoundError as exc:  # the base install has no respx: say which extra brings it
    if exc.name != "respx":
        raise
    raise MissingDependencyError(
        "Cassette replay and recording (visionkit.testing.replay, the vision_cassette fixture)",
        module="respx",
        extra="testing",
    ) from exc

from visionkit.testing.bundled import BUNDLED_ROOT
from visionkit.testing.cassette import Interaction, RecordedRequest, load_cassette
from visionkit.testing.errors import (
    CassetteError,
    CassetteNotFoundError,
    UnmatchedRequestError,
    UnplayedInteractionsError,
)
from visionkit.testing.record import Recorder
from visionkit.testing.scrub import (
    DEFAULT_RULES,
    ScrubRules,
    fill_endpoint,
    scrub_request,
    secrets_in,
)
from visionkit.testing.session import CacheIsolation, ReplayMarker

Mode = Literal["replay", "record", "auto"]

RECORD_ENV = "VISIONKIT_RECORD"
"""``1`` records every cassette used without an explicit ``mode``; ``auto`` records missing ones."""

KEY_ENV: tuple[str, ...] = ("AZURE_VISION_KEY", "VISION_KEY", "VISIONKIT_AZURE_KEY")
"""Where ``mode="auto"`` looks for a key before deciding that it may record."""

_ENV_MODES: dict[str, Mode] = {
    "": "replay",
    "0": "replay",
    "false": "replay",
    "no": "replay",
    "replay": "replay",
    "1": "record",
    "true": "record",
    "yes": "record",
    "record": "record",
    "auto": "auto",
}


def resolve_mode(mode: Mode | None) -> Mode:
    """An explicit ``mode`` wins; else ``VISIONKIT_RECORD`` decides; else it is replay."""
    if mode is not None:
        if mode not in ("replay", "record", "auto"):
            raise CassetteError(f"mode must be 'replay', 'record' or 'auto', got {mode!r}.")
        return mode
    value = os.environ.get(RECORD_ENV, "").strip().lower()
    if value not in _ENV_MODES:
        raise CassetteError(
            f"{RECORD_ENV}={value!r} is not understood; use 1 (record), auto, or 0 (replay)."
        )
    return _ENV_MODES[value]


class Cassette:
    """A cassette in use; made by :func:`replay`, used as a context manager.

    In replay mode it answers every HTTP request from the recording; in record
    mode it lets requests through to the real service and writes what came
    back, scrubbed, when the block ends without error.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        mode: Mode | None = None,
        strict: bool = False,
        rules: ScrubRules = DEFAULT_RULES,
        key_env: Sequence[str] = KEY_ENV,
        label: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.label = label or _default_label(self.path)
        """What replayed results name as their source (``AnalysisResult.replayed_from``)."""
        self._explicit_mode = mode
        self.requested_mode = resolve_mode(mode)
        self.strict = strict
        self.rules = rules
        self.key_env = tuple(key_env)
        self.mode: Literal["replay", "record"] | None = None
        """The mode actually in force, once entered (``auto`` resolves to one of these)."""
        self._player: _Player | None = None
        self._recorder: Recorder | None = None
        self._cache_isolation: CacheIsolation | None = None
        self._marker: ReplayMarker | None = None
        self.written: list[Path] = []
        """Files written by the last recording."""

    # -- context manager --------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(succeeded=exc_type is None)

    def start(self) -> None:
        """Begin serving (or recording); what ``with`` does on entry."""
        self.mode = self._decide_mode()
        if self.mode == "replay":
            entries = load_cassette(self.path)
            if not entries:
                raise CassetteNotFoundError(
                    f"No cassette at {self.path} (no NNN-*.json interaction files). "
                    f"Record it by running with {RECORD_ENV}=1 and a real key.",
                    path=self.path,
                )
            self._player = _Player(
                entries, strict=self.strict, rules=self.rules, name=str(self.path)
            )
            self._player.start()
        else:
            extra = tuple(v for name in self.key_env if (v := os.environ.get(name)))
            rules = ScrubRules(
                sensitive_words=self.rules.sensitive_words,
                extra_secrets=self.rules.extra_secrets + extra,
                extra_hosts=self.rules.extra_hosts,
            )
            self._recorder = Recorder(rules=rules)
            self._recorder.start()
        self._cache_isolation = CacheIsolation()
        self._cache_isolation.start()
        if self.mode == "replay":
            self._marker = ReplayMarker(self.label)
            self._marker.start()

    def close(self, *, succeeded: bool = True) -> None:
        """Stop serving or recording; what ``with`` does on exit.

        Only a ``succeeded`` block saves a recording or re-raises a swallowed
        mismatch: after a failure, the failure is the news. The pytest fixture
        passes the test's outcome here, since a fixture's ``with`` block never
        sees the test's exception.
        """
        if self._marker is not None:
            self._marker.stop()
            self._marker = None
        if self._cache_isolation is not None:
            self._cache_isolation.stop()
            self._cache_isolation = None
        if self._player is not None:
            self._player.stop()
            if succeeded:
                self._player.raise_swallowed()
        if self._recorder is not None:
            self._recorder.stop()
            if succeeded:
                self.written = self._recorder.save(self.path)

    # -- inspection -------------------------------------------------------------------

    @property
    def interactions(self) -> list[Interaction]:
        """The recorded interactions (in replay mode) or those captured so far (in record mode)."""
        if self._player is not None:
            return [interaction for _, interaction in self._player.entries]
        if self._recorder is not None:
            return list(self._recorder.interactions)
        return [interaction for _, interaction in load_cassette(self.path)]

    @property
    def play_count(self) -> int:
        """How many recorded responses have been served."""
        return self._player.play_count if self._player is not None else 0

    def assert_all_played(self) -> None:
        """Fail if some recorded interaction was never requested.

        A test that passes while skipping a recorded call usually means the
        code stopped doing something it used to (a poll, a second feature).
        Record mode has nothing to check: everything captured was requested.
        """
        if self._player is not None:
            self._player.assert_all_played()

    def _decide_mode(self) -> Literal["replay", "record"]:
        if self.path.resolve().is_relative_to(BUNDLED_ROOT):
            # Shipped cassettes come from build_bundled_cassettes.py: a suite-wide
            # VISIONKIT_RECORD=1 must replay them, never overwrite them.
            if self._explicit_mode == "record":
                raise CassetteError(
                    f"{self.path} is a bundled cassette; it is built from Azure's published "
                    "examples by tests/testing/build_bundled_cassettes.py, not recorded."
                )
            return "replay"
        if self.requested_mode != "auto":
            return self.requested_mode
        if load_cassette(self.path):
            return "replay"
        if any(os.environ.get(name) for name in self.key_env):
            return "record"
        raise CassetteNotFoundError(
            f"No cassette at {self.path}, and none of {', '.join(self.key_env)} is set, so it "
            "cannot be recorded either. Set a real key (and endpoint) to record it once, or "
            "copy the cassette in.",
            path=self.path,
        )


def replay(
    path: str | Path,
    *,
    mode: Mode | None = None,
    strict: bool = False,
    rules: ScrubRules = DEFAULT_RULES,
    key_env: Sequence[str] = KEY_ENV,
    label: str | None = None,
) -> Cassette:
    """Serve HTTP from the cassette at ``path`` (or record it), for ``with`` blocks.

    ``mode``: ``"replay"`` (the default unless ``VISIONKIT_RECORD`` says
    otherwise) needs the cassette; ``"record"`` calls the real service and
    rewrites it; ``"auto"`` replays an existing cassette and otherwise records
    if one of ``key_env`` holds a key. ``strict`` also matches on the request
    body's SHA-256 (interactions recorded without a digest match any body).
    ``rules`` must be the ones the cassette was recorded with. ``label`` is how
    replayed results name their source in ``replayed_from`` (default: the path,
    or ``bundled:<name>`` for a shipped cassette).

    While the session lasts the result cache is off (replayed answers must
    never reach it, and a recording must make every request), and every result
    a remote backend returns during a replay carries ``replayed_from``.

    >>> with replay("tests/cassettes/test_tags") as cassette:  # doctest: +SKIP
    ...     result = analyzer.analyze("photo.jpg", features=["tags"])
    ...     cassette.assert_all_played()
    """
    return Cassette(path, mode=mode, strict=strict, rules=rules, key_env=key_env, label=label)


def _default_label(path: Path) -> str:
    resolved = path.resolve()
    if resolved.is_relative_to(BUNDLED_ROOT):
        return f"bundled:{resolved.relative_to(BUNDLED_ROOT).as_posix()}"
    return str(path)


class _Player:
    """The respx side of replay: one catch-all route whose side effect does the matching."""

    def __init__(
        self,
        entries: Sequence[tuple[Path, Interaction]],
        *,
        strict: bool,
        rules: ScrubRules,
        name: str,
    ) -> None:
        self.entries = list(entries)
        self.strict = strict
        self.rules = rules
        self.name = name
        self.played = [False] * len(self.entries)
        self.failures: list[UnmatchedRequestError] = []
        self._lock = threading.Lock()
        self._router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self._router.route().mock(side_effect=self._serve)

    @property
    def play_count(self) -> int:
        return sum(self.played)

    def start(self) -> None:
        self._router.start()

    def stop(self) -> None:
        self._router.stop(quiet=True)

    def _serve(self, request: httpx.Request) -> httpx.Response:
        live = scrub_request(
            RecordedRequest.from_httpx(request),
            secrets=secrets_in(request, self.rules),
            hosts=[request.url.netloc.decode("ascii")],
            rules=self.rules,
        )
        with self._lock:
            same = [i for i, (_, it) in enumerate(self.entries) if self._matches(it.request, live)]
            unplayed = [i for i in same if not self.played[i]]
            if not unplayed:
                error = UnmatchedRequestError(self._explain(live, same))
                self.failures.append(error)
                raise error
            index = unplayed[0]
            self.played[index] = True
        response = fill_endpoint(self.entries[index][1].response, request.url)
        return response.to_httpx(request)

    def _matches(self, recorded: RecordedRequest, live: RecordedRequest) -> bool:
        if (recorded.method, recorded.path, recorded.query) != (live.method, live.path, live.query):
            return False
        if self.strict and recorded.body_sha256 is not None:
            return (recorded.body_sha256, recorded.body_length) == (
                live.body_sha256,
                live.body_length,
            )
        return True

    def _explain(self, live: RecordedRequest, same: list[int]) -> str:
        if same:
            head = (
                f"{live} was recorded {len(same)} time(s) in cassette {self.name} and every "
                "recorded answer has been served; the code made more identical calls than "
                "when it was recorded."
            )
        else:
            head = f"No interaction recorded in cassette {self.name} matches {live}."
        lines = [head, "Recorded interactions:"]
        for i, (path, interaction) in enumerate(self.entries):
            mark = "played" if self.played[i] else "      "
            lines.append(f"  [{mark}] {path.name}: {interaction.request}")
            lines.extend(
                f"             ! {d}" for d in self._differences(interaction.request, live)
            )
        lines.append(
            "If the code's requests changed on purpose, re-record the cassette "
            f"({RECORD_ENV}=1 with a real key)."
        )
        return "\n".join(lines)

    def _differences(self, recorded: RecordedRequest, live: RecordedRequest) -> Iterable[str]:
        """Why a recorded request with the same method and path did not match, if it did not."""
        if (recorded.method, recorded.path) != (live.method, live.path):
            return
        rec, got = dict(recorded.query), dict(live.query)
        for name in sorted(rec.keys() | got.keys()):
            if rec.get(name) != got.get(name):
                yield f"query {name}: recorded {rec.get(name)!r}, requested {got.get(name)!r}"
        if self.strict and recorded.body_sha256 not in (None, live.body_sha256):
            yield (
                f"body: recorded sha256 {recorded.body_sha256[:12]}... ({recorded.body_length} "
                f"bytes), requested {live.body_sha256 and live.body_sha256[:12]}... "
                f"({live.body_length} bytes)"
            )

    def raise_swallowed(self) -> None:
        """Re-raise a mismatch the code under test caught, so the test cannot pass over it."""
        if self.failures:
            first = self.failures[0]
            raise UnmatchedRequestError(
                f"{first}\n(This was raised inside the block, where the code under test caught it.)"
            ) from first

    def assert_all_played(self) -> None:
        left = [
            path.name for (path, _), done in zip(self.entries, self.played, strict=True) if not done
        ]
        if left:
            raise UnplayedInteractionsError(
                f"{len(left)} of {len(self.entries)} recorded interaction(s) in cassette "
                f"{self.name} were never requested: {', '.join(left)}"
            )


__all__ = ["KEY_ENV", "RECORD_ENV", "Cassette", "Mode", "replay", "resolve_mode"]

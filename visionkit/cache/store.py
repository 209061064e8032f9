"""The result cache: one SQLite file, shared safely by threads and processes.

SQLite because it ships with Python, survives crashes (a half-written entry
is rolled back, never served) and lets several processes share one file: in
WAL mode readers never block the writer, and a writer waits up to
``timeout_s`` for another rather than failing. Values are the results' own
lossless JSON (:meth:`AnalysisResult.to_json`), so an entry outlives the
process that wrote it and can be read by any later visionkit that speaks the
same result schema.

A cache must never be the reason an analysis fails. Every SQLite error is
caught here: a file that is not a database (or a disk that refuses writes)
turns the cache off for this process with one :class:`CacheWarning`; a
database still locked after the timeout skips that one read or write, warns
once, and keeps trying for later images. Either way the caller simply sees
a miss.

Size and age are bounded: entries older than ``max_age_s`` are misses and
are deleted, and when the file's entries pass ``max_bytes`` the least
recently used are evicted down to 90 % of it. Both checks run every
``_PRUNE_EVERY`` writes rather than on each one, so a write stays O(1).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from visionkit.backends.http.secrets import Scrubber
from visionkit.results import AnalysisResult

_T = TypeVar("_T")

FILE_NAME = "results.sqlite3"
DEFAULT_MAX_BYTES = 1 << 30
DEFAULT_MAX_AGE_S = 30 * 24 * 3600.0
_SCHEMA_VERSION = 1
_PRUNE_EVERY = 200
_TOUCH_AFTER_S = 3600.0  # refresh "last used" at most hourly: a hit should not cost a write

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    created REAL NOT NULL,
    used REAL NOT NULL,
    size INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_used ON results (used);
"""


class CacheWarning(UserWarning):
    """The result cache could not be used; analyses go on without it."""


@dataclass(frozen=True, slots=True)
class CacheStats:
    """The cache's content, and what this process got out of it."""

    path: Path
    entries: int
    bytes: int
    by_backend: dict[str, int]
    oldest: float | None
    max_bytes: int
    max_age_s: float
    hits: int
    misses: int
    enabled: bool


class ResultCache:
    """Analysis results by key (see :mod:`visionkit.cache.keys`) in the SQLite file ``path``.

    ``clock`` gives wall-clock seconds (entries' ages must survive restarts,
    so this is not a monotonic clock); tests pass their own.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.RLock()  # one connection, used by one thread at a time
        self._conn: sqlite3.Connection | None = None
        self._disabled: str | None = None
        self._warned_locked = False
        self._writes = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """False once the cache has been given up on for this process."""
        return self._disabled is None

    def get(self, key: str) -> AnalysisResult | None:
        """The stored result for ``key``, or ``None`` (missing, expired, unreadable, no cache)."""
        found = self._guard(lambda conn: self._get(conn, key), None)
        with self._lock:
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def put(self, key: str, result: AnalysisResult) -> None:
        """Store ``result`` under ``key``, replacing any older entry.

        Every configured secret (8 characters or more, so a stray short one
        cannot mangle entries) is scrubbed from the stored JSON by value: the
        backends scrub what they return, and this is the second lock on the door.

        A replayed result (``replayed_from`` set) is never stored, in any
        store: it answers the cassette's photo, not the image under ``key``,
        and a later real call would be served it with no network. Cassette
        sessions already point the default cache elsewhere; this also covers a
        store the caller passed in during a session.
        """
        if result.replayed_from is not None:
            return
        scrubber = Scrubber(known_min_length=8)
        value = result.to_json()
        if scrubber:
            # Values only: a secret that happens to spell part of a field name
            # ("replayed_from") must not corrupt the entry.
            value = json.dumps(_scrub_values(scrubber, json.loads(value)), ensure_ascii=False)
        self._guard(lambda conn: self._put(conn, key, result.backend, value), None)

    def stats(self) -> CacheStats:
        """Entries, bytes and age of the whole file, plus this process's hits and misses."""

        def read(conn: sqlite3.Connection) -> tuple[int, int, float | None, dict[str, int]]:
            entries, size, oldest = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(created) FROM results"
            ).fetchone()
            rows = conn.execute("SELECT backend, COUNT(*) FROM results GROUP BY backend")
            return entries, size, oldest, {name: count for name, count in rows}

        empty: tuple[int, int, float | None, dict[str, int]] = (0, 0, None, {})
        entries, size, oldest, by_backend = self._guard(read, empty)
        return CacheStats(
            path=self.path,
            entries=entries,
            bytes=size,
            by_backend=by_backend,
            oldest=oldest,
            max_bytes=self.max_bytes,
            max_age_s=self.max_age_s,
            hits=self.hits,
            misses=self.misses,
            enabled=self.enabled,
        )

    def clear(self, backend: str | None = None) -> int:
        """Delete every entry (or only ``backend``'s); return how many were deleted."""

        def delete(conn: sqlite3.Connection) -> int:
            if backend is None:
                cursor = conn.execute("DELETE FROM results")
            else:
                cursor = conn.execute("DELETE FROM results WHERE backend = ?", (backend,))
            return cursor.rowcount

        deleted = self._guard(delete, 0)
        self._guard(lambda conn: conn.execute("VACUUM"), None)
        return deleted

    def prune(self) -> int:
        """Delete expired entries, then least recently used ones while over ``max_bytes``."""
        return self._guard(self._prune, 0)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __repr__(self) -> str:
        return f"ResultCache({str(self.path)!r})"

    # -- SQLite -------------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, key: str) -> AnalysisResult | None:
        row = conn.execute(
            "SELECT value, created, used FROM results WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        value, created, used = row
        now = self._clock()
        if now - created > self.max_age_s:
            conn.execute("DELETE FROM results WHERE key = ?", (key,))
            return None
        try:
            result = AnalysisResult.from_json(value)
        except (ValueError, TypeError, KeyError):
            # Written by a visionkit with another result schema: a miss, and room for the new one.
            conn.execute("DELETE FROM results WHERE key = ?", (key,))
            return None
        if now - used > _TOUCH_AFTER_S:
            conn.execute("UPDATE results SET used = ? WHERE key = ?", (now, key))
        return result

    def _put(self, conn: sqlite3.Connection, key: str, backend: str, value: str) -> None:
        now = self._clock()
        conn.execute(
            "INSERT OR REPLACE INTO results (key, backend, created, used, size, value) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, backend, now, now, len(value.encode()), value),
        )
        with self._lock:
            self._writes += 1
            due = self._writes % _PRUNE_EVERY == 1
        if due:
            self._prune(conn)

    def _prune(self, conn: sqlite3.Connection) -> int:
        removed = 0
        if math.isfinite(self.max_age_s):
            removed += conn.execute(
                "DELETE FROM results WHERE created < ?", (self._clock() - self.max_age_s,)
            ).rowcount
        (total,) = conn.execute("SELECT COALESCE(SUM(size), 0) FROM results").fetchone()
        if total > self.max_bytes:
            target = total - int(self.max_bytes * 0.9)
            freed = 0
            doomed: list[str] = []
            for key, size in conn.execute("SELECT key, size FROM results ORDER BY used"):
                doomed.append(key)
                freed += size
                if freed >= target:
                    break
            conn.executemany("DELETE FROM results WHERE key = ?", [(k,) for k in doomed])
            removed += len(doomed)
        return removed

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self._timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version not in (0, _SCHEMA_VERSION):
                raise sqlite3.DatabaseError(
                    f"cache schema {version} is not {_SCHEMA_VERSION}; written by another visionkit"
                )
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
        yield conn

    def _guard(self, operation: Callable[[sqlite3.Connection], _T], fallback: _T) -> _T:
        """Run ``operation``, turning any SQLite or file-system failure into ``fallback``."""
        if self._disabled is not None:
            return fallback
        try:
            with self._connection() as conn, self._lock:
                return operation(conn)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                if not self._warned_locked:
                    self._warned_locked = True
                    _warn(
                        f"The result cache {self.path} stayed locked for {self._timeout_s:g}s "
                        f"({exc}); going on without it for this image. Another process is "
                        f"writing to it heavily; pass cache=False to skip it."
                    )
                return fallback
            self._disable(exc)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
        return fallback

    def _disable(self, exc: BaseException) -> None:
        self._disabled = str(exc)
        self.close()
        _warn(
            f"The result cache {self.path} cannot be used ({type(exc).__name__}: {exc}); "
            f"analysing without a cache for the rest of this process. Delete the file "
            f"(`visionkit cache clear` or by hand) if it is corrupt, or set "
            f"VISIONKIT_CACHE_DIR to a writable folder."
        )


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=4)


def _scrub_values(scrubber: Scrubber, value: Any) -> Any:
    if isinstance(value, str):
        return scrubber.text(value)
    if isinstance(value, list):
        return [_scrub_values(scrubber, v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_values(scrubber, v) for k, v in value.items()}
    return value


__all__ = [
    "DEFAULT_MAX_AGE_S",
    "DEFAULT_MAX_BYTES",
    "FILE_NAME",
    "CacheStats",
    "CacheWarning",
    "ResultCache",
]

"""The SQLite result store: round trips, limits, sharing between processes, and failing soft."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import warnings

import pytest
from factories import full_result

from visionkit.cache.store import CacheWarning, ResultCache
from visionkit.results import AnalysisResult, Tag


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def small(name: str) -> AnalysisResult:
    return AnalysisResult(backend="azure", tags=(Tag(name, 0.5),))


def test_a_stored_result_comes_back_equal_raw_included(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    result = full_result()
    cache.put("k", result)
    back = cache.get("k")
    assert back == result and back.raw == result.raw
    assert cache.get("other") is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_file_is_in_wal_mode_so_readers_never_block_the_writer(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    cache.put("k", small("a"))
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_entries_older_than_max_age_are_misses_and_are_deleted(tmp_path):
    clock = Clock()
    cache = ResultCache(tmp_path / "c.sqlite3", max_age_s=60, clock=clock)
    cache.put("k", small("a"))
    clock.now += 59
    assert cache.get("k") is not None
    clock.now += 2
    assert cache.get("k") is None
    assert cache.stats().entries == 0


def test_over_max_bytes_the_least_recently_used_entries_go_first(tmp_path):
    clock = Clock()
    size = len(small("a").to_json().encode())
    cache = ResultCache(tmp_path / "c.sqlite3", max_bytes=size * 3, clock=clock)
    for name in "abcd":
        clock.now += 7200  # past the touch interval, so reads update "last used"
        cache.put(name, small(name))
    clock.now += 7200
    assert cache.get("a") is not None  # a is now the most recently used
    assert cache.prune() >= 1
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("d") is not None
    assert cache.stats().bytes <= size * 3


def test_stats_count_entries_by_backend_and_clear_can_target_one(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    cache.put("1", small("a"))
    cache.put("2", AnalysisResult(backend="local", tags=()))
    stats = cache.stats()
    assert stats.entries == 2 and stats.by_backend == {"azure": 1, "local": 1}
    assert stats.bytes > 0 and stats.enabled
    assert cache.clear("local") == 1
    assert cache.stats().by_backend == {"azure": 1}
    assert cache.clear() == 1
    assert cache.stats().entries == 0


def test_a_value_in_another_result_schema_is_a_miss_and_is_dropped(tmp_path):
    cache = ResultCache(tmp_path / "c.sqlite3")
    cache.put("k", small("a"))
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        conn.execute("UPDATE results SET value = ?", ('{"schema": "visionkit.result/999"}',))
    assert cache.get("k") is None
    assert cache.stats().entries == 0


def test_a_corrupt_file_turns_the_cache_off_with_one_warning(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file" * 100)
    cache = ResultCache(path)
    with pytest.warns(CacheWarning, match="cannot be used"):
        assert cache.get("k") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.put("k", small("a"))  # no second warning, no exception
        assert cache.get("k") is None
    assert not cache.enabled and not cache.stats().enabled


def test_an_unwritable_location_turns_the_cache_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = ResultCache(blocker / "sub" / "c.sqlite3")
    with pytest.warns(CacheWarning, match="VISIONKIT_CACHE_DIR"):
        cache.put("k", small("a"))
    assert not cache.enabled


def test_a_locked_database_skips_the_operation_warns_once_and_keeps_the_cache(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = ResultCache(path, timeout_s=0.05)
    cache.put("k", small("a"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.warns(CacheWarning, match="locked"):
            cache.put("k2", small("b"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cache.put("k3", small("c"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache.enabled
    cache.put("k4", small("d"))
    assert cache.get("k4") == small("d")


_WRITER = """
import sys
from visionkit.cache.store import ResultCache
from visionkit.results import AnalysisResult, Tag
path, prefix = sys.argv[1], sys.argv[2]
cache = ResultCache(path)
for i in range(50):
    cache.put(f"{prefix}{i}", AnalysisResult(backend="azure", tags=(Tag(f"{prefix}{i}", 0.5),)))
assert cache.enabled
"""


def test_several_processes_can_write_the_same_file(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    ResultCache(path).put("seed", small("seed"))  # create it before the race
    procs = [
        subprocess.Popen([sys.executable, "-W", "error", "-c", _WRITER, path, prefix])
        for prefix in ("a", "b")
    ]
    assert [p.wait(60) for p in procs] == [0, 0]
    cache = ResultCache(path)
    assert cache.stats().entries == 101
    assert cache.get("a49") == small("a49") and cache.get("b0") == small("b0")


def test_a_configured_secret_never_reaches_the_cache_file(tmp_path):
    """Hand-made: a result whose raw answer echoed the key (a backend that forgot to scrub)."""
    from visionkit.options import checked_secret

    key = "c4che-k3y-0123456789abcdef"
    checked_secret(key, name="test.key")
    store = ResultCache(tmp_path / "results.sqlite3")
    result = AnalysisResult(backend="azure", tags=(Tag("dog", 0.9),), raw={"echo": key})
    store.put("k", result)
    store.close()
    for path in tmp_path.iterdir():
        assert key.encode() not in path.read_bytes()


def test_a_replayed_result_is_never_stored(tmp_path):
    """A cassette's answer describes the cassette's photo: stored, it would answer real calls."""
    cache = ResultCache(tmp_path / "c.sqlite3")
    cache.put("k", dataclasses.replace(small("satya"), replayed_from="bundled:azure/x"))
    assert cache.get("k") is None
    assert cache.stats().entries == 0

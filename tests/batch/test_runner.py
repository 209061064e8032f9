"""analyze_many / analyze_many_async: outcomes per input, order, bounds, cache, early stop."""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading

import pytest

from visionkit.api import get_analyzer
from visionkit.batch import BatchItem, UnexpectedError, analyze_many, analyze_many_async
from visionkit.cache import ResultCache
from visionkit.errors import (
    AuthenticationError,
    ConfigError,
    InvalidImageError,
    UnsupportedFeatureError,
)
from visionkit.results import AnalysisResult

pytestmark = pytest.mark.usefixtures("fake_backends")


def names(items):
    return [it.result.tags[0].name if it.ok else type(it.error).__name__ for it in items]


def test_every_input_gets_one_item_in_order_and_bad_ones_do_not_stop_the_rest():
    inputs = [b"a", b"bad", b"c", b"bug", b"e"]
    items = list(analyze_many(inputs, backend="fake-remote", cache=False))
    assert names(items) == ["a", "InvalidImageError", "c", "UnexpectedError", "e"]
    assert [it.index for it in items] == [0, 1, 2, 3, 4]
    assert [it.input for it in items] == inputs
    assert isinstance(items[3].error.__cause__, RuntimeError)


def test_stats_count_done_failed_and_list_the_failures():
    run = analyze_many([b"a", b"bad", b"c"], backend="fake-remote", cache=False)
    list(run)
    assert (run.stats.done, run.stats.failed, run.stats.total) == (2, 1, 3)
    assert run.stats.failures == [("<bytes: 3 bytes>", "not an image")]


def test_a_batch_item_holds_exactly_one_outcome():
    with pytest.raises(ValueError, match="exactly one"):
        BatchItem(b"x", 0)
    item = BatchItem(b"x", 0, error=InvalidImageError("nope"))
    with pytest.raises(InvalidImageError):
        item.unwrap()
    assert item.to_dict() == {
        "input": "<bytes: 1 bytes>",
        "error": {"type": "InvalidImageError", "message": "nope"},
    }


def test_local_style_backends_get_stacked_batches_of_batch_size():
    analyzer = get_analyzer("fake-local")
    items = list(analyze_many([str(i).encode() for i in range(10)], backend="fake-local"))
    assert names(items) == [str(i) for i in range(10)]
    assert sorted(analyzer.batches) == [2, 4, 4]
    assert analyzer.calls == 0  # never one by one


def test_a_batch_that_raises_fails_only_the_image_that_broke_it():
    inputs = [b"1", b"2", b"3", b"4", b"bug", b"6", b"7", b"8", b"9"]
    items = list(analyze_many(inputs, backend="fake-local"))
    # The stacked call raised; each of its images was then analysed alone.
    assert names(items) == ["1", "2", "3", "4", "UnexpectedError", "6", "7", "8", "9"]


def test_unordered_yields_what_finishes_first_with_its_index():
    analyzer = get_analyzer("fake-remote")
    analyzer.delays = {b"slow": 0.2}
    items = list(analyze_many([b"slow", b"b", b"c"], analyzer=analyzer, ordered=False, cache=False))
    assert names(items)[-1] == "slow" and items[-1].index == 0
    assert sorted(it.index for it in items) == [0, 1, 2]


def test_concurrency_bounds_the_calls_in_flight():
    analyzer = get_analyzer("fake-remote")
    analyzer.delays = {str(i).encode(): 0.01 for i in range(40)}
    list(
        analyze_many(
            [str(i).encode() for i in range(40)], analyzer=analyzer, concurrency=5, cache=False
        )
    )
    assert analyzer.calls == 40
    assert 1 < analyzer.peak <= 5


async def test_async_runs_on_the_callers_loop_with_bounded_concurrency():
    analyzer = get_analyzer("fake-remote")
    analyzer.delays = {str(i).encode(): 0.005 for i in range(30)}
    inputs = [str(i).encode() for i in range(30)]
    run = analyze_many_async(inputs, analyzer=analyzer, concurrency=4, cache=False)
    items = [item async for item in run]
    assert names(items) == [str(i) for i in range(30)]
    assert 1 < analyzer.peak <= 4
    assert run.stats.done == 30


async def test_async_accepts_an_async_iterable():
    async def stream():
        for name in (b"x", b"y"):
            await asyncio.sleep(0)
            yield name

    items = [it async for it in analyze_many_async(stream(), backend="fake-remote", cache=False)]
    assert names(items) == ["x", "y"]


def test_the_input_stream_is_read_only_a_window_ahead():
    pulled = 0

    def endless():
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield str(i).encode()

    run = analyze_many(endless(), backend="fake-remote", concurrency=3, cache=False)
    first = list(itertools.islice(run, 5))
    run.close()
    assert names(first) == ["0", "1", "2", "3", "4"]
    # 5 consumed, at most 2 x 3 in flight, and as many handed over but not yet taken.
    assert pulled <= 5 + 6 + 6 + 1


def test_breaking_out_and_dropping_the_iterator_stops_the_background_thread():
    run = analyze_many((str(i).encode() for i in range(10_000)), backend="fake-remote", cache=False)
    for _ in run:
        break
    del run
    gc.collect()
    assert not [t for t in threading.enumerate() if t.name.startswith("visionkit-batch")]


def test_a_rejected_key_stops_the_run_instead_of_failing_every_image():
    run = analyze_many([b"a", b"auth", b"c"], backend="fake-remote", cache=False)
    assert next(run).ok
    with pytest.raises(AuthenticationError):
        list(run)


def test_cloud_results_are_cached_by_default_and_a_rerun_costs_nothing():
    analyzer = get_analyzer("fake-remote")
    inputs = [b"a", b"b", b"a"]
    first = analyze_many(inputs, backend="fake-remote", concurrency=1)
    assert [it.cached for it in first] == [False, False, True]
    second = analyze_many(inputs, backend="fake-remote")
    assert all(it.cached for it in second) and second.stats.cached == 3
    assert analyzer.calls == 2


def test_local_results_are_cached_only_when_asked(tmp_path):
    store = ResultCache(tmp_path / "c.sqlite3")
    inputs = [b"a", b"b"]
    list(analyze_many(inputs, backend="fake-local"))
    assert store.stats().entries == 0
    list(analyze_many(inputs, backend="fake-local", cache=store))
    again = list(analyze_many(inputs, backend="fake-local", cache=store))
    assert [it.cached for it in again] == [True, True]
    assert store.stats().entries == 2


def test_arguments_are_checked_before_any_image():
    with pytest.raises(ConfigError, match="concurrency"):
        analyze_many([], backend="fake-remote", concurrency=0)
    with pytest.raises(ConfigError, match="makes none"):
        analyze_many([], backend="fake-local", rate="10/s")
    with pytest.raises(ConfigError, match="not both"):
        analyze_many([], backend="fake-remote", analyzer=get_analyzer("fake-remote"))
    with pytest.raises(UnsupportedFeatureError, match="does not support"):
        analyze_many([], ["objects"], backend="fake-remote")


def test_an_unexpected_error_is_a_visionkit_error():
    assert issubclass(UnexpectedError, Exception)
    items = list(analyze_many([b"bug"], backend="fake-remote", cache=False))
    assert "RuntimeError: boom" in str(items[0].error)


async def test_async_unordered_yields_the_fast_ones_first():
    analyzer = get_analyzer("fake-remote")
    analyzer.delays = {b"slow": 0.2}
    run = analyze_many_async([b"slow", b"b", b"c"], analyzer=analyzer, ordered=False, cache=False)
    items = [item async for item in run]
    assert names(items)[0] != "slow" and items[-1].index == 0


async def test_stopping_an_async_run_early_cancels_the_rest():
    analyzer = get_analyzer("fake-remote")
    analyzer.delays = {str(i).encode(): 0.05 for i in range(100)}
    async with analyze_many_async(
        (str(i).encode() for i in range(100)), analyzer=analyzer, concurrency=4, cache=False
    ) as run:
        async for _ in run:
            break
    calls = analyzer.calls
    await asyncio.sleep(0.1)
    assert analyzer.calls == calls <= 8 + 4


class _BrokenStream:
    name = "broken-stream"

    def read(self, *args):
        raise OSError("the disk went away")


def test_an_input_that_cannot_be_hashed_goes_to_the_backend_uncached(tmp_path):
    store = ResultCache(tmp_path / "c.sqlite3")
    items = list(analyze_many([b"a", _BrokenStream(), b"c"], backend="fake-remote", cache=store))
    assert [it.ok for it in items] == [True, True, True]  # the fake backend never reads it
    assert store.stats().entries == 2


def test_a_result_that_cannot_be_stored_does_not_fail_its_image(tmp_path):
    store = ResultCache(tmp_path / "c.sqlite3")
    analyzer = get_analyzer("fake-remote")

    def unstorable(image, features):
        return AnalysisResult(backend="x", tags=(), raw={"not json": object()})

    analyzer._analyze = unstorable
    items = list(analyze_many([b"a"], analyzer=analyzer, cache=store))
    assert items[0].ok and store.stats().entries == 0


def test_a_spent_quota_stops_the_run_instead_of_failing_every_image_alike():
    from visionkit.errors import QuotaExceededError
    from visionkit.testing import FakeAnalyzer

    fake = FakeAnalyzer(default=QuotaExceededError("Out of call volume quota", backend="fake"))
    with pytest.raises(QuotaExceededError, match="quota"):
        list(analyze_many([b"1", b"2", b"3"], analyzer=fake, cache=False))


def test_local_runs_keep_one_batch_more_than_cores_in_flight(monkeypatch):
    from visionkit.batch import runner

    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert runner.local_concurrency() == 3
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False)
    assert runner.local_concurrency() == 9

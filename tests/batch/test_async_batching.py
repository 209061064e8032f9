"""The async path with a backend that answers several images per request (AsyncBatching).

``FakeBatchingRemote`` is a test double, not a service: it awaits like a cloud
backend and records the size of every batch it is sent, answering from the
image bytes (``b"bad"`` fails alone, ``b"bug"`` breaks the whole call,
``b"down"`` is a service failure; a request holding ``b"slow"`` times out as a
whole and one holding ``b"throttle"`` is throttled as a whole), so each engine rule
is observable. The real
Google backend under the same engine is tested with respx in
``tests/backends/google/test_batch.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

import pytest

from visionkit.api import close_analyzers
from visionkit.backends.base import Analyzer
from visionkit.backends.registry import _registered, register_backend
from visionkit.batch import analyze_many_async
from visionkit.batch.engine import AsyncBatching
from visionkit.batch.items import UnexpectedError
from visionkit.cache import ResultCache
from visionkit.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    InvalidImageError,
    RateLimitError,
    VisionKitError,
)
from visionkit.features import Feature
from visionkit.results import AnalysisResult

from .conftest import FakeRemote, answer


class FakeBatchingRemote(FakeRemote):
    name: ClassVar[str] = "fake-batching"
    batch_size: ClassVar[int] = 4

    def __init__(self, options=None, /, **overrides):
        super().__init__(options, **overrides)
        self.batches: list[int] = []

    async def analyze_batch_async(
        self, images: Sequence[object], features: object = None
    ) -> list[AnalysisResult | VisionKitError]:
        self.batches.append(len(images))
        await asyncio.sleep(0.001)
        if b"bug" in images and len(images) > 1:
            raise RuntimeError("the whole request broke")
        if b"slow" in images:
            raise BackendTimeoutError("the request did not finish in time", backend=self.name)
        if b"throttle" in images:
            raise RateLimitError("slow down", backend=self.name)
        out: list[AnalysisResult | VisionKitError] = []
        for image in images:
            if image == b"down":
                out.append(BackendUnavailableError("the service is down", backend=self.name))
                continue
            try:
                out.append(answer(image))
            except VisionKitError as exc:
                out.append(exc)
        return out


class Spare(Analyzer):
    """The fallback: answers every image with the tag ``spare``."""

    name: ClassVar[str] = "fake-spare"
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.TAGS})

    def _analyze(self, image, features):
        return answer(b"spare")


@pytest.fixture
def batching():
    register_backend("fake-batching", FakeBatchingRemote)
    register_backend("fake-spare", Spare)
    close_analyzers()
    yield
    close_analyzers()
    _registered.pop("fake-batching", None)
    _registered.pop("fake-spare", None)


def _names(items) -> list[str | None]:
    return [it.result.tags[0].name if it.ok else None for it in items]


def test_the_fake_is_what_the_engine_looks_for():
    assert isinstance(FakeBatchingRemote(), AsyncBatching)
    assert not isinstance(FakeRemote(), AsyncBatching)


@pytest.mark.usefixtures("batching")
async def test_units_are_batch_size_images_and_a_bad_one_fails_alone():
    analyzer = FakeBatchingRemote()
    images = [f"img{i}".encode() for i in range(10)]
    images[5] = b"bad"
    run = analyze_many_async(images, ["tags"], analyzer=analyzer, cache=False)
    items = [item async for item in run]
    assert sorted(analyzer.batches) == [2, 4, 4] and analyzer.calls == 0  # no one-image calls
    assert [it.ok for it in items] == [True] * 5 + [False] + [True] * 4
    assert isinstance(items[5].error, InvalidImageError)
    assert _names(items)[:2] == ["img0", "img1"]


@pytest.mark.usefixtures("batching")
async def test_a_request_that_breaks_is_retried_image_by_image():
    analyzer = FakeBatchingRemote()
    images = [b"a", b"bug", b"c", b"d"]
    items = [
        it async for it in analyze_many_async(images, ["tags"], analyzer=analyzer, cache=False)
    ]
    assert analyzer.batches == [4, 1, 1, 1, 1]
    # Alone, only "bug" still raises: it alone fails, as an unexpected error.
    assert _names(items) == ["a", None, "c", "d"]
    assert isinstance(items[1].error, UnexpectedError)


@pytest.mark.usefixtures("batching")
async def test_batch_size_narrows_the_requests():
    analyzer = FakeBatchingRemote()
    images = [f"img{i}".encode() for i in range(5)]
    run = analyze_many_async(images, ["tags"], analyzer=analyzer, cache=False, batch_size=2)
    assert len([it async for it in run]) == 5
    assert sorted(analyzer.batches) == [1, 2, 2]


@pytest.mark.usefixtures("batching")
async def test_cache_hits_are_left_out_of_the_request(tmp_path):
    store = ResultCache(tmp_path / "c.sqlite3")
    first = FakeBatchingRemote()
    run = analyze_many_async([b"a", b"b"], ["tags"], analyzer=first, cache=store)
    assert [it.cached async for it in run] == [False, False]
    second = FakeBatchingRemote()
    run = analyze_many_async([b"a", b"b", b"c"], ["tags"], analyzer=second, cache=store)
    assert [it.cached async for it in run] == [True, True, False]
    assert second.batches == [1]


@pytest.mark.usefixtures("batching")
async def test_a_service_failure_in_a_batch_goes_to_the_fallback():
    images = [b"a", b"down", b"c"]
    run = analyze_many_async(
        images, ["tags"], backend="fake-batching", fallback=["fake-spare"], cache=False
    )
    items = [item async for item in run]
    assert _names(items) == ["a", "spare", "c"]
    assert items[1].result.fallback_reason is not None


@pytest.mark.usefixtures("batching")
async def test_a_request_that_times_out_as_a_whole_is_sent_again_image_by_image():
    # One stalled image must not cost the three good ones sharing its request.
    analyzer = FakeBatchingRemote()
    images = [b"a", b"slow", b"c", b"d"]
    run = analyze_many_async(images, ["tags"], analyzer=analyzer, cache=False)
    items = [item async for item in run]
    assert analyzer.batches == [4, 1, 1, 1, 1]
    assert _names(items) == ["a", None, "c", "d"]
    assert isinstance(items[1].error, BackendTimeoutError)


@pytest.mark.usefixtures("batching")
async def test_a_throttled_request_is_not_sent_again_image_by_image():
    # A 429 is the service's verdict on the caller, not on one image: four more
    # requests would only press a throttled service harder.
    analyzer = FakeBatchingRemote()
    images = [b"a", b"throttle", b"c", b"d"]
    run = analyze_many_async(images, ["tags"], analyzer=analyzer, cache=False)
    items = [item async for item in run]
    assert analyzer.batches == [4]
    assert all(isinstance(item.error, RateLimitError) for item in items)

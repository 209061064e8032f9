"""The cache in front of single calls, and which calls use it by default."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import pytest

from visionkit.backends.base import Analyzer
from visionkit.cache import (
    ResultCache,
    cached_analyze,
    cached_analyze_async,
    close_default_caches,
    configure_cache,
    default_cache,
    default_cache_dir,
    resolve_cache,
)
from visionkit.cache import defaults as cache_defaults
from visionkit.features import Feature
from visionkit.results import AnalysisResult, Tag


class Counting(Analyzer):
    """A stand-in cloud backend: async I/O of its own, and a count of billed calls."""

    name: ClassVar[str] = "counting"
    remote: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.TAGS, Feature.COLORS})

    def __init__(self, options=None, /) -> None:
        super().__init__(options)
        self.calls = 0

    def _analyze(self, image, features):
        self.calls += 1
        return AnalysisResult(backend="counting", tags=(Tag(str(len(bytes(image))), 1.0),))

    async def _analyze_async(self, image, features):
        await asyncio.sleep(0)
        return self._analyze(image, features)


class Offline(Analyzer):
    name: ClassVar[str] = "offline"
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.TAGS})

    def _analyze(self, image, features):
        return AnalysisResult(backend="offline", tags=())


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(tmp_path / "vk"))
    monkeypatch.delenv("VISIONKIT_CACHE", raising=False)
    yield
    close_default_caches()


def test_a_repeated_image_costs_one_call():
    analyzer = Counting()
    first = cached_analyze(analyzer, b"12345", ["tags"])
    again = cached_analyze(analyzer, b"12345", ["tags"])
    assert first == again and analyzer.calls == 1
    cached_analyze(analyzer, b"12345", ["tags", "colors"])
    assert analyzer.calls == 2  # other features, other key


async def test_the_async_twin_shares_the_same_entries():
    analyzer = Counting()
    await cached_analyze_async(analyzer, b"abc", None)
    cached_analyze(analyzer, b"abc", None)
    assert analyzer.calls == 1


def test_cache_false_always_calls_the_backend():
    analyzer = Counting()
    cached_analyze(analyzer, b"x", cache=False)
    cached_analyze(analyzer, b"x", cache=False)
    assert analyzer.calls == 2


def test_cloud_backends_are_cached_by_default_and_offline_ones_are_not(tmp_path):
    assert Counting.is_remote() and not Offline.is_remote()
    assert resolve_cache(None, Counting()) is default_cache()
    assert resolve_cache(None, Offline()) is None
    assert resolve_cache(True, Offline()) is default_cache()
    own = ResultCache(tmp_path / "own.sqlite3")
    assert resolve_cache(own, Offline()) is own


def test_visionkit_cache_off_disables_the_default_but_not_an_explicit_request(monkeypatch):
    monkeypatch.setenv("VISIONKIT_CACHE", "off")
    assert resolve_cache(None, Counting()) is None
    assert resolve_cache(True, Counting()) is not None


def test_the_default_folder_follows_the_environment_then_configure_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_defaults, "_settings", cache_defaults._Settings())
    assert default_cache_dir() == tmp_path / "vk"
    monkeypatch.delenv("VISIONKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "visionkit"
    configure_cache(tmp_path / "configured", max_bytes=1234)
    assert default_cache_dir() == tmp_path / "configured"
    assert default_cache().max_bytes == 1234
    assert default_cache().path == tmp_path / "configured" / "results.sqlite3"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(cache_defaults, "_settings", cache_defaults._Settings())
    assert default_cache_dir() == Path.home() / ".cache" / "visionkit"


def test_urls_bypass_the_cache():
    class UrlCounting(Counting):
        def _analyze(self, image, features):
            self.calls += 1
            return AnalysisResult(backend="counting", tags=())

    analyzer = UrlCounting()
    store = default_cache()
    cached_analyze(analyzer, "https://example.com/a.jpg", cache=store)
    cached_analyze(analyzer, "https://example.com/a.jpg", cache=store)
    assert analyzer.calls == 2 and store.stats().entries == 0


def test_visionkit_analyze_uses_the_cache_for_cloud_backends_unless_told_not_to():
    import visionkit
    from visionkit.api import close_analyzers
    from visionkit.backends.registry import _registered, register_backend

    register_backend("counting", Counting)
    try:
        visionkit.analyze(b"abc", ["tags"], backend="counting")
        visionkit.analyze(b"abc", ["tags"], backend="counting")
        visionkit.analyze(b"abc", ["tags"], backend="counting", cache=False)
        assert visionkit.get_analyzer("counting").calls == 2
    finally:
        close_analyzers()
        _registered.pop("counting", None)


async def test_visionkit_analyze_async_shares_the_cache():
    import visionkit
    from visionkit.api import close_analyzers
    from visionkit.backends.registry import _registered, register_backend

    register_backend("counting", Counting)
    try:
        await visionkit.analyze_async(b"xyz", backend="counting")
        await visionkit.analyze_async(b"xyz", backend="counting")
        assert visionkit.get_analyzer("counting").calls == 1
    finally:
        close_analyzers()
        _registered.pop("counting", None)


def test_a_result_that_cannot_be_stored_is_still_returned():
    class Unstorable(Counting):
        def _analyze(self, image, features):
            return AnalysisResult(backend="counting", tags=(), raw={"x": object()})

    result = cached_analyze(Unstorable(), b"abc", cache=default_cache())
    assert result.tags == () and default_cache().stats().entries == 0

"""A cassette session never touches the user's result cache, and replayed results say so.

The user's cache is stood in for by a temporary ``VISIONKIT_CACHE_DIR`` with
the cache switched on (the suite's conftest switches it off), so the test sees
exactly what a user's ``~/.cache/visionkit`` would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import visionkit
from visionkit.backends.azure import AzureAnalyzer
from visionkit.backends.azure.requests import CAPABILITIES
from visionkit.backends.base import Analyzer
from visionkit.backends.local import LocalAnalyzer
from visionkit.cache import cached_analyze
from visionkit.cache.defaults import close_default_caches, default_cache
from visionkit.cache.keys import cache_key, image_digest
from visionkit.cache.store import ResultCache
from visionkit.features import Feature
from visionkit.results import AnalysisResult, Tag
from visionkit.testing import (
    bundled_cassette,
    load_cassette,
    replay,
    write_cassette,
)

ENDPOINT = "https://example.cognitiveservices.azure.com"
CASSETTE = "azure/analyze-all-features"
# What the cassette asks: Analyze Image alone (Read and Get Area of Interest are other calls).
FEATURES = sorted(CAPABILITIES - {Feature.TEXT, Feature.AREA_OF_INTEREST}, key=lambda f: f.value)


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder that is on, as a user's is, and the folder's path."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(folder))
    monkeypatch.delenv("VISIONKIT_CACHE", raising=False)
    close_default_caches()
    yield folder
    close_default_caches()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (1500, 1000), (120, 90, 60)).save(path, "JPEG")
    return path


def _azure() -> AzureAnalyzer:
    return AzureAnalyzer(endpoint=ENDPOINT, key="replayed")


def _key(azure: AzureAnalyzer, photo: Path, features: list[Any]) -> str:
    """The key the cache files ``photo`` under for ``azure`` and ``features``."""
    digest, _ = image_digest(photo)
    assert digest is not None
    wanted = azure.resolve_features(features)
    return cache_key(digest, backend="azure", options=azure.options, features=wanted)


def _cached_entries(folder: Path) -> int:
    return sum(default_cache().stats().by_backend.values()) if folder.exists() else 0


def test_a_replay_writes_nothing_to_the_users_cache(
    user_cache: Path, photo: Path, tmp_path: Path
) -> None:
    answer = [interaction for _, interaction in load_cassette(bundled_cassette(CASSETTE))]
    write_cassette(tmp_path / "twice", answer * 2)
    with replay(tmp_path / "twice", label="twice") as cassette, _azure() as azure:
        for cache in (None, True):  # the default policy, and an explicit "use the cache"
            result = cached_analyze(azure, photo, FEATURES, cache=cache)
            assert result.replayed_from == "twice"
    cassette.assert_all_played()
    assert _cached_entries(user_cache) == 0
    assert os.environ["VISIONKIT_CACHE_DIR"] == str(user_cache)
    assert "VISIONKIT_CACHE" not in os.environ


def test_a_replay_reads_nothing_from_the_users_cache(user_cache: Path, photo: Path) -> None:
    with _azure() as azure:
        key = _key(azure, photo, FEATURES)
        planted = AnalysisResult(backend="azure", tags=(Tag("from the user's cache", 0.9),))
        default_cache().put(key, planted)
        assert cached_analyze(azure, photo, FEATURES) == planted  # the cache is really on

        with replay(bundled_cassette(CASSETTE)) as cassette:
            result = cached_analyze(azure, photo, FEATURES)
    assert cassette.play_count == 1
    assert result != planted
    assert result.caption is not None
    assert result.caption.text == "Satya Nadella sitting on a bench"


def test_replayed_results_are_labelled_and_local_ones_are_not(photo: Path) -> None:
    with replay(bundled_cassette(CASSETTE), label="Microsoft's example"):
        remote = visionkit.analyze(
            photo, FEATURES, backend="azure", endpoint=ENDPOINT, key="session-test-key"
        )
        local = LocalAnalyzer().analyze(photo, ["tags"])
    assert remote.replayed_from == "Microsoft's example"
    assert "replayed from Microsoft's example" in remote.summary()
    assert local.replayed_from is None
    assert "replayed" not in local.summary()
    assert AnalysisResult.from_json(remote.to_json()).replayed_from == "Microsoft's example"


def test_the_session_undoes_its_changes(photo: Path) -> None:
    unpatched = Analyzer.analyze
    with replay(bundled_cassette(CASSETTE)):
        assert Analyzer.analyze is not unpatched
        assert os.environ["VISIONKIT_CACHE"] == "off"
    assert Analyzer.analyze is unpatched
    assert os.environ["VISIONKIT_CACHE"] == "off"  # the suite's own setting, restored


def test_a_recording_neither_reads_nor_fills_the_users_cache(
    user_cache: Path, photo: Path, tmp_path: Path, upstream: str
) -> None:
    with AzureAnalyzer(endpoint=upstream, key="session-test-key") as azure:
        digest, _ = image_digest(photo)
        assert digest is not None
        key = cache_key(
            digest,
            backend="azure",
            options=azure.options,
            features=azure.resolve_features(["tags"]),
        )
        default_cache().put(key, AnalysisResult(backend="azure", tags=(Tag("cached", 0.9),)))

        with replay(tmp_path / "recorded", mode="record") as cassette:
            result = cached_analyze(azure, photo, ["tags"], cache=True)
    assert result.tags == (Tag("cat", 0.99),)  # the upstream's answer, not the planted one
    assert result.replayed_from is None  # recorded live: a real answer
    assert len(cassette.written) == 1
    assert [entry.tags for entry in _entries_for(key)] == [(Tag("cached", 0.9),)]


def _entries_for(key: str) -> list[AnalysisResult]:
    found = default_cache().get(key)
    return [] if found is None else [found]


def test_a_replay_stores_nothing_even_in_a_store_the_caller_passes(
    user_cache: Path, photo: Path
) -> None:
    store = ResultCache(user_cache / "results.sqlite3")
    with replay(bundled_cassette(CASSETTE)), _azure() as azure:
        result = cached_analyze(azure, photo, FEATURES, cache=store)
    assert result.replayed_from is not None
    assert store.stats().entries == 0

"""Fake backends that make the batch engine's behaviour observable without a model or network.

``FakeLocal`` stacks images like the CNN backend does (and counts its batches);
``FakeRemote`` awaits like a cloud backend (and records how many calls overlap).
Both answer from the image bytes, so a test knows which result belongs to which input.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import pytest

from visionkit.api import close_analyzers
from visionkit.backends.base import Analyzer
from visionkit.backends.registry import _registered, register_backend
from visionkit.errors import AuthenticationError, InvalidImageError, VisionKitError
from visionkit.features import Feature
from visionkit.results import AnalysisResult, Tag


def answer(image: object) -> AnalysisResult:
    if image == b"bad":
        raise InvalidImageError("not an image", source="<bytes: 3 bytes>")
    if image == b"bug":
        raise RuntimeError("boom")
    if image == b"auth":
        raise AuthenticationError("key rejected", status=401)
    name = image.decode() if isinstance(image, bytes) else str(image)
    return AnalysisResult(backend="x", tags=(Tag(name, 1.0),))


class FakeLocal(Analyzer):
    name: ClassVar[str] = "fake-local"
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.TAGS, Feature.COLORS})
    batch_size: ClassVar[int] = 4

    def __init__(self, options=None, /, **overrides):
        super().__init__(options, **overrides)
        self.batches: list[int] = []
        self.calls = 0
        self._lock = threading.Lock()

    def _analyze(self, image, features):
        with self._lock:
            self.calls += 1
        return answer(image)

    def _analyze_batch(self, images: Sequence, features):
        with self._lock:
            self.batches.append(len(images))
        out: list[AnalysisResult | VisionKitError] = []
        for image in images:
            try:
                out.append(answer(image))
            except VisionKitError as exc:
                out.append(exc)
        if b"bug" in images:
            raise RuntimeError("the whole batch broke")
        return out


class FakeRemote(Analyzer):
    name: ClassVar[str] = "fake-remote"
    remote: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.TAGS})

    def __init__(self, options=None, /, **overrides):
        super().__init__(options, **overrides)
        self.in_flight = 0
        self.peak = 0
        self.calls = 0
        self.delays: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def _analyze(self, image, features):
        with self._enter():
            time.sleep(self.delays.get(image, 0.001))
            return answer(image)

    async def _analyze_async(self, image, features):
        with self._enter():
            await asyncio.sleep(self.delays.get(image, 0.001))
            return answer(image)

    @contextlib.contextmanager
    def _enter(self):
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def fake_backends():
    register_backend("fake-local", FakeLocal)
    register_backend("fake-remote", FakeRemote)
    close_analyzers()  # a fresh instance (and fresh counters) for every test
    yield
    close_analyzers()
    _registered.pop("fake-local", None)
    _registered.pop("fake-remote", None)


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path, monkeypatch):
    """Every test gets an empty default cache of its own; none touches ~/.cache."""
    from visionkit.cache import close_default_caches

    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VISIONKIT_CACHE", raising=False)
    yield
    close_default_caches()

"""What a cassette session changes around the code under test, besides its HTTP.

Two things, both so that a recording can never be mistaken for the service:

* **The result cache is switched off** for the session, in replay and in
  record mode. A replayed answer stored in the user's cache would later be
  returned for a real call with no network (the cache key is the image, the
  backend and its options, and the replay used a real-looking endpoint); a
  cached answer read during a recording would mean the request was never made
  and so never recorded. ``VISIONKIT_CACHE=off`` covers the default
  (``cache=None``) path; ``VISIONKIT_CACHE_DIR`` points at a temporary folder
  so that an explicit ``cache=True`` lands there and is deleted with it. A
  :class:`~visionkit.cache.store.ResultCache` passed explicitly is the caller's
  own and is read as given, but no store ever keeps a replayed result
  (:meth:`~visionkit.cache.store.ResultCache.put` drops it).
* **Replayed results are marked**: in replay mode, every result a remote
  analyzer returns carries ``replayed_from`` (the cassette's name), which the
  summary line, the CLI and the comparison report show. While a replay is in
  force respx refuses any request the cassette does not answer, so every remote
  result of the session was served by it; on-machine backends (the local
  model, the fake) never touch HTTP and are left alone. The mark is put on by
  wrapping the three public methods of :class:`~visionkit.backends.base.Analyzer`
  for the session, the same way the recorder wraps httpx's transports: every
  backend's answer leaves through them.

Environment variables and class attributes are process-wide, as respx's own
patching is, so sessions must not overlap across threads; nested sessions
restore what they found, in order.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from typing import Any
from unittest import mock

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.cache.defaults import ENV_CACHE, ENV_CACHE_DIR, default_cache
from visionkit.errors import VisionKitError
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult


class CacheIsolation:
    """Keeps a cassette session away from the user's result cache (see the module docstring)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        self._saved = {name: os.environ.get(name) for name in (ENV_CACHE, ENV_CACHE_DIR)}
        self._folder = tempfile.TemporaryDirectory(
            prefix="visionkit-cassette-cache-", ignore_cleanup_errors=True
        )
        os.environ[ENV_CACHE] = "off"
        os.environ[ENV_CACHE_DIR] = self._folder.name

    def stop(self) -> None:
        if self._folder is None:
            return
        default_cache().close()  # the temporary store, if the session opened it
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._folder.cleanup()
        self._folder = None


class ReplayMarker:
    """Marks every remote analyzer's result with the cassette that served it."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._patches: list[Any] = []

    def start(self) -> None:
        label = self.label
        analyze, analyze_async, analyze_batch = (
            Analyzer.analyze,
            Analyzer.analyze_async,
            Analyzer.analyze_batch,
        )

        def mark(analyzer: Analyzer, result: Any) -> Any:
            if (
                isinstance(result, AnalysisResult)
                and analyzer.is_remote()
                and result.replayed_from is None
            ):
                return dataclasses.replace(result, replayed_from=label)
            return result

        def marked_analyze(
            self: Analyzer, image: ImageInput, features: FeaturesArg = None
        ) -> AnalysisResult:
            return mark(self, analyze(self, image, features))  # type: ignore[no-any-return]

        async def marked_analyze_async(
            self: Analyzer, image: ImageInput, features: FeaturesArg = None
        ) -> AnalysisResult:
            return mark(self, await analyze_async(self, image, features))  # type: ignore[no-any-return]

        def marked_analyze_batch(
            self: Analyzer, images: Sequence[ImageInput], features: FeaturesArg = None
        ) -> list[AnalysisResult | VisionKitError]:
            return [mark(self, outcome) for outcome in analyze_batch(self, images, features)]

        self._patches = [
            mock.patch.object(Analyzer, "analyze", marked_analyze),
            mock.patch.object(Analyzer, "analyze_async", marked_analyze_async),
            mock.patch.object(Analyzer, "analyze_batch", marked_analyze_batch),
        ]
        for patch in self._patches:
            patch.start()

    def stop(self) -> None:
        while self._patches:
            self._patches.pop().stop()


__all__ = ["CacheIsolation", "ReplayMarker"]

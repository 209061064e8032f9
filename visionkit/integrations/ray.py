"""Analyse a Ray Dataset: the batch engine on every worker of a cluster.

Past one machine, visionkit does not grow its own scheduler: Ray Data
already streams blocks between nodes, retries failed tasks and scales actor
pools. :func:`analyze_dataset` adds one ``map_batches`` stage whose callable
class, :class:`DatasetAnalyzer`, builds one analyzer per worker (one model in
memory, or one connection pool and rate limiter per worker) and runs each
batch through :func:`~visionkit.batch.analyze_many_async` on a loop that
lives as long as the worker, so nothing is rebuilt per batch.

Rows keep every column they came with and gain three: ``result`` (the
result's JSON, :meth:`AnalysisResult.from_json` reads it back), ``error``
(the message) and ``error_type`` (the class name); exactly one of ``result``
and ``error`` is set, as in a :class:`~visionkit.batch.BatchItem`. JSON text
keeps the Arrow schema flat and stable whatever the features.

The cache has the same keys as everywhere else; each worker uses its node's
default cache (or ``cache=`` / ``VISIONKIT_CACHE_DIR``), see
``docs/integrations/ray.md``. Ray is imported only when
:func:`analyze_dataset` is called: ``pip install 'visionkit[ray]'``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.batch.items import BatchItem
from visionkit.batch.ratelimit import RateLimit
from visionkit.batch.runner import analyze_many_async, open_batch_analyzer
from visionkit.cache.defaults import CacheArg

if TYPE_CHECKING:
    import ray.data

_T = TypeVar("_T")

DEFAULT_COLUMN = "bytes"
"""The column :func:`ray.data.read_binary_files` fills with each file's content."""


class _LoopThread:
    """An event loop on a daemon thread, for the lifetime of one worker.

    Cloud analyzers hold an async connection pool, which belongs to the loop
    that opened it; keeping one loop per worker lets every batch reuse it.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="visionkit-ray", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class DatasetAnalyzer:
    """The ``map_batches`` callable class: one analyzer per Ray worker.

    Ray constructs it once per actor with the arguments of
    :func:`analyze_dataset` and then calls it on batches in ``numpy`` format
    (a dict of column name to array).
    """

    def __init__(
        self,
        *,
        column: str = DEFAULT_COLUMN,
        features: FeaturesArg = None,
        backend: str | None = None,
        concurrency: int | None = None,
        rate: str | float | RateLimit | None = None,
        cache: CacheArg = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.column = column
        self._features = features
        self._concurrency = concurrency
        self._cache = cache
        self._loop = _LoopThread()
        self.analyzer: Analyzer
        self.analyzer, _, self._owned = open_batch_analyzer(
            backend, dict(options or {}), concurrency=concurrency, rate=rate
        )
        self.analyzer.resolve_features(features)  # fail on the worker's first breath, not per row

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.column not in batch:
            raise KeyError(
                f"The dataset has no column {self.column!r} (it has {sorted(batch)}); "
                f"pass column= to analyze_dataset."
            )
        images = [_plain(value) for value in batch[self.column]]
        items = self._loop.run(self._analyze(images))
        out = dict(batch)
        out["result"] = np.array([_result(i) for i in items], dtype=object)
        out["error"] = np.array([str(i.error) if i.error else None for i in items], dtype=object)
        out["error_type"] = np.array(
            [type(i.error).__name__ if i.error else None for i in items], dtype=object
        )
        return out

    async def _analyze(self, images: list[Any]) -> list[BatchItem]:
        run = analyze_many_async(
            images,
            self._features,
            analyzer=self.analyzer,
            concurrency=self._concurrency,
            cache=self._cache,
        )
        return [item async for item in run]

    def close(self) -> None:
        """Release the analyzer (if this worker built it) and the loop."""
        if self._owned:
            self._loop.run(self.analyzer.aclose())
        self._loop.stop()


def analyze_dataset(
    dataset: ray.data.Dataset,
    features: FeaturesArg = None,
    *,
    column: str = DEFAULT_COLUMN,
    backend: str | None = None,
    batch_size: int = 64,
    workers: int | tuple[int, int] = 1,
    concurrency: int | None = None,
    rate: str | float | RateLimit | None = None,
    cache: CacheArg = None,
    num_cpus: float | None = None,
    **options: Any,
) -> ray.data.Dataset:
    """Add ``result``, ``error`` and ``error_type`` columns to ``dataset``, lazily.

    Args:
        dataset: Rows with the images in ``column``: encoded bytes (as
            ``ray.data.read_binary_files`` gives), paths or URLs.
        features: As for :func:`visionkit.analyze`.
        column: The column holding the images.
        backend: The backend name; extra keyword arguments are its options.
        batch_size: Rows per call of a worker (the local backend stacks them).
        workers: Actors to run, or a ``(min, max)`` range for Ray to autoscale.
        concurrency: In-flight cloud requests per worker.
        rate: Client-side limit *per worker*: divide your tier's quota by the
            number of workers.
        cache: As for :func:`visionkit.analyze_many`; each worker uses its node's cache.
        num_cpus: CPUs to reserve per worker (Ray's default: 1).
        **options: Options of the backend.
    """
    kwargs: dict[str, Any] = {
        "column": column,
        "features": features,
        "backend": backend,
        "concurrency": concurrency,
        "rate": rate,
        "cache": cache,
        "options": options,
    }
    extra: dict[str, Any] = {} if num_cpus is None else {"num_cpus": num_cpus}
    return dataset.map_batches(
        DatasetAnalyzer,
        fn_constructor_kwargs=kwargs,
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=workers,
        **extra,
    )


def _plain(value: Any) -> Any:
    """Arrow hands bytes and strings back as numpy scalars; the loader wants Python ones."""
    if isinstance(value, np.bytes_):
        return bytes(value)
    if isinstance(value, np.str_):
        return str(value)
    return value


def _result(item: BatchItem) -> str | None:
    return item.result.to_json() if item.result is not None else None


__all__ = ["DEFAULT_COLUMN", "DatasetAnalyzer", "analyze_dataset"]

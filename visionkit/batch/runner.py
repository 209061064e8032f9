"""``analyze_many`` and ``analyze_many_async``: many images, one call, flat memory.

Both return an iterator you consume as results arrive; it also carries
``.stats`` (done, failed, cached, HTTP requests, 429s, time). The async one
runs in the caller's event loop. The sync one runs the same engine on an
event loop in a background thread and hands items over through a buffer of
``window`` units' worth of items, so a slow consumer holds the producer back (memory stays
bounded) without ever blocking the loop that is talking to the service.

For a cloud backend named by ``backend=``, the run builds its own analyzer:
an httpx connection pool sized to ``concurrency`` and a
:class:`~visionkit.batch.ratelimit.RateLimitedTransport` in front of it, so
``rate`` and the 429-driven slowdown apply to every HTTP call the backend
makes. It is closed when the run ends. An ``analyzer=`` you pass is used as
is (bring your own transport to rate-limit it).

It is over the project's ~400-line guide because the sync and async front doors, their
setup (analyzer, rate limit, fallback) and the background pump are one run's lifecycle;
the engine, items and rate limiter are separate modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import queue
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from visionkit.analyzers import get_analyzer, new_analyzer
from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.backends.registry import get_backend_class
from visionkit.cache.defaults import CacheArg, resolve_cache
from visionkit.config import resolve_backend_name, resolve_fallback
from visionkit.errors import ConfigError
from visionkit.fallback import fallback_cause
from visionkit.fallback import plan as plan_fallback
from visionkit.images import ImageLimits
from visionkit.images.settings import configured_limits

from .engine import Fallback, Images, Plan, run
from .items import BatchItem, BatchStats
from .pools import ShardedTransport
from .ratelimit import AdaptiveRateLimiter, RateLimit, RateLimitedTransport, parse_rate

logger = logging.getLogger("visionkit.fallback")

DEFAULT_CLOUD_CONCURRENCY = 16
"""In-flight requests for cloud backends: enough to hide a 200-1000 ms round trip
at Azure's standard 10 calls a second, few enough not to trip its burst limits."""


@runtime_checkable
class PinnableImageLimits(Protocol):
    """An analyzer that can hold every image it loads to limits resolved once
    (:meth:`visionkit.backends.azure.AzureAnalyzer.use_image_limits`)."""

    def use_image_limits(self, limits: ImageLimits | None) -> None: ...


@dataclass
class _Setup:
    plan: Plan
    owned: bool  # the run built the analyzer and must close it


def open_batch_analyzer(
    backend: str | None,
    options: dict[str, Any],
    *,
    concurrency: int | None = None,
    rate: str | float | RateLimit | None = None,
) -> tuple[Analyzer, AdaptiveRateLimiter | None, bool]:
    """An analyzer fit for a batch: ``(analyzer, its rate limiter, whether the caller owns it)``.

    A cloud backend that :attr:`~visionkit.backends.base.Analyzer.accepts_transport`
    gets a new instance of its own,
    with a pool of ``concurrency`` connections behind a rate-limited transport;
    the caller must ``aclose()`` it. Any other backend is the shared instance
    :func:`visionkit.get_analyzer` returns (its model stays loaded between runs).
    """
    limit = parse_rate(rate) if rate is not None else None
    name = resolve_backend_name(backend).value
    cls = get_backend_class(name)
    if cls.is_remote() and cls.accepts_transport:
        width = concurrency or DEFAULT_CLOUD_CONCURRENCY
        limiter = AdaptiveRateLimiter(limit)
        # Several small pools: httpcore's work per request grows with its pool's size.
        transport = RateLimitedTransport(limiter, transport=ShardedTransport(width))
        analyzer = new_analyzer(name, options, transport=transport)
        if isinstance(analyzer, PinnableImageLimits):
            # The run's image settings, read once as its options are, not for every image.
            analyzer.use_image_limits(configured_limits())
        # A pause no call could sit out within its deadline only fails the calls behind it.
        limiter.max_pause_s = getattr(analyzer.options, "deadline_s", math.inf)
        return analyzer, limiter, True
    if limit is not None and not cls.is_remote():
        raise ConfigError(
            f"rate= limits calls to a cloud service; the {name!r} backend makes none."
        )
    return get_analyzer(name, **options), None, False


def _setup(
    *,
    features: FeaturesArg,
    backend: str | None,
    analyzer: Analyzer | None,
    concurrency: int | None,
    ordered: bool,
    rate: str | float | RateLimit | None,
    cache: CacheArg,
    batch_size: int | None,
    async_io_allowed: bool,
    options: dict[str, Any],
    fallback: Sequence[str] | str | None = None,
) -> _Setup:
    if concurrency is not None and concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, got {concurrency}.")
    if batch_size is not None and batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}.")
    limit = parse_rate(rate) if rate is not None else None
    limiter: AdaptiveRateLimiter | None = None
    owned = False
    if analyzer is not None:
        if backend is not None or options:
            raise ConfigError(
                "Pass either analyzer= or backend=/backend options to analyze_many, not both."
            )
        if limit is not None:
            raise ConfigError(
                "rate= applies to analyzers analyze_many builds itself. For your own analyzer, "
                "give it a visionkit.batch.RateLimitedTransport as its transport."
            )
    chain = list(resolve_fallback(fallback).value) if analyzer is None else []
    if analyzer is None:
        primary = resolve_backend_name(backend).value
        chain = [name for name in chain if name != primary]
        try:
            analyzer, limiter, owned = open_batch_analyzer(
                primary, options, concurrency=concurrency, rate=limit
            )
        except ConfigError as exc:
            cause = fallback_cause(primary, exc, options) if chain else None
            attempts = plan_fallback(primary, chain, features, options) if cause else []
            if cause is None or len(attempts) < 2:
                raise
            # No key here: the whole run is the next backend's, and every result says why.
            substitute = attempts[1]
            logger.warning("%s; the batch runs on %s", cause, substitute.backend)
            setup = _setup(
                features=substitute.features,
                backend=substitute.backend,
                analyzer=None,
                concurrency=concurrency,
                ordered=ordered,
                rate=None,
                cache=cache,
                batch_size=batch_size,
                async_io_allowed=async_io_allowed,
                options={},
                fallback=chain[chain.index(substitute.backend) + 1 :],
            )
            reason = f"{cause}; {substitute.backend} answered"
            if substitute.left_out:
                reason += f" without {', '.join(substitute.left_out)}"
            setup.plan = dataclasses.replace(setup.plan, answered_instead=reason)
            return setup
    assert analyzer is not None
    remote = analyzer.is_remote()
    plan = Plan(
        analyzer=analyzer,
        features=analyzer.resolve_features(features),
        concurrency=concurrency or (DEFAULT_CLOUD_CONCURRENCY if remote else local_concurrency()),
        ordered=ordered,
        # A pooled async client is tied to the loop that first used it: only a run's own
        # analyzer, or the caller's loop, may drive async I/O; anything else gets threads.
        async_io=remote and (owned or async_io_allowed),
        batch_size=batch_size or analyzer.batch_size,
        cache=resolve_cache(cache, analyzer),
        limiter=limiter,
        fallback=(Fallback(analyzer.name, tuple(chain), dict(options), cache) if chain else None),
    )
    return _Setup(plan, owned)


def check_images(images: object) -> None:
    """Refuse, before any work, an ``images`` argument that is one image or no iterable at all.

    A str, bytes or path is iterable, so without this check one image passed
    alone would become one failed item per character or byte.
    """
    if isinstance(images, str | bytes | bytearray | memoryview | os.PathLike):
        kind = type(images).__name__
        raise ConfigError(
            f"analyze_many takes an iterable of images (a list, a generator, ...), but got one "
            f"{kind}. Pass [image], or call visionkit.analyze for a single image."
        )
    if not isinstance(images, Iterable | AsyncIterable):
        raise ConfigError(
            f"analyze_many takes an iterable of images (a list, a generator, ...); a "
            f"{type(images).__name__} is not iterable."
        )


_DONE = object()


class _Pump:
    """The background half of a :class:`BatchRun`: an event loop thread feeding a queue.

    It holds no reference to the :class:`BatchRun`, so dropping the iterator
    lets it be collected, and collection stops the thread.
    """

    def __init__(self, setup: _Setup, images: Images, stats: BatchStats) -> None:
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._setup, self._images, self._stats = setup, images, stats
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._credit: asyncio.Semaphore | None = None
        # The buffer holds the window's units' worth of items (a local unit finishes 64 at
        # once), and the consumer returns credit in quarters of it: each return wakes the
        # loop through its self-pipe, 0.1 ms of the consumer's time, which at one return
        # per item was a tenth of a 1,000-image/s local run.
        plan = setup.plan
        self._buffer = plan.window * max(1, plan.batch_size)
        self._release_every = max(1, self._buffer // 4)
        self._taken = 0
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="visionkit-batch", daemon=True)
        self._thread.start()
        self._started.wait()

    def took_one(self) -> None:
        """The consumer took an item: the producer may hand over one more (in batches).

        No deadlock: the producer waits only when the buffer's every credit is out,
        so the queue then holds what the consumer must take before a return is due.
        """
        if self._credit is None:
            return
        self._taken += 1
        if self._taken >= self._release_every:
            returned, self._taken = self._taken, 0
            self._call(partial(_release, self._credit, returned))

    def stop(self) -> None:
        """Cancel the work in flight and wait for the thread to end."""
        if self._task is not None:
            self._call(self._task.cancel)
        self.join()

    def join(self) -> None:
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _call(self, callback: Callable[[], object]) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended: nothing to tell it
                self._loop.call_soon_threadsafe(callback)

    def _main(self) -> None:
        asyncio.run(self._produce())

    async def _produce(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._credit = asyncio.Semaphore(self._buffer)
        self._task = asyncio.current_task()
        self._started.set()
        try:
            # Close the run inside this task: a cancel that lands while we wait for credit would
            # otherwise leave it to the loop's finaliser, which asyncio.run may not wait for,
            # and the engine's worker threads would outlive the run.
            async with contextlib.aclosing(
                _run_owned(self._setup, self._images, self._stats)
            ) as items:
                async for item in items:
                    await self._credit.acquire()
                    self.queue.put(item)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self.queue.put(exc)
            return
        self.queue.put(_DONE)


def local_concurrency() -> int:
    """Local batches in flight: one per usable core, plus one.

    Each batch runs the model on its own single-threaded interpreter, and its
    decoding holds the GIL; with one batch more than there are cores, a core
    whose batch is decoding still has a model call to run. On 2 cores, 3
    batches gave 1,127 CIFAR-sized images/s against 953 for 2 and 956 for 4
    (int8 model, tags, median of 3 alternated runs). At most 9, as each batch
    holds an interpreter and a batch of pixels.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return min(cores + 1, 9)


def _release(credit: asyncio.Semaphore, n: int) -> None:
    for _ in range(n):
        credit.release()


class BatchRun(Iterator[BatchItem]):
    """The iterator :func:`analyze_many` returns: items as they finish, plus ``stats``.

    Stop early with :meth:`close`, a ``with`` block, or by dropping it: work
    in flight is cancelled and owned connections are closed.
    """

    def __init__(self, setup: _Setup, images: Images) -> None:
        self.stats = BatchStats()
        self._setup = setup
        self._images = images
        self._pump: _Pump | None = None
        self._finished = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> BatchItem:
        if self._finished:
            raise StopIteration
        if self._pump is None:
            self._pump = _Pump(self._setup, self._images, self.stats)
        got = self._pump.queue.get()
        if got is _DONE:
            self._finished = True
            self._pump.join()
            raise StopIteration
        if isinstance(got, BaseException):
            self._finished = True
            self._pump.join()
            raise got
        assert isinstance(got, BatchItem)
        self._pump.took_one()
        return got

    def close(self) -> None:
        """Cancel what is in flight and wait for the background loop to end."""
        if self._pump is not None and not self._finished:
            self._pump.stop()
        self._finished = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


async def _run_owned(setup: _Setup, images: Images, stats: BatchStats) -> AsyncGenerator[BatchItem]:
    try:
        # Close the engine explicitly when we are closed: left to the garbage collector, its
        # tasks would go on analysing (and paying for) images nobody will read.
        async with contextlib.aclosing(run(setup.plan, images, stats)) as items:
            async for item in items:
                yield item
    finally:
        if setup.owned:
            await setup.plan.analyzer.aclose()


class AsyncBatchRun(AsyncIterator[BatchItem]):
    """The async iterator :func:`analyze_many_async` returns, with ``stats``."""

    def __init__(self, setup: _Setup, images: Images) -> None:
        self.stats = BatchStats()
        self._items = _run_owned(setup, images, self.stats)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> BatchItem:
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Cancel what is in flight and close owned connections."""
        await self._items.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def analyze_many(
    images: Images,
    features: FeaturesArg = None,
    *,
    backend: str | None = None,
    concurrency: int | None = None,
    ordered: bool = True,
    rate: str | float | RateLimit | None = None,
    cache: CacheArg = None,
    batch_size: int | None = None,
    analyzer: Analyzer | None = None,
    fallback: Sequence[str] | str | None = None,
    **options: Any,
) -> BatchRun:
    """Analyse a stream of images; yield one :class:`BatchItem` per input as each finishes.

    A failing image yields an item with ``.error`` and the run goes on; only a
    rejected key or invalid configuration stops it (raised).

    Args:
        images: Any iterable or generator (of paths, bytes, URLs, ...). It is read
            as the run goes, so memory does not grow with its length.
        features: As for :func:`visionkit.analyze`; checked once, before any image.
        backend: The backend name (default: the configured one); extra keyword
            arguments are its options, as for :func:`visionkit.analyze`.
        concurrency: Requests in flight for cloud backends (default 16); batches
            in flight for local ones (default: one more than the usable cores, at
            most 9: see :func:`local_concurrency`).
        ordered: Yield in input order (default), or as soon as each finishes.
        rate: Client-side limit for cloud calls: ``"10/s"``, ``"20/min"``, a number
            per second, or Azure's tier ``"free"``/``"F0"`` or ``"standard"``/``"S1"``.
            429s slow it down further whether or not it is set.
        cache: ``None``: cache cloud results in the default cache, not local ones;
            ``False``: no cache; ``True``: the default cache whatever the backend;
            or a :class:`~visionkit.cache.ResultCache`.
        batch_size: Images per model call for backends that stack them (local: 64).
        analyzer: Use this analyzer instead of building one from ``backend``
            (then no fallback applies: the caller chose the analyzer).
        fallback: Backends that answer an image when ``backend`` cannot (a service
            failure after retries, or no key on this machine), as for
            :func:`visionkit.analyze`; default: from configuration, else none.
            Each such result names who answered in ``backend`` and why in
            ``fallback_reason``.
        **options: Options of the backend, as for :func:`visionkit.analyze`.

    If ``images`` itself raises while it is read (a generator whose source
    broke), the inputs taken before still get their items, and then the run
    raises that exception (with a note saying after how many inputs).
    """
    check_images(images)
    setup = _setup(
        features=features,
        backend=backend,
        analyzer=analyzer,
        concurrency=concurrency,
        ordered=ordered,
        rate=rate,
        cache=cache,
        batch_size=batch_size,
        async_io_allowed=False,
        options=options,
        fallback=fallback,
    )
    return BatchRun(setup, images)


def analyze_many_async(
    images: Images,
    features: FeaturesArg = None,
    *,
    backend: str | None = None,
    concurrency: int | None = None,
    ordered: bool = True,
    rate: str | float | RateLimit | None = None,
    cache: CacheArg = None,
    batch_size: int | None = None,
    analyzer: Analyzer | None = None,
    fallback: Sequence[str] | str | None = None,
    **options: Any,
) -> AsyncBatchRun:
    """The async twin of :func:`analyze_many`: ``async for item in analyze_many_async(...)``.

    ``images`` may also be an async iterable. Cloud calls run on the caller's
    event loop; CPU-bound backends run on worker threads.
    """
    check_images(images)
    setup = _setup(
        features=features,
        backend=backend,
        analyzer=analyzer,
        concurrency=concurrency,
        ordered=ordered,
        rate=rate,
        cache=cache,
        batch_size=batch_size,
        async_io_allowed=True,
        options=options,
        fallback=fallback,
    )
    return AsyncBatchRun(setup, images)


__all__ = [
    "DEFAULT_CLOUD_CONCURRENCY",
    "AsyncBatchRun",
    "BatchRun",
    "PinnableImageLimits",
    "analyze_many",
    "analyze_many_async",
    "open_batch_analyzer",
]

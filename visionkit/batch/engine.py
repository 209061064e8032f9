"""The one batch engine: a bounded window of work over a stream of images.

Every run, sync or async, local or cloud, is this loop: pull inputs from the
stream, cut them into *units*, keep at most ``window`` units in flight, and
hand back outcomes as they finish (or in input order). Memory is bounded by
the window, never by the length of the stream, so a generator of a million
paths costs what a list of a hundred does.

A unit is worked on in one of two ways:

* **async I/O** (cloud backends): one image per unit, ``concurrency`` of them
  awaiting the service at once over the analyzer's one connection pool; a
  backend whose service takes several images per request (Google: 16) and
  says so with an ``analyze_batch_async`` method (:class:`AsyncBatching`) gets
  ``batch_size`` images per unit instead, one request per unit;
* **threads** (local and other CPU-bound backends): ``batch_size`` images per
  unit, so the backend can stack them into one model call
  (:meth:`~visionkit.backends.base.Analyzer.analyze_batch`), with
  ``concurrency`` units on worker threads so that decoding one batch overlaps
  predicting another.

The cache is consulted per image before any work and filled after it; a hit
never reaches the backend (nor its rate limiter).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.cache.defaults import CacheArg
from visionkit.cache.keys import cache_key, image_digest
from visionkit.cache.store import ResultCache
from visionkit.errors import BackendTimeoutError, InvalidImageError, VisionKitError
from visionkit.fallback import recover, recover_async
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult

from .items import FATAL_ERRORS, BatchItem, BatchStats, UnexpectedError, describe_input
from .ratelimit import AdaptiveRateLimiter

logger = logging.getLogger("visionkit.batch")

Images: TypeAlias = Iterable[ImageInput] | AsyncIterable[ImageInput]
_Unit: TypeAlias = list[tuple[int, ImageInput]]
BatchItemOutcome: TypeAlias = AnalysisResult | VisionKitError


@runtime_checkable
class AsyncBatching(Protocol):
    """An analyzer whose service answers several images in one request, awaited.

    ``analyze_batch_async`` is :meth:`~visionkit.backends.base.Analyzer.analyze_batch`
    on the event loop: one outcome per image, in order, an error in place of an
    image that failed alone. The async path then sends ``batch_size`` images per
    unit, which for Google is 16 images per ``images:annotate`` request.
    """

    async def analyze_batch_async(
        self, images: Sequence[ImageInput], features: FeaturesArg = None
    ) -> list[AnalysisResult | VisionKitError]: ...


@dataclass(frozen=True)
class Plan:
    """How a run works: which analyzer, how wide, in what order, with which cache."""

    analyzer: Analyzer
    features: frozenset[Feature]
    concurrency: int
    ordered: bool
    async_io: bool
    batch_size: int
    cache: ResultCache | None
    limiter: AdaptiveRateLimiter | None = None
    fallback: Fallback | None = None
    answered_instead: str | None = None
    """Set when the run's own backend could not even be built (no key) and a fallback
    runs the whole batch: the ``fallback_reason`` every result then carries."""

    @property
    def batches_async(self) -> bool:
        """Whether the async path sends several images per unit (see :class:`AsyncBatching`)."""
        return self.async_io and self.batch_size > 1 and isinstance(self.analyzer, AsyncBatching)

    @property
    def window(self) -> int:
        # In order, a slow head must not idle the workers behind it: keep twice as many queued.
        return self.concurrency * 2 if self.ordered else self.concurrency


@dataclass(frozen=True)
class Fallback:
    """Where an image goes when the run's backend cannot answer it (``docs/fallback.md``).

    ``chain`` is tried in order for an image whose error justifies it (a service
    failure after retries), by :func:`visionkit.fallback.recover`; any other
    error stays the image's. ``options`` are the run's backend's, and ``cache``
    the run's cache setting, applied to each fallback as ``analyze`` would.
    """

    backend: str
    chain: tuple[str, ...]
    options: Mapping[str, Any]
    cache: CacheArg = None

    def recover(
        self, image: ImageInput, features: frozenset[Feature], error: VisionKitError
    ) -> BatchItemOutcome:
        try:
            return recover(
                image,
                features,
                backend=self.backend,
                error=error,
                fallback=self.chain,
                options=dict(self.options),
                cache=self.cache,
            )
        except VisionKitError as exc:
            return exc

    async def recover_async(
        self, image: ImageInput, features: frozenset[Feature], error: VisionKitError
    ) -> BatchItemOutcome:
        try:
            return await recover_async(
                image,
                features,
                backend=self.backend,
                error=error,
                fallback=self.chain,
                options=dict(self.options),
                cache=self.cache,
            )
        except VisionKitError as exc:
            return exc


async def run(plan: Plan, images: Images, stats: BatchStats) -> AsyncGenerator[BatchItem]:
    """Analyse ``images`` as ``plan`` says, yielding one :class:`BatchItem` per input."""
    started = time.perf_counter()
    batches_async = plan.batches_async  # an isinstance against a Protocol: once, not per unit
    unit_size = 1 if plan.async_io and not batches_async else plan.batch_size
    executor = None if plan.async_io else ThreadPoolExecutor(plan.concurrency, "visionkit-batch")
    semaphore = asyncio.Semaphore(plan.concurrency)
    pending: deque[asyncio.Task[list[BatchItem]]] = deque()

    async def work(unit: _Unit) -> list[BatchItem]:
        if executor is None:
            async with semaphore:
                if batches_async:
                    return await _unit_async(plan, unit)
                return [await _one_async(plan, *unit[0])]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, _unit_in_thread, plan, unit)

    def finished(items: list[BatchItem]) -> list[BatchItem]:
        if plan.answered_instead is not None:
            items = [_instead(item, plan.answered_instead) for item in items]
        for item in items:
            if item.error is not None and isinstance(item.error, FATAL_ERRORS):
                raise item.error
            stats.add(item)
        if plan.limiter is not None:
            stats.requests = plan.limiter.stats.requests
            stats.throttled = plan.limiter.stats.throttled
        stats.elapsed_s = time.perf_counter() - started
        return items

    async def next_done() -> list[BatchItem]:
        if plan.ordered:
            return finished(await pending.popleft())
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        task = next(iter(done))
        pending.remove(task)
        return finished(task.result())

    broken: list[Exception] = []  # what the input iterable raised, if it did
    try:
        async with contextlib.aclosing(_units(images, unit_size, broken)) as units:
            async for unit in units:
                pending.append(asyncio.create_task(work(unit)))
                while len(pending) >= plan.window:
                    for item in await next_done():
                        yield item
        while pending:
            for item in await next_done():
                yield item
        if broken:  # every input taken before it broke has had its item: now the caller's error
            raise broken[0]
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if executor is not None:
            # Wait for the batch a worker is in, without blocking the loop meanwhile.
            stop = functools.partial(executor.shutdown, wait=True, cancel_futures=True)
            await asyncio.get_running_loop().run_in_executor(None, stop)
        stats.elapsed_s = time.perf_counter() - started


async def _units(images: Images, size: int, broken: list[Exception]) -> AsyncGenerator[_Unit]:
    """The input stream, numbered and cut into lists of ``size``.

    An exception from the iterable itself (a generator whose source broke, a
    ``__next__`` that raises) ends the stream: it is put in ``broken``, with a
    note saying how many inputs came before it, and the inputs already taken
    are still handed out, so their items are not lost with it. A generator
    cannot go on after raising, so neither does the stream.
    """
    unit: _Unit = []
    index = 0
    try:
        if isinstance(images, AsyncIterable):
            async for image in images:
                unit.append((index, image))
                index += 1
                if len(unit) == size:
                    yield unit
                    unit = []
        else:
            for image in images:
                unit.append((index, image))
                index += 1
                if len(unit) == size:
                    yield unit
                    unit = []
    except Exception as exc:
        exc.add_note(
            f"analyze_many: the images iterable raised this after {index} inputs; their "
            f"{index} items were yielded first, and no later input was read."
        )
        broken.append(exc)
    if unit:
        yield unit


async def _one_async(plan: Plan, index: int, image: ImageInput) -> BatchItem:
    key, hit, image_to_use = None, None, image
    if plan.cache is not None:  # hashing and SQLite block: off the loop, but only when needed
        key, hit, image_to_use = await asyncio.to_thread(_lookup, plan, image)
    if hit is not None:
        return BatchItem(image, index, result=hit, cached=True)
    try:
        result = await plan.analyzer.analyze_async(image_to_use, plan.features)
    except VisionKitError as exc:
        if plan.fallback is not None:
            return _item(image, index, await plan.fallback.recover_async(image, plan.features, exc))
        return BatchItem(image, index, error=exc)
    except Exception as exc:
        return BatchItem(image, index, error=_unexpected(image, exc))
    if key is not None:
        await asyncio.to_thread(_store, plan, key, result)
    return BatchItem(image, index, result=result)


_Miss: TypeAlias = tuple[int, ImageInput, ImageInput, str | None]
"""An image the cache did not have: its index, the input, what to analyse, its cache key."""


async def _unit_async(plan: Plan, unit: _Unit) -> list[BatchItem]:
    """:func:`_unit_in_thread` on the event loop: one awaited batch request for the misses."""
    blocking = plan.cache is not None  # hashing and SQLite block: off the loop when used
    if blocking:
        items, misses = await asyncio.to_thread(_lookups, plan, unit)
    else:
        items, misses = _lookups(plan, unit)
    if misses:
        outcomes = await _analyze_batch_async(plan, [m[2] for m in misses])
        if blocking:
            failed = await asyncio.to_thread(_settle, plan, items, misses, outcomes)
        else:
            failed = _settle(plan, items, misses, outcomes)
        for index, image, error in failed:
            assert plan.fallback is not None
            recovered = await plan.fallback.recover_async(image, plan.features, error)
            items[index] = _item(image, index, recovered)
    return [items[index] for index, _ in unit]


def _unit_in_thread(plan: Plan, unit: _Unit) -> list[BatchItem]:
    """Cache lookups, one :meth:`analyze_batch` call for the misses, cache writes."""
    items, misses = _lookups(plan, unit)
    if misses:
        outcomes = _analyze_batch(plan, [m[2] for m in misses])
        for index, image, error in _settle(plan, items, misses, outcomes):
            assert plan.fallback is not None
            items[index] = _item(image, index, plan.fallback.recover(image, plan.features, error))
    return [items[index] for index, _ in unit]


def _lookups(plan: Plan, unit: _Unit) -> tuple[dict[int, BatchItem], list[_Miss]]:
    """The unit's cache hits as finished items, and the images still to analyse."""
    items: dict[int, BatchItem] = {}
    misses: list[_Miss] = []
    for index, image in unit:
        key, hit, image_to_use = _lookup(plan, image)
        if hit is not None:
            items[index] = BatchItem(image, index, result=hit, cached=True)
        else:
            misses.append((index, image, image_to_use, key))
    return items, misses


def _settle(
    plan: Plan,
    items: dict[int, BatchItem],
    misses: Sequence[_Miss],
    outcomes: Sequence[BatchItemOutcome],
) -> list[tuple[int, ImageInput, VisionKitError]]:
    """Store and record each miss's outcome; return the failures a fallback should answer."""
    failed: list[tuple[int, ImageInput, VisionKitError]] = []
    for (index, image, _, key), outcome in zip(misses, outcomes, strict=True):
        if isinstance(outcome, AnalysisResult):
            if key is not None:
                _store(plan, key, outcome)
            items[index] = BatchItem(image, index, result=outcome)
        elif plan.fallback is not None:
            failed.append((index, image, outcome))
        else:
            items[index] = BatchItem(image, index, error=outcome)
    return failed


def _instead(item: BatchItem, reason: str) -> BatchItem:
    if item.result is None or item.result.fallback_reason is not None:
        return item
    return dataclasses.replace(
        item, result=dataclasses.replace(item.result, fallback_reason=reason)
    )


def _item(image: ImageInput, index: int, outcome: BatchItemOutcome) -> BatchItem:
    if isinstance(outcome, AnalysisResult):
        return BatchItem(image, index, result=outcome)
    return BatchItem(image, index, error=outcome)


_ONE_IMAGES_DOING: tuple[type[VisionKitError], ...] = (BackendTimeoutError, InvalidImageError)
"""Whole-request errors that one image of a request can cause: a request too big to
finish within the deadline, or one the service refused for an image in it. The
request's other images are then sent alone. Every other error of a whole request
(a throttle, a service that is down after its retries, a bad key, an answer of the
wrong shape) says something about the service or the run, which each image sent
alone would only meet again, at up to 16 times the load."""


def _one_images_doing(exc: VisionKitError) -> bool:
    return isinstance(exc, _ONE_IMAGES_DOING)


def _log_alone(plan: Plan, exc: VisionKitError, count: int) -> None:
    logger.info(
        "A %s request for %d images failed as a whole (%s); sending each image alone so "
        "that only the one that caused it fails.",
        plan.analyzer.name,
        count,
        type(exc).__name__,
    )


def _analyze_batch(
    plan: Plan, images: Sequence[ImageInput]
) -> list[AnalysisResult | VisionKitError]:
    """One stacked call; if it breaks as a whole, each image alone, so only the culprit fails.

    ``analyze_batch`` returns errors in place of failed images, but a bug or a
    hostile input can still make the whole call raise something unexpected.
    Losing 63 good results to one bad file is what a batch must never do, so
    the images are then analysed one by one and each keeps its own outcome. So
    are they when the whole request fails in a way one image can cause
    (:data:`_ONE_IMAGES_DOING`: a timeout, a refused image), since a request of 16
    images would otherwise share the fate of its worst one. Any other verdict on
    the whole request is the service's or the run's, and kept for every image.
    """
    try:
        outcomes = plan.analyzer.analyze_batch(images, plan.features)
    except VisionKitError as exc:  # the backend's own verdict on the whole batch
        if len(images) == 1 or not _one_images_doing(exc):
            return [exc] * len(images)
        _log_alone(plan, exc, len(images))
        return _each_alone(plan, images)
    except Exception as exc:
        if len(images) > 1:
            return _each_alone(plan, images)
        return [_unexpected(images[0], exc)]
    return _checked(plan, images, outcomes)


def _each_alone(plan: Plan, images: Sequence[ImageInput]) -> list[BatchItemOutcome]:
    return [outcome for image in images for outcome in _analyze_batch(plan, [image])]


async def _analyze_batch_async(
    plan: Plan, images: Sequence[ImageInput]
) -> list[AnalysisResult | VisionKitError]:
    """:func:`_analyze_batch` awaited: the whole request's verdict, or each image alone."""
    analyzer = plan.analyzer
    assert isinstance(analyzer, AsyncBatching)
    try:
        outcomes = await analyzer.analyze_batch_async(images, plan.features)
    except VisionKitError as exc:  # the backend's own verdict on the whole batch
        if len(images) == 1 or not _one_images_doing(exc):
            return [exc] * len(images)
        _log_alone(plan, exc, len(images))
        return await _each_alone_async(plan, images)
    except Exception as exc:
        if len(images) > 1:
            return await _each_alone_async(plan, images)
        return [_unexpected(images[0], exc)]
    return _checked(plan, images, outcomes)


async def _each_alone_async(plan: Plan, images: Sequence[ImageInput]) -> list[BatchItemOutcome]:
    """Each image in a request of its own, all at once: a unit then costs at most two
    deadlines (the failed request, then the slowest image alone), not one per image."""
    alone = await asyncio.gather(*(_analyze_batch_async(plan, [image]) for image in images))
    return [outcome for outcomes in alone for outcome in outcomes]


def _checked(
    plan: Plan, images: Sequence[ImageInput], outcomes: list[AnalysisResult | VisionKitError]
) -> list[AnalysisResult | VisionKitError]:
    """``outcomes``, unless the backend broke its one-outcome-per-image promise."""
    if len(outcomes) != len(images):
        error = UnexpectedError(
            f"The {plan.analyzer.name!r} backend's analyze_batch returned {len(outcomes)} "
            f"outcomes for {len(images)} images; this is a bug in the backend."
        )
        return [error] * len(images)
    return outcomes


def _lookup(plan: Plan, image: ImageInput) -> tuple[str | None, AnalysisResult | None, ImageInput]:
    """The cache key, the cached result if any, and the input to analyse on a miss.

    Never raises: an input that cannot be hashed is simply not cached, and the
    analyzer then reports whatever is wrong with it, with the proper message.
    """
    if plan.cache is None:
        return None, None, image
    try:
        digest, image_to_use = image_digest(image)
    except Exception as exc:
        shown, name = describe_input(image), type(exc).__name__
        logger.warning("Not caching %s: hashing it raised %s: %s", shown, name, exc)
        return None, None, image
    if digest is None:
        return None, None, image_to_use
    key = cache_key(
        digest,
        backend=plan.analyzer.name,
        options=plan.analyzer.options,
        features=plan.features,
    )
    return key, plan.cache.get(key), image_to_use


def _store(plan: Plan, key: str, result: AnalysisResult) -> None:
    """Fill the cache; a result that cannot be stored is only logged, never an error."""
    if plan.cache is None:
        return
    try:
        plan.cache.put(key, result)
    except Exception as exc:
        logger.warning("Not caching a %s result: %s: %s", result.backend, type(exc).__name__, exc)


def _unexpected(image: Any, exc: Exception) -> UnexpectedError:
    # describe_input: a URL's password or signature must not reach the log or the message.
    shown, text = describe_input(image), str(exc)
    if isinstance(image, str) and image in text:
        text = text.replace(image, shown)
    logger.error("Unexpected %s while analysing %s", type(exc).__name__, shown, exc_info=exc)
    error = UnexpectedError(
        f"Analysing this image raised {type(exc).__name__}: {text}. This is a bug; please "
        f"report it with the image if you can. The rest of the batch went on."
    )
    error.__cause__ = exc
    return error


__all__ = ["AsyncBatching", "Images", "Plan", "run"]

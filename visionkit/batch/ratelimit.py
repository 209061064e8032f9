"""A client-side rate limiter that learns from 429s, and the httpx transport that applies it.

Retrying a 429 only treats the symptom: with 64 requests in flight against a
quota of 10 a second, every retry lands in the same full window and the
service keeps refusing. So the limiter paces requests *before* they leave
(a token bucket at the configured rate) and, when the service still answers
429, slows itself down (halves its rate, honours ``Retry-After`` for every
request, not just the refused one) and creeps back up on success: the AIMD
rule TCP uses to share a link, applied to a quota.

The limiter sits in an httpx transport (:class:`RateLimitedTransport`) rather
than in the batch runner because that is the one place that sees every HTTP
call, including the retries of the shared retry loop and the polls of a Read
operation, all of which count against a vendor's quota.

Time is read and spent through a :class:`~visionkit.backends.http.Clock`, so
tests use a :class:`~visionkit.backends.http.ManualClock` and never sleep.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field

import httpx

from visionkit.backends.http import Clock, SystemClock, parse_retry_after
from visionkit.errors import ConfigError

logger = logging.getLogger("visionkit.batch")

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([a-z]+?)s?)?\s*$")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``calls`` requests every ``per_s`` seconds, sent at most ``burst`` at once.

    The default burst of 1 spaces requests evenly, the shape least likely to
    trip a quota that a service counts over windows shorter than ``per_s``.
    """

    calls: float
    per_s: float = 1.0
    burst: int = 1

    def __post_init__(self) -> None:
        if not (self.calls > 0 and self.per_s > 0 and math.isfinite(self.calls / self.per_s)):
            raise ConfigError(
                f"A rate limit needs a positive rate, got {self.calls}/{self.per_s}s."
            )
        if self.burst < 1:
            raise ConfigError(f"A rate limit's burst must be at least 1, got {self.burst}.")

    @property
    def per_second(self) -> float:
        return self.calls / self.per_s

    def __str__(self) -> str:
        if self.per_s == 60.0:
            return f"{self.calls:g}/min"
        return f"{self.per_second:g}/s"


PRESETS: dict[str, RateLimit] = {
    "f0": RateLimit(20, 60.0),
    "free": RateLimit(20, 60.0),
    "s1": RateLimit(10, 1.0),
    "standard": RateLimit(10, 1.0),
    "google": RateLimit(1800, 60.0),
}
"""Published default quotas. Azure Computer Vision's tiers: free (F0) 20 calls a
minute, standard (S1) 10 calls a second. Google Cloud Vision: 1,800 requests a
minute per project (its quotas page). AWS Rekognition has no preset: its
transactions-per-second quotas differ by region, operation and account (see
the Service Quotas console), so give ``rate=`` your own number."""


def parse_rate(text: str | float | RateLimit) -> RateLimit:
    """Read a rate as typed on a command line: ``10/s``, ``20/min``, ``1.5``, ``free``, ``S1``.

    A bare number means calls per second. Preset names are the services'
    published default quotas (:data:`PRESETS`).
    """
    if isinstance(text, RateLimit):
        return text
    if isinstance(text, int | float) and not isinstance(text, bool):
        return RateLimit(float(text))
    if not isinstance(text, str):
        raise ConfigError(f"A rate is a string such as '10/s', got {type(text).__name__}.")
    preset = PRESETS.get(text.strip().lower())
    if preset is not None:
        return preset
    match = _RATE.match(text.lower())
    unit = match.group(2) if match else None
    if match is None or (unit is not None and unit not in _UNITS):
        raise ConfigError(
            f"Cannot read the rate {text!r}. Write calls per unit (10/s, 20/min, 500/hour), "
            f"a number of calls per second, or a preset: {', '.join(sorted(PRESETS))}."
        )
    return RateLimit(float(match.group(1)), _UNITS[unit] if unit else 1.0)


@dataclass
class LimiterStats:
    """What the limiter saw: every request it let through, and how the service answered."""

    requests: int = 0
    throttled: int = 0
    slowdowns: int = 0
    waited_s: float = 0.0


class TokenBucket:
    """Tokens accrue at ``rate`` per second up to ``burst``; each request takes one.

    A request that finds the bucket empty *reserves* a future token (the
    count goes negative) and is told how long to wait for it. Reserving
    instead of polling means waiters are served in arrival order, no thread
    or task spins, and sync and async callers share one bucket.
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = clock.now()

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self._refill(self._clock.now())
            self._rate = rate

    def reserve(self) -> float:
        """Take one token; return how many seconds to wait before using it (0 if ready)."""
        with self._lock:
            now = self._clock.now()
            self._refill(now)
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    def refund(self) -> None:
        """Give back a token reserved by a request that gave up waiting for it.

        A waiter cancelled at its deadline would otherwise leave its reservation
        behind, and every later request would queue behind tokens no one uses.
        """
        with self._lock:
            self._refill(self._clock.now())
            self._tokens = min(self._burst, self._tokens + 1.0)

    def block_for(self, seconds: float) -> None:
        """Hand out no token for ``seconds`` from now (a service's ``Retry-After``)."""
        with self._lock:
            self._refill(self._clock.now())
            # The first token after the pause becomes available exactly ``seconds`` from now.
            self._tokens = min(self._tokens, 1.0 - seconds * self._rate)

    def _refill(self, now: float) -> None:
        if math.isfinite(self._rate):
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        else:
            self._tokens = max(self._tokens, self._burst)
        self._updated = now


@dataclass
class AdaptiveRateLimiter:
    """Paces requests to ``limit`` (or not at all when ``None``) and backs off on 429.

    On a 429 the rate is halved, never below ``min_per_second``, and a
    ``Retry-After`` pauses every request, not just the refused one. A
    slowdown takes a while to show: requests already paced at the old rate
    are still leaving, and the service's window has to drain. So 429s to
    requests sent before the slowdown had time to act (a second, or two
    intervals at the new rate if longer) do not halve the rate again; without
    that hold, one burst of 429s would halve it down to the floor. Each
    success adds back ``recovery`` of the ceiling, or with no ceiling of the
    rate at which the service last refused, so the rate climbs back linearly
    and a transient squeeze costs seconds, not the rest of the run. Without a
    configured limit the first 429 starts pacing at half the rate just observed.

    A 429 whose ``Retry-After`` is ``max_pause_s`` or more is the refused
    request's failure alone (it fails with that value, so the caller can wait):
    the others neither pause nor slow down for it. Requests queued behind such
    a pause, or behind a rate halved for it, would spend their whole deadline
    waiting and fail too, so one answer saying "come back in an hour" would
    cost every good image of the run; if the service means it, every request
    gets the same answer and fails at once with it. ``analyze_many`` sets
    ``max_pause_s`` to the backend's per-call ``deadline_s``. A request
    cancelled while it waits (at its deadline) gives its token back.
    """

    limit: RateLimit | None = None
    clock: Clock = field(default_factory=SystemClock)
    min_per_second: float = 1 / 60
    recovery: float = 0.02
    stats: LimiterStats = field(default_factory=LimiterStats)
    max_pause_s: float = math.inf

    def __post_init__(self) -> None:
        ceiling = self.limit.per_second if self.limit else math.inf
        burst = self.limit.burst if self.limit else 1
        self._ceiling = ceiling
        self._bucket = TokenBucket(ceiling, burst, clock=self.clock)
        self._lock = threading.Lock()
        self._hold_until = -math.inf  # 429s to requests sent before this do not slow down
        self._refused_at = math.inf  # the rate at the last slowdown: the step size with no ceiling
        self._recent: deque[float] = deque()  # send times in the last second, when unlimited

    @property
    def rate(self) -> float:
        """Requests per second allowed right now (``inf`` when not pacing)."""
        return self._bucket.rate

    def acquire(self) -> float:
        """Sleep until a request may go; return its send time, for :meth:`observe`."""
        wait = self._reserve()
        if wait > 0:
            try:
                self.clock.sleep(wait)
            except BaseException:
                self._give_up()
                raise
        return self.clock.now()

    async def acquire_async(self) -> float:
        """The awaitable twin of :meth:`acquire`."""
        wait = self._reserve()
        if wait > 0:
            try:
                await self.clock.asleep(wait)
            except BaseException:  # cancelled at the call's deadline: the token is not used
                self._give_up()
                raise
        return self.clock.now()

    def observe(self, sent_at: float, status: int, retry_after: float | None = None) -> None:
        """Learn from one answer: slow down on 429, recover a little on anything else."""
        with self._lock:
            if status != 429:
                self._recover()
                return
            self.stats.throttled += 1
            if retry_after is not None and retry_after >= self.max_pause_s:
                logger.info(
                    "HTTP 429 with Retry-After %.0fs, longer than the %gs a call may take: "
                    "that request fails with it; the others neither pause nor slow down",
                    retry_after,
                    self.max_pause_s,
                )
                return
            if sent_at >= self._hold_until:
                self._slow_down()
            if retry_after:
                self._bucket.block_for(retry_after)

    def _give_up(self) -> None:
        self._bucket.refund()
        with self._lock:
            self.stats.requests -= 1  # it never left

    def _reserve(self) -> float:
        wait = self._bucket.reserve()
        with self._lock:
            self.stats.requests += 1
            self.stats.waited_s += wait
            if not math.isfinite(self._bucket.rate):
                now = self.clock.now()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                self._recent.append(now)
        return wait

    def _slow_down(self) -> None:
        current = self._bucket.rate
        if not math.isfinite(current):
            current = max(len(self._recent), 1) / 1.0
        new = max(current / 2, self.min_per_second)
        self._bucket.set_rate(new)
        self._refused_at = current
        self._hold_until = self.clock.now() + max(1.0, 2.0 / new)
        self.stats.slowdowns += 1
        logger.info("HTTP 429: pacing requests at %.2f/s (was %.2f/s)", new, current)

    def _recover(self) -> None:
        current = self._bucket.rate
        if current >= self._ceiling:
            return
        step = (self._ceiling if math.isfinite(self._ceiling) else self._refused_at) * self.recovery
        self._bucket.set_rate(min(self._ceiling, current + step))


class RateLimitedTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Wraps an httpx transport so every request waits for the limiter and reports back.

    One instance serves a sync and an async client alike, which is what
    backends taking a single ``transport=`` need. Closing it closes the
    wrapped transports.
    """

    def __init__(
        self,
        limiter: AdaptiveRateLimiter,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sync_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limiter = limiter
        self._async = transport or httpx.AsyncHTTPTransport()
        self._sync = sync_transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._sync is None:
            self._sync = httpx.HTTPTransport()
        sent_at = self.limiter.acquire()
        response = self._sync.handle_request(request)
        self._observe(sent_at, response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent_at = await self.limiter.acquire_async()
        response = await self._async.handle_async_request(request)
        self._observe(sent_at, response)
        return response

    def _observe(self, sent_at: float, response: httpx.Response) -> None:
        advised = parse_retry_after(response.headers.get("Retry-After"))
        self.limiter.observe(sent_at, response.status_code, advised)

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        self.close()
        await self._async.aclose()


__all__ = [
    "PRESETS",
    "AdaptiveRateLimiter",
    "LimiterStats",
    "RateLimit",
    "RateLimitedTransport",
    "TokenBucket",
    "parse_rate",
]

"""The one retry loop every cloud backend sends its requests through.

Whether to try again is the same question for every vendor, so it is answered
once, here, from the HTTP status and the transport error alone:

* 429 means "later": wait as long as ``Retry-After`` says (seconds or an HTTP
  date), or back off when the service gives no advice;
* 500, 502, 503, 504, dropped connections and timeouts are usually transient:
  back off exponentially with full jitter, so that many clients throttled at
  the same moment do not come back at the same moment;
* every other 4xx is the caller's mistake, and retrying it would only bill it
  again, so it is returned at once.

Two caps bound the loop: a number of retries and a total time budget. A wait
that would overrun the budget is not started; the last answer is returned
instead (or the last transport error re-raised), so the backend can turn it
into a :class:`~visionkit.errors.RateLimitError` or
:class:`~visionkit.errors.BackendUnavailableError` that says what happened.

Time is read and spent only through a :class:`Clock`, so tests inject a fake
one and never sleep. Each retry is logged on the ``visionkit.backends.http``
logger with the method, the URL without its query string, the reason and the
delay, and nothing else: headers (where keys live) are never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

logger = logging.getLogger("visionkit.backends.http")

RETRYABLE_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another attempt: throttling and the server-side failures that pass."""

RETRYABLE_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
"""Transport failures worth another attempt: timeouts, refused or dropped connections."""


class Clock(Protocol):
    """Where the loop reads the time and waits; a fake one makes tests instant."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`time.sleep`, :func:`asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when slept on, and remembers every wait.

    For tests of anything that retries or polls: no test ever really sleeps,
    and the waits themselves can be asserted.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: ``max_retries`` more attempts within ``max_retry_time_s`` seconds.

    Backoff before retry *n* (0-based) is uniform in
    ``[0, min(backoff_max_s, backoff_base_s * 2**n)]`` ("full jitter").
    ``Retry-After`` replaces the backoff when the service sends it.
    """

    max_retries: int = 3
    max_retry_time_s: float = 60.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    retry_when: Callable[[httpx.Response], bool] | None = None
    """A vendor's own rule, replacing ``retry_statuses``, for services whose status alone
    does not tell (AWS throttles with HTTP 400 and an error code in the body)."""

    def retryable(self, response: httpx.Response) -> bool:
        if self.retry_when is not None:
            return self.retry_when(response)
        return response.status_code in self.retry_statuses

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        for name in ("max_retry_time_s", "backoff_base_s", "backoff_max_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number ``retry`` (0-based), ``jitter`` drawn from [0, 1)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0**retry)
        return jitter * ceiling


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Returns ``None`` when the header is absent or unreadable, and never a
    negative number (a date in the past means "now").
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


class Retrier:
    """Sends one request through a client, retrying as :class:`RetryPolicy` allows.

    The request is built once and re-sent as is, so its body must be bytes
    (not a stream); every backend here sends bytes. The final response is
    returned whatever its status: mapping it to an error is the backend's job.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        clock: Clock | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self._jitter = jitter

    def send(
        self, client: httpx.Client, request: httpx.Request, *, auth: httpx.Auth | None = None
    ) -> httpx.Response:
        """Send ``request``, retrying throttling and transient failures; sync.

        ``auth`` runs again on every attempt, so a signature that covers the
        time (AWS SigV4) is fresh on each retry.
        """
        started = self.clock.now()
        retry = 0
        while True:
            try:
                response = client.send(request) if auth is None else client.send(request, auth=auth)
            except RETRYABLE_ERRORS as exc:
                delay = self._delay(request, retry, started, error=exc)
                if delay is None:
                    raise
            else:
                delay = self._delay(request, retry, started, response=response)
                if delay is None:
                    return response
                response.close()
            self.clock.sleep(delay)
            retry += 1

    async def asend(
        self, client: httpx.AsyncClient, request: httpx.Request, *, auth: httpx.Auth | None = None
    ) -> httpx.Response:
        """The awaitable twin of :meth:`send`."""
        started = self.clock.now()
        retry = 0
        while True:
            try:
                response = (
                    await client.send(request)
                    if auth is None
                    else await client.send(request, auth=auth)
                )
            except RETRYABLE_ERRORS as exc:
                delay = self._delay(request, retry, started, error=exc)
                if delay is None:
                    raise
            else:
                delay = self._delay(request, retry, started, response=response)
                if delay is None:
                    return response
                await response.aclose()
            await self.clock.asleep(delay)
            retry += 1

    def _delay(
        self,
        request: httpx.Request,
        retry: int,
        started: float,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to stop here."""
        if response is not None and not self.policy.retryable(response):
            return None
        if response is not None:
            reason = f"HTTP {response.status_code}"
            advised = parse_retry_after(response.headers.get("Retry-After"))
        else:
            reason = type(error).__name__
            advised = None
        target = f"{request.method} {request.url.copy_with(query=None)}"
        if retry >= self.policy.max_retries:
            if self.policy.max_retries:
                logger.warning(
                    "%s failed with %s after %d retries; giving up",
                    target,
                    reason,
                    retry,
                )
            return None
        delay = advised if advised is not None else self.policy.backoff(retry, self._jitter())
        elapsed = self.clock.now() - started
        if elapsed + delay > self.policy.max_retry_time_s:
            logger.warning(
                "%s failed with %s; a %.2fs wait would exceed the %.1fs retry budget; giving up",
                target,
                reason,
                delay,
                self.policy.max_retry_time_s,
            )
            return None
        logger.info(
            "%s failed with %s; retry %d of %d in %.2fs%s",
            target,
            reason,
            retry + 1,
            self.policy.max_retries,
            delay,
            " (as Retry-After asked)" if advised is not None else "",
        )
        return delay


__all__ = [
    "RETRYABLE_ERRORS",
    "RETRYABLE_STATUSES",
    "Clock",
    "ManualClock",
    "Retrier",
    "RetryPolicy",
    "SystemClock",
    "parse_retry_after",
]

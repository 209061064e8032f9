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
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

from visionkit.backends.http.limits import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadContentEncoding,
    Deadline,
    DeadlineExceeded,
    ResponseTooLarge,
    aread_bounded,
    read_bounded,
)

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


MAX_RETRY_AFTER_S = 86_400.0
"""Longest Retry-After taken at its word (a day); larger ones, or later dates, are capped."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Returns ``None`` when the header is absent or malformed (``NaN``,
    ``inf``, text that is no date), and never a negative
    number (a date in the past means "now"). A value beyond
    :data:`MAX_RETRY_AFTER_S` is capped there. The caller's deadline caps it
    further: :class:`Retrier` never starts a wait it cannot finish in time.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now or datetime.now(UTC)
        delta = (when - current).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(delta, 0.0), MAX_RETRY_AFTER_S)


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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self.clock: Clock = clock or SystemClock()
        self._jitter = jitter

    def send(
        self,
        client: httpx.Client,
        request: httpx.Request,
        deadline: Deadline | None = None,
        *,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """Send ``request``, retrying throttling and transient failures; sync.

        The response comes back fully read (within the size cap); with a
        ``deadline`` no attempt, wait or read outlives it. ``auth`` runs again on
        every attempt, so a signature that covers the time (AWS SigV4) is fresh
        on each retry.
        """
        started = self.clock.now()
        retry = 0
        while True:
            try:
                self._arm(request, deadline)
                if auth is None:
                    streamed = client.send(request, stream=True)
                else:
                    streamed = client.send(request, stream=True, auth=auth)
                response = read_bounded(streamed, self._deadline(deadline), self.max_response_bytes)
            except (DeadlineExceeded, ResponseTooLarge, BadContentEncoding):
                raise
            except RETRYABLE_ERRORS as exc:
                if deadline is not None and deadline.expired():
                    raise deadline.exceeded("The request", request) from exc
                delay = self._delay(request, retry, started, error=exc, deadline=deadline)
                if delay is None:
                    raise
            else:
                delay = self._delay(request, retry, started, response=response, deadline=deadline)
                if delay is None:
                    return response
            self.clock.sleep(delay)
            retry += 1

    async def asend(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        deadline: Deadline | None = None,
        *,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """The awaitable twin of :meth:`send`."""
        started = self.clock.now()
        retry = 0
        while True:
            try:
                self._arm(request, deadline)
                response = await self._attempt_async(client, request, deadline, auth)
            except (DeadlineExceeded, ResponseTooLarge, BadContentEncoding):
                raise
            except RETRYABLE_ERRORS as exc:
                if deadline is not None and deadline.expired():
                    raise deadline.exceeded("The request", request) from exc
                delay = self._delay(request, retry, started, error=exc, deadline=deadline)
                if delay is None:
                    raise
            else:
                delay = self._delay(request, retry, started, response=response, deadline=deadline)
                if delay is None:
                    return response
            await self.clock.asleep(delay)
            retry += 1

    async def _attempt_async(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        deadline: Deadline | None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        bound = self._deadline(deadline)
        remaining = bound.remaining()
        try:
            async with asyncio.timeout(remaining if deadline is not None else None):
                if auth is None:
                    streamed = await client.send(request, stream=True)
                else:
                    streamed = await client.send(request, stream=True, auth=auth)
                return await aread_bounded(streamed, bound, self.max_response_bytes)
        except TimeoutError:
            raise bound.exceeded("The request", request) from None

    def _deadline(self, deadline: Deadline | None) -> Deadline:
        return deadline if deadline is not None else Deadline(self.clock, math.inf)

    def _arm(self, request: httpx.Request, deadline: Deadline | None) -> None:
        """Give this attempt at most the time left: httpx's timeouts cap each operation."""
        if deadline is None:
            return
        remaining = deadline.remaining()
        if remaining <= 0:
            raise deadline.exceeded("The request", request)
        timeouts = dict(request.extensions.get("timeout") or {})
        for phase in ("connect", "read", "write", "pool"):
            current = timeouts.get(phase)
            timeouts[phase] = remaining if current is None else min(current, remaining)
        request.extensions = {**request.extensions, "timeout": timeouts}
        # Bodies are decoded under the size cap here, so ask only for what can be.
        request.headers["Accept-Encoding"] = "gzip, deflate"

    def _delay(
        self,
        request: httpx.Request,
        retry: int,
        started: float,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        deadline: Deadline | None = None,
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
        if deadline is not None and delay >= deadline.remaining():
            logger.warning(
                "%s failed with %s; a %.2fs wait would pass the call's %gs deadline; giving up",
                target,
                reason,
                delay,
                deadline.seconds,
            )
            return None
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
    "MAX_RETRY_AFTER_S",
    "RETRYABLE_ERRORS",
    "RETRYABLE_STATUSES",
    "Clock",
    "ManualClock",
    "Retrier",
    "RetryPolicy",
    "SystemClock",
    "parse_retry_after",
]

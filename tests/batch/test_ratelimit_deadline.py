"""The rate limiter next to per-call deadlines: what a batch must not pay for one bad answer.

A request waits for the limiter inside its call's deadline, so anything the limiter
makes every request wait for (a shared pause, a halved rate, tokens nobody uses) can
fail good images that the service would have answered. Tests run on a ManualClock.
"""

from __future__ import annotations

import asyncio

import pytest

from visionkit.backends.http import ManualClock
from visionkit.batch.ratelimit import AdaptiveRateLimiter, RateLimit, TokenBucket


def test_a_retry_after_no_call_could_sit_out_neither_pauses_nor_slows_the_others():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(100), clock=clock, max_pause_s=30.0)
    limiter.observe(limiter.acquire(), 429, retry_after=3600.0)
    assert limiter.stats.throttled == 1 and limiter.stats.slowdowns == 0
    assert limiter.rate == pytest.approx(100.0)
    clock.sleep(0.01)  # the next token at 100/s
    limiter.acquire()
    assert clock.sleeps == pytest.approx([0.01])  # no pause of an hour


def test_a_retry_after_within_the_deadline_still_pauses_everyone():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(100), clock=clock, max_pause_s=30.0)
    limiter.observe(limiter.acquire(), 429, retry_after=5.0)
    limiter.acquire()
    assert clock.sleeps == pytest.approx([5.0])
    assert limiter.stats.slowdowns == 1


def test_without_a_deadline_every_retry_after_pauses_everyone_as_before():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(100), clock=clock)
    limiter.observe(limiter.acquire(), 429, retry_after=3600.0)
    limiter.acquire()
    assert clock.sleeps == pytest.approx([3600.0])


def test_a_refunded_token_is_handed_out_again():
    clock = ManualClock()
    bucket = TokenBucket(10.0, burst=1, clock=clock)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.1)
    bucket.refund()  # the second waiter gave up
    assert bucket.reserve() == pytest.approx(0.1)


class _CancelledSleep(ManualClock):
    """A clock whose async sleeps are cancelled, as a call's deadline cancels its wait."""

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        raise asyncio.CancelledError


async def test_a_waiter_cancelled_at_its_deadline_leaves_no_debt_behind():
    clock = _CancelledSleep()
    limiter = AdaptiveRateLimiter(RateLimit(1), clock=clock)
    await limiter.acquire_async()  # the one token there is
    for _ in range(10):  # ten calls time out waiting for the next one
        with pytest.raises(asyncio.CancelledError):
            await limiter.acquire_async()
    assert clock.sleeps == pytest.approx([1.0] * 10)  # each waited for the same, next token
    assert limiter.stats.requests == 1  # only the one that left counts

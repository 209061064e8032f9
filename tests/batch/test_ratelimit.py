"""The token bucket, the adaptive limiter and the transport, on a clock that never sleeps."""

from __future__ import annotations

import math

import httpx
import pytest

from visionkit.backends.http import ManualClock
from visionkit.batch.ratelimit import (
    AdaptiveRateLimiter,
    RateLimit,
    RateLimitedTransport,
    TokenBucket,
    parse_rate,
)
from visionkit.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("10/s", 10.0),
        ("10 / sec", 10.0),
        ("20/min", 20 / 60),
        ("20/minute", 20 / 60),
        ("600/m", 10.0),
        ("3600/hour", 1.0),
        ("2.5", 2.5),
        ("free", 20 / 60),
        ("F0", 20 / 60),
        ("S1", 10.0),
        ("standard", 10.0),
    ],
)
def test_parse_rate_reads_units_numbers_and_azure_tiers(text, per_second):
    assert parse_rate(text).per_second == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "fast", "10/fortnight", "-1/s", "0/s", "10/s/s"])
def test_parse_rate_rejects_what_it_cannot_read_with_the_accepted_forms(text):
    with pytest.raises(ConfigError, match=r"10/s|positive rate"):
        parse_rate(text)


def test_rate_limit_prints_the_way_it_is_written():
    assert str(parse_rate("20/min")) == "20/min"
    assert str(parse_rate("10/s")) == "10/s"


def test_bucket_spaces_requests_at_the_rate_after_the_burst():
    clock = ManualClock()
    bucket = TokenBucket(10.0, burst=2, clock=clock)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3])


def test_bucket_refills_with_time_but_never_beyond_the_burst():
    clock = ManualClock()
    bucket = TokenBucket(1.0, burst=1, clock=clock)
    assert bucket.reserve() == 0.0
    clock.sleep(100.0)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(1.0)


def test_bucket_block_for_holds_every_token_back():
    clock = ManualClock()
    bucket = TokenBucket(10.0, burst=1, clock=clock)
    bucket.block_for(2.0)
    assert bucket.reserve() == pytest.approx(2.0)
    assert bucket.reserve() == pytest.approx(2.1)


def test_limiter_paces_sync_callers_on_its_clock():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(4), clock=clock)
    for _ in range(5):
        limiter.acquire()
    assert clock.sleeps == pytest.approx([0.25, 0.25, 0.25, 0.25])
    assert limiter.stats.requests == 5


async def test_limiter_paces_async_callers_on_its_clock():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(parse_rate("free"), clock=clock)
    for _ in range(3):
        await limiter.acquire_async()
    assert clock.sleeps == pytest.approx([3.0, 3.0])


def test_a_429_halves_the_rate_and_success_recovers_it_to_the_ceiling():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(10), clock=clock, recovery=0.1)
    sent = limiter.acquire()
    limiter.observe(sent, 429)
    assert limiter.rate == pytest.approx(5.0)
    assert limiter.stats.throttled == 1 and limiter.stats.slowdowns == 1
    for _ in range(4):
        limiter.observe(limiter.acquire(), 200)
    assert limiter.rate == pytest.approx(9.0)
    for _ in range(10):
        limiter.observe(limiter.acquire(), 200)
    assert limiter.rate == pytest.approx(10.0)


def test_429s_to_requests_sent_before_a_slowdown_could_act_do_not_slow_it_again():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(8), clock=clock)
    early = [limiter.acquire() for _ in range(3)]
    for sent in early:
        limiter.observe(sent, 429)
    assert limiter.rate == pytest.approx(4.0)
    assert limiter.stats.throttled == 3 and limiter.stats.slowdowns == 1
    # Paced at the new rate but inside the hold (1 s): the service's window is still full.
    within = [limiter.acquire() for _ in range(3)]
    for sent in within:
        limiter.observe(sent, 429)
    assert limiter.rate == pytest.approx(4.0)
    clock.sleep(1.0)
    limiter.observe(limiter.acquire(), 429)
    assert limiter.rate == pytest.approx(2.0) and limiter.stats.slowdowns == 2


def test_without_a_ceiling_recovery_is_linear_in_the_rate_that_was_refused():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(None, clock=clock, recovery=0.1)
    sent = [limiter.acquire() for _ in range(20)]
    limiter.observe(sent[-1], 429)
    assert limiter.rate == pytest.approx(10.0)
    for _ in range(3):
        limiter.observe(limiter.acquire(), 200)
    assert limiter.rate == pytest.approx(10.0 + 3 * 2.0)


def test_the_rate_never_drops_below_the_floor():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(1), clock=clock, min_per_second=0.4)
    for _ in range(5):
        limiter.observe(limiter.acquire(), 429)
    assert limiter.rate == pytest.approx(0.4)


def test_retry_after_pauses_every_request_not_only_the_refused_one():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(100), clock=clock)
    limiter.observe(limiter.acquire(), 429, retry_after=5.0)
    limiter.acquire()
    assert clock.sleeps == pytest.approx([5.0])


def test_without_a_limit_it_does_not_pace_until_throttled_then_starts_from_what_it_saw():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(None, clock=clock)
    assert math.isinf(limiter.rate)
    sent = [limiter.acquire() for _ in range(40)]
    assert clock.sleeps == []
    limiter.observe(sent[-1], 429)
    assert limiter.rate == pytest.approx(20.0)  # half the 40 requests of the last second


def _transport(limiter, statuses):
    answers = iter(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status, headers = next(answers)
        return httpx.Response(status, headers=headers)

    mock = httpx.MockTransport(handler)
    return RateLimitedTransport(limiter, transport=mock, sync_transport=mock)


async def test_transport_paces_async_requests_and_learns_from_answers():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(10), clock=clock)
    transport = _transport(limiter, [(200, {}), (429, {"Retry-After": "2"}), (200, {})])
    async with httpx.AsyncClient(transport=transport) as client:
        statuses = [(await client.get("https://svc.test/x")).status_code for _ in range(3)]
    assert statuses == [200, 429, 200]
    assert limiter.stats.requests == 3 and limiter.stats.throttled == 1
    assert limiter.rate == pytest.approx(5.0 + 10 * 0.02)
    assert clock.sleeps[-1] == pytest.approx(2.0)


def test_transport_serves_sync_clients_too():
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(RateLimit(2), clock=clock)
    transport = _transport(limiter, [(200, {}), (200, {})])
    with httpx.Client(transport=transport) as client:
        client.get("https://svc.test/a")
        client.get("https://svc.test/b")
    assert clock.sleeps == pytest.approx([0.5])


def test_the_google_preset_is_cloud_visions_default_quota():
    from visionkit.batch.ratelimit import parse_rate

    assert parse_rate("google").per_second == 1800 / 60

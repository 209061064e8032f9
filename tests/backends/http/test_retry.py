from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from visionkit.backends.http import Retrier, RetryPolicy, parse_retry_after

URL = "https://vision.example.test/analyze?visualFeatures=Tags"


def _request(client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
    return client.build_request("POST", URL, content=b"\xff\xd8image")


def _retrier(clock, **policy) -> Retrier:
    # jitter 1.0 makes the backoff the deterministic ceiling: 0.5, 1, 2, ...
    return Retrier(RetryPolicy(**policy), clock=clock, jitter=lambda: 1.0)


class TestParseRetryAfter:
    def test_seconds(self):
        assert parse_retry_after("7") == 7.0
        assert parse_retry_after(" 1.5 ") == 1.5

    def test_http_date_relative_to_now(self):
        now = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
        assert parse_retry_after("Sun, 29 Nov 2026 10:00:30 GMT", now=now) == 30.0

    def test_past_date_and_negative_seconds_mean_now(self):
        now = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
        assert parse_retry_after("Sun, 29 Nov 2026 09:00:00 GMT", now=now) == 0.0
        assert parse_retry_after("-3") == 0.0

    @pytest.mark.parametrize("value", [None, "", "soon", "Sun, 99 Foo"])
    def test_absent_or_unreadable(self, value):
        assert parse_retry_after(value) is None


class TestPolicy:
    def test_full_jitter_stays_under_a_capped_exponential_ceiling(self):
        policy = RetryPolicy(backoff_base_s=0.5, backoff_max_s=3.0)
        assert [policy.backoff(n, 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
        assert policy.backoff(2, 0.25) == 0.5
        assert policy.backoff(2, 0.0) == 0.0

    def test_rejects_negative_settings(self):
        with pytest.raises(ValueError, match="max_retries"):
            RetryPolicy(max_retries=-1)
        with pytest.raises(ValueError, match="backoff_base_s"):
            RetryPolicy(backoff_base_s=-0.1)


class TestSyncLoop:
    def test_429_honours_retry_after_seconds(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "4"}),
                httpx.Response(200, json={"ok": True}),
            ]
        )
        with httpx.Client() as client:
            response = _retrier(clock).send(client, _request(client))
        assert response.status_code == 200
        assert route.call_count == 2
        assert clock.sleeps == [4.0]

    def test_429_without_retry_after_backs_off_exponentially(self, respx_mock, clock):
        respx_mock.post(URL).mock(
            side_effect=[httpx.Response(429), httpx.Response(429), httpx.Response(200)]
        )
        with httpx.Client() as client:
            response = _retrier(clock).send(client, _request(client))
        assert response.status_code == 200
        assert clock.sleeps == [0.5, 1.0]

    def test_503_then_success(self, respx_mock, clock):
        respx_mock.post(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
        with httpx.Client() as client:
            assert _retrier(clock).send(client, _request(client)).status_code == 200
        assert len(clock.sleeps) == 1

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 415])
    def test_other_4xx_are_never_retried(self, respx_mock, clock, status):
        route = respx_mock.post(URL).mock(return_value=httpx.Response(status))
        with httpx.Client() as client:
            assert _retrier(clock).send(client, _request(client)).status_code == status
        assert route.call_count == 1
        assert clock.sleeps == []

    def test_exhausted_retries_return_the_last_answer(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(return_value=httpx.Response(503))
        with httpx.Client() as client:
            response = _retrier(clock, max_retries=2).send(client, _request(client))
        assert response.status_code == 503
        assert route.call_count == 3
        assert clock.sleeps == [0.5, 1.0]

    def test_zero_retries_sends_once(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(return_value=httpx.Response(429))
        with httpx.Client() as client:
            assert _retrier(clock, max_retries=0).send(client, _request(client)).status_code == 429
        assert route.call_count == 1

    def test_time_budget_stops_a_wait_that_would_overrun_it(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(
            return_value=httpx.Response(429, headers={"Retry-After": "30"})
        )
        with httpx.Client() as client:
            response = _retrier(clock, max_retry_time_s=10).send(client, _request(client))
        assert response.status_code == 429
        assert route.call_count == 1
        assert clock.sleeps == []

    def test_time_budget_counts_the_time_already_spent(self, respx_mock, clock):
        respx_mock.post(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "4"}))
        with httpx.Client() as client:
            _retrier(clock, max_retries=10, max_retry_time_s=10).send(client, _request(client))
        assert clock.sleeps == [4.0, 4.0]

    def test_connection_errors_are_retried(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200)]
        )
        with httpx.Client() as client:
            assert _retrier(clock).send(client, _request(client)).status_code == 200
        assert route.call_count == 2

    def test_timeouts_are_retried_then_reraised(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
        with httpx.Client() as client, pytest.raises(httpx.ReadTimeout):
            _retrier(clock, max_retries=2).send(client, _request(client))
        assert route.call_count == 3

    def test_the_same_body_is_sent_on_every_attempt(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200)])
        with httpx.Client() as client:
            _retrier(clock).send(client, _request(client))
        assert [call.request.content for call in route.calls] == [b"\xff\xd8image"] * 2

    def test_each_retry_is_logged_without_headers_or_query(self, respx_mock, clock, caplog):
        respx_mock.post(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200)])
        caplog.set_level(logging.INFO, logger="visionkit.backends.http")
        with httpx.Client() as client:
            request = _request(client)
            request.headers["X-Api-Key"] = "very-secret-key"
            _retrier(clock).send(client, request)
        (record,) = caplog.records
        assert record.name == "visionkit.backends.http"
        message = record.getMessage()
        assert "POST https://vision.example.test/analyze" in message
        assert "HTTP 429" in message and "retry 1 of 3" in message
        assert "very-secret-key" not in message and "visualFeatures" not in message

    def test_giving_up_is_a_warning(self, respx_mock, clock, caplog):
        respx_mock.post(URL).mock(return_value=httpx.Response(503))
        with httpx.Client() as client:
            _retrier(clock, max_retries=1).send(client, _request(client))
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "giving up" in warnings[0].getMessage()


class TestAsyncLoop:
    async def test_429_then_success(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200)]
        )
        async with httpx.AsyncClient() as client:
            response = await _retrier(clock).asend(client, _request(client))
        assert response.status_code == 200
        assert route.call_count == 2
        assert clock.sleeps == [2.0]

    async def test_no_retry_on_400(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(return_value=httpx.Response(400))
        async with httpx.AsyncClient() as client:
            assert (await _retrier(clock).asend(client, _request(client))).status_code == 400
        assert route.call_count == 1

    async def test_exhausted_connection_errors_reraise(self, respx_mock, clock):
        route = respx_mock.post(URL).mock(side_effect=httpx.ConnectError("refused"))
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await _retrier(clock, max_retries=1).asend(client, _request(client))
        assert route.call_count == 2
        assert clock.sleeps == [0.5]

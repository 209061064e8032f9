from __future__ import annotations

import httpx
import pytest

from visionkit.backends.http import Flow, Wait, run_flow, run_flow_async


def _poll(url: str) -> Flow[str, list[str]]:
    """Submit, then poll with waits until the job reports done: the shape of OCR APIs."""
    seen: list[str] = []
    response = yield url
    assert response is not None
    seen.append(response.text)
    while response.text != "done":
        yield Wait(0.5)
        response = yield f"{url}/status"
        assert response is not None
        seen.append(response.text)
    return seen


class _Service:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self._answers = iter(["accepted", "running", "running", "done"])

    def send(self, request: str) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(200, text=next(self._answers))

    async def asend(self, request: str) -> httpx.Response:
        return self.send(request)


def test_the_sync_runner_sends_and_waits_in_order(clock):
    service = _Service()
    assert run_flow(_poll("job"), service.send, clock) == ["accepted", "running", "running", "done"]
    assert service.sent == ["job", "job/status", "job/status", "job/status"]
    assert clock.sleeps == [0.5, 0.5, 0.5]


async def test_the_async_runner_does_the_same(clock):
    service = _Service()
    result = await run_flow_async(_poll("job"), service.asend, clock)
    assert result == ["accepted", "running", "running", "done"]
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_an_error_raised_by_send_reaches_the_caller(clock):
    def broken(request: str) -> httpx.Response:
        raise RuntimeError(f"cannot send {request}")

    with pytest.raises(RuntimeError, match="cannot send job"):
        run_flow(_poll("job"), broken, clock)

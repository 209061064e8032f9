"""A fake clock so retry tests run instantly and can assert every wait."""

from __future__ import annotations

import pytest


class FakeClock:
    """Time that moves only when something sleeps on it; records every wait."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

"""A manual clock so retry tests run instantly, and a misbehaving server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backends.http.fake_server import MisbehavingServer, serve

from visionkit.backends.http import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


@pytest.fixture
def misbehaving_server() -> Iterator[MisbehavingServer]:
    """A real HTTP server on 127.0.0.1 that answers however the test tells it to."""
    with serve() as server:
        yield server

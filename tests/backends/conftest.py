"""Fixtures shared by every backend's tests: a misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backends.http.fake_server import MisbehavingServer, serve


@pytest.fixture
def misbehaving_server() -> Iterator[MisbehavingServer]:
    """A real HTTP server on 127.0.0.1 that answers however the test tells it to."""
    with serve() as server:
        yield server

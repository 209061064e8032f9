"""A manual clock so retry tests run instantly (the misbehaving server is in ../conftest.py)."""

from __future__ import annotations

import pytest

from visionkit.backends.http import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)

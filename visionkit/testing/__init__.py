"""Recorded HTTP for tests: run code that calls cloud backends with no network and no key.

::

    from visionkit.testing import replay, assert_valid_result

    with replay("tests/cassettes/test_tags") as cassette:   # VISIONKIT_RECORD=1 to record
        result = analyzer.analyze("photo.jpg", features=["tags"])
    cassette.assert_all_played()
    assert_valid_result(result, requested_features=["tags"])

A cassette is a directory of JSON files, one per HTTP interaction (format in
``docs/testing.md``). Cassettes depend on respx, a test-time dependency,
so ``import visionkit`` never imports it and this package imports it only when
a cassette name is first used; :class:`FakeAnalyzer` (``backend="fake"``), a
backend that answers what a test tells it to, needs nothing beyond the base install.
"""

from typing import TYPE_CHECKING, Any

from visionkit.testing.fake import FakeAnalyzer, FakeCall
from visionkit.testing.validators import InvalidResultError, assert_valid_result

if TYPE_CHECKING:
    from visionkit.testing.bundled import bundled_cassette, bundled_cassettes
    from visionkit.testing.cassette import (
        Interaction,
        RecordedRequest,
        RecordedResponse,
        load_cassette,
        write_cassette,
    )
    from visionkit.testing.errors import (
        CassetteError,
        CassetteFormatError,
        CassetteNotFoundError,
        UnmatchedRequestError,
        UnplayedInteractionsError,
    )
    from visionkit.testing.playback import Cassette, Mode, replay
    from visionkit.testing.scrub import ScrubRules, scrub_cassette, scrub_interaction

# Cassettes need respx (the `testing` extra); the fake backend and the validators do not,
# so they are imported at once and the rest on first use.
_LAZY = {
    "bundled_cassette": "bundled",
    "bundled_cassettes": "bundled",
    "Interaction": "cassette",
    "RecordedRequest": "cassette",
    "RecordedResponse": "cassette",
    "load_cassette": "cassette",
    "write_cassette": "cassette",
    "CassetteError": "errors",
    "CassetteFormatError": "errors",
    "CassetteNotFoundError": "errors",
    "UnmatchedRequestError": "errors",
    "UnplayedInteractionsError": "errors",
    "Cassette": "playback",
    "Mode": "playback",
    "replay": "playback",
    "ScrubRules": "scrub",
    "scrub_cassette": "scrub",
    "scrub_interaction": "scrub",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'visionkit.testing' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"visionkit.testing.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "FakeAnalyzer",
    "FakeCall",
    "Interaction",
    "InvalidResultError",
    "Mode",
    "RecordedRequest",
    "RecordedResponse",
    "ScrubRules",
    "UnmatchedRequestError",
    "UnplayedInteractionsError",
    "assert_valid_result",
    "bundled_cassette",
    "bundled_cassettes",
    "load_cassette",
    "replay",
    "scrub_cassette",
    "scrub_interaction",
    "write_cassette",
]

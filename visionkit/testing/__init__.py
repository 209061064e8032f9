"""Recorded HTTP for tests: run code that calls cloud backends with no network and no key.

::

    from visionkit.testing import replay, assert_valid_result

    with replay("tests/cassettes/test_tags") as cassette:   # VISIONKIT_RECORD=1 to record
        result = analyzer.analyze("photo.jpg", features=["tags"])
    cassette.assert_all_played()
    assert_valid_result(result, requested_features=["tags"])

A cassette is a directory of JSON files, one per HTTP interaction (format in
``docs/testing.md``). This package depends on respx, a test-time dependency,
so ``import visionkit`` never imports it.
"""

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
from visionkit.testing.replay import Cassette, Mode, replay
from visionkit.testing.scrub import ScrubRules, scrub_cassette, scrub_interaction
from visionkit.testing.validators import InvalidResultError, assert_valid_result

__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
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

"""What goes wrong with cassettes, split by who has to act.

* :class:`CassetteError` (a :class:`~visionkit.errors.VisionKitError`): the
  cassette itself is missing, malformed or cannot be recorded; the fix is in
  the test set-up.
* :class:`UnmatchedRequestError` and :class:`UnplayedInteractionsError` (both
  :class:`AssertionError`): the code under test did not make the requests the
  cassette recorded. They are assertion failures on purpose, so pytest shows a
  failed test rather than an error, and so that code under test which catches
  ``VisionKitError`` or ``httpx.HTTPError`` cannot swallow them.
"""

from __future__ import annotations

from pathlib import Path

from visionkit.errors import VisionKitError


class CassetteError(VisionKitError):
    """A cassette cannot be used: missing, malformed, or not recordable here."""


class CassetteNotFoundError(CassetteError):
    """Replay was asked for a cassette that has no interactions on disk."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class CassetteFormatError(CassetteError):
    """An interaction file does not follow the cassette format (``docs/testing.md``)."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path


class UnmatchedRequestError(AssertionError):
    """The code under test sent a request the cassette has no (more) answers for."""


class UnplayedInteractionsError(AssertionError):
    """Recorded interactions were never requested: the code made fewer calls than recorded."""


__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "UnmatchedRequestError",
    "UnplayedInteractionsError",
]

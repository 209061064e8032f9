"""One outcome per input image: :class:`BatchItem`, and the counts a run keeps.

A batch over thousands of images must not stop for one unreadable file or
one refused request, so every outcome is a value: a result or the error that
replaced it, never an exception thrown through the loop. Only errors that no
other image could escape (a rejected key, an invalid configuration, a spent quota) stop a
run; see :data:`FATAL_ERRORS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from visionkit.errors import AuthenticationError, ConfigError, QuotaExceededError, VisionKitError
from visionkit.images import ImageInput, is_url
from visionkit.results import AnalysisResult

FATAL_ERRORS: tuple[type[VisionKitError], ...] = (
    AuthenticationError,
    ConfigError,
    QuotaExceededError,
)
"""Errors every later image would hit too: the run stops and raises them (after any
configured fallback had its chance at that image). A spent quota does not clear in
seconds, so carrying on would only fail every remaining image the same way."""


class UnexpectedError(VisionKitError):
    """A backend raised something other than a :class:`VisionKitError` for one image.

    That is a bug (in visionkit or a third-party backend), but one image's bug
    must not cost the rest of a batch; the original exception is ``__cause__``
    and is logged with its traceback on the ``visionkit.batch`` logger.
    """


@dataclass(frozen=True, slots=True)
class BatchItem:
    """What became of one input: ``result`` or ``error``, exactly one of them set.

    Attributes:
        input: The object that was passed in, untouched (a path stays a path).
        index: Its position in the input stream, from 0; with ``ordered=False``
            it tells which input an outcome belongs to.
        cached: True when the result came from the cache and cost no call.
    """

    input: ImageInput
    index: int
    result: AnalysisResult | None = None
    error: VisionKitError | None = None
    cached: bool = False

    def __post_init__(self) -> None:
        if (self.result is None) == (self.error is None):
            raise ValueError("A BatchItem holds exactly one of result and error")

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> AnalysisResult:
        """The result, or raise the error (for callers who prefer exceptions)."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    @property
    def label(self) -> str:
        """The input as a line of a report: its path or URL, else a short description."""
        return describe_input(self.input)

    def to_dict(self, *, include_raw: bool = False) -> dict[str, Any]:
        """One JSON-lines record, the shape ``visionkit analyze --json`` prints."""
        if self.error is not None:
            error = {"type": type(self.error).__name__, "message": str(self.error)}
            return {"input": self.label, "error": error}
        assert self.result is not None
        return {"input": self.label, **self.result.to_dict(include_raw=include_raw)}


@dataclass
class BatchStats:
    """Running counts of a batch; read them during or after iteration.

    ``requests`` counts HTTP calls sent (each retry and poll included, which is
    what a cloud bill counts), ``throttled`` the 429s among their answers.
    """

    done: int = 0
    failed: int = 0
    cached: int = 0
    requests: int = 0
    throttled: int = 0
    elapsed_s: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    max_failures_kept: int = 1000

    def add(self, item: BatchItem) -> None:
        if item.error is not None:
            self.failed += 1
            if len(self.failures) < self.max_failures_kept:
                self.failures.append((item.label, str(item.error)))
        else:
            self.done += 1
            self.cached += item.cached

    @property
    def total(self) -> int:
        return self.done + self.failed


def describe_input(image: object) -> str:
    """How messages and the failure list name an input; never raises, whatever it is.

    A hostile input (an ``os.PathLike`` whose ``__fspath__`` raises or returns
    an int, a released ``memoryview``) must not cost the batch its other results
    just because its name could not be printed.
    """
    try:
        if isinstance(image, str):
            if is_url(image):
                from visionkit.images import redact_url  # .fetch and httpx, for URLs only

                return redact_url(image)
            return image
        if isinstance(image, os.PathLike):
            return os.fsdecode(image)
        if isinstance(image, bytes | bytearray | memoryview):
            return f"<bytes: {len(image)} bytes>"
        name = getattr(image, "name", None)
        if isinstance(name, str):
            return name
    except Exception:
        pass
    return f"<{type(image).__name__}>"


__all__ = ["FATAL_ERRORS", "BatchItem", "BatchStats", "UnexpectedError", "describe_input"]

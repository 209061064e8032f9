"""A backend for your own tests: it answers what the test tells it to, instantly.

Application code calls :func:`visionkit.analyze`; its tests should not need a
network, a cassette, a key or a model to check what the application does with
an answer. :class:`FakeAnalyzer` is a real :class:`~visionkit.backends.base.Analyzer`
(registered as ``backend="fake"``) that returns results the test gives it and
records every call::

    from visionkit import AnalysisResult, Tag, analyze
    from visionkit.testing import FakeAnalyzer

    fake = FakeAnalyzer(default=AnalysisResult(backend="fake", tags=(Tag("cat", 0.9),)))
    with fake.installed(as_default=True):        # analyze() without backend= gets it too
        assert my_app.describe("photo.jpg") == "a cat"
    assert fake.calls[0].image == "photo.jpg"

It imports nothing but visionkit itself (no respx, no HTTP), so it works on the
base install.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from visionkit.analyzers import use_analyzer
from visionkit.backends.base import Analyzer, only_requested
from visionkit.config import configured_backend
from visionkit.errors import VisionKitError
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult

Answer = AnalysisResult | VisionKitError
"""What the fake gives for one image: a result to return or a visionkit error to raise."""

Responder = Callable[[ImageInput, frozenset[Feature]], Answer]


@dataclass(frozen=True)
class FakeOptions:
    """The fake has no settings of its own: what it answers is given to its constructor."""


@dataclass(frozen=True)
class FakeCall:
    """One call the fake received: the image as given and the features resolved for it."""

    image: ImageInput
    features: frozenset[Feature]


class FakeAnalyzer(Analyzer):
    """Returns the results a test gives it; offers every feature unless told otherwise.

    ``results`` maps an image to its answer, looked up by the image's path (as
    given, as a string, or its file name), URL, or bytes; ``default`` answers
    every other image (a result, an error, or a function of the image and the
    features). An image with no answer raises :class:`LookupError`, so a test
    that forgot one fails loudly rather than passing on an empty result.

    A returned result keeps only the requested features (the rest become
    ``None``, "not requested", as a real backend's would) and is stamped with
    this backend's name. ``capabilities`` narrows what it offers, to test how
    an application copes with a backend that cannot do something.
    """

    name: ClassVar[str] = "fake"
    capabilities: ClassVar[frozenset[Feature]] = frozenset(Feature)
    Options = FakeOptions

    def __init__(
        self,
        options: FakeOptions | None = None,
        /,
        *,
        results: Mapping[Any, Answer] | None = None,
        default: Answer | Responder | None = None,
        capabilities: frozenset[Feature] | None = None,
    ) -> None:
        super().__init__(options)
        self._results: dict[Any, Answer] = {}
        for key, answer in (results or {}).items():
            self._results[_key(key)] = answer
        self._default = default
        self._offered = frozenset(capabilities) if capabilities is not None else None
        self._lock = threading.Lock()
        self.calls: list[FakeCall] = []
        self.closed = False

    @property
    def supported_features(self) -> frozenset[Feature]:
        return self._offered if self._offered is not None else type(self).capabilities

    @contextlib.contextmanager
    def installed(self, *, as_default: bool = False) -> Iterator[FakeAnalyzer]:
        """Within the block, ``backend="fake"`` (and with ``as_default``, no backend) is this.

        ``as_default`` sets the configured backend to ``fake`` for the block, so
        code that calls ``analyze(image)`` without a backend is served too; the
        previous configuration comes back on exit.
        """
        with contextlib.ExitStack() as stack:
            stack.enter_context(use_analyzer(self))
            if as_default:
                stack.enter_context(configured_backend(self.name))
            yield self

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        with self._lock:
            self.calls.append(FakeCall(image, features))
        answer = self._answer(image, features)
        if isinstance(answer, VisionKitError):
            raise answer
        if not isinstance(answer, AnalysisResult):
            raise TypeError(
                f"FakeAnalyzer answers must be AnalysisResult or VisionKitError, "
                f"not {type(answer).__name__}"
            )
        return _narrowed(answer, features, self.name)

    def _answer(self, image: ImageInput, features: frozenset[Feature]) -> Answer:
        for key in _lookup_keys(image):
            if key in self._results:
                return self._results[key]
        if callable(self._default):
            return self._default(image, features)
        if self._default is not None:
            return self._default
        raise LookupError(
            f"FakeAnalyzer has no answer for {image!r}. Give it one in results= "
            "(by path, file name, URL or bytes) or a default=."
        )

    def close(self) -> None:
        self.closed = True


def _key(image: Any) -> Any:
    if isinstance(image, os.PathLike):
        return os.fspath(image)
    if isinstance(image, bytearray | memoryview):
        return bytes(image)
    return image


def _lookup_keys(image: ImageInput) -> list[Any]:
    """The keys an image may have been given under, most specific first."""
    if isinstance(image, str | os.PathLike):
        text = os.fspath(image)
        return [text, Path(text).name] if isinstance(text, str) else []
    if isinstance(image, bytes | bytearray | memoryview):
        return [bytes(image)]
    return []


def _narrowed(result: AnalysisResult, features: frozenset[Feature], backend: str) -> AnalysisResult:
    """``result`` with the features that were not asked for set to ``None``, as ``backend``."""
    return dataclasses.replace(only_requested(result, features), backend=backend)


__all__ = ["Answer", "FakeAnalyzer", "FakeCall", "FakeOptions", "Responder"]

"""The interface every backend implements.

An :class:`Analyzer` has one job: turn one image into one
:class:`~visionkit.results.AnalysisResult`. The base class owns what is the
same for every backend (feature validation, timing, the context-manager
protocol, the async twin) so that a backend only writes
:meth:`Analyzer._analyze`: load the image, ask the model or service, map the
answer. Nothing here knows about any vendor.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, ClassVar, Self

from visionkit.backends.catalog import backends_supporting
from visionkit.errors import UnsupportedFeatureError, VisionKitError
from visionkit.features import Feature, FeatureLike, parse_features
from visionkit.images import ImageInput
from visionkit.options import NoOptions, build_options, redacted
from visionkit.results import AnalysisResult

FeaturesArg = Iterable[FeatureLike] | FeatureLike | None
"""What callers may pass as ``features``: ``None`` (everything supported), one, or several."""


class Analyzer(ABC):
    """Analyses images with one backend; reuse one instance for many images.

    This is the contract a backend implements (``docs/api.md`` spells it out):

    * :attr:`name`, :attr:`Options` (a frozen dataclass of its settings, see
      :mod:`visionkit.options`) and :attr:`capabilities`;
    * :meth:`_analyze`: load the image, ask the model or service, map the answer;
    * optionally :meth:`capabilities_for` when what it can do depends on its
      options, :meth:`_analyze_batch` when it gains from stacking images, and
      :meth:`configuration_problems`;
    * a backend that calls a service sets :attr:`remote`, overrides
      :meth:`_analyze_async` with real async I/O and :meth:`close`, and, when
      its constructor takes ``transport=`` (an httpx transport every request
      goes through), sets :attr:`accepts_transport`.
    """

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Feature]]
    """Every feature the backend can offer under some options (listings, suggestions).
    What one instance offers is :attr:`supported_features`."""
    Options: ClassVar[type[Any]] = NoOptions
    remote: ClassVar[bool] = False
    """True for backends that call a service: batch runs drive them concurrently under
    a rate limit, their (billed) results are cached by default, and they should
    override :meth:`_analyze_async` with real async I/O."""
    accepts_transport: ClassVar[bool] = False
    """True when the constructor takes ``transport=`` (an ``httpx.AsyncBaseTransport``)
    and sends every HTTP request through it. ``analyze_many`` then builds a run's
    own instance with a pool of ``concurrency`` connections behind a rate limiter;
    without it the shared instance is used as it is."""
    batch_size: ClassVar[int] = 1
    """Images per :meth:`analyze_batch` call that suit the backend; above 1 it stacks them."""

    def __init__(self, options: Any = None, /, **overrides: Any) -> None:
        if options is None:
            options = build_options(self.Options, overrides, backend=self.name)
        elif overrides:
            options = dataclasses.replace(options, **overrides)
        elif not isinstance(options, self.Options):
            raise TypeError(
                f"options must be {self.Options.__name__}, not {type(options).__name__}"
            )
        self.options = options

    # -- public API -------------------------------------------------------------------

    def analyze(self, image: ImageInput, features: FeaturesArg = None) -> AnalysisResult:
        """Analyse one image; ``features=None`` asks for everything this backend supports."""
        wanted = self.resolve_features(features)
        started = time.perf_counter()
        result = self._analyze(image, wanted)
        return result.with_timing(time.perf_counter() - started)

    async def analyze_async(
        self, image: ImageInput, features: FeaturesArg = None
    ) -> AnalysisResult:
        """The awaitable twin of :meth:`analyze`."""
        wanted = self.resolve_features(features)
        started = time.perf_counter()
        result = await self._analyze_async(image, wanted)
        return result.with_timing(time.perf_counter() - started)

    def analyze_batch(
        self, images: Sequence[ImageInput], features: FeaturesArg = None
    ) -> list[AnalysisResult | VisionKitError]:
        """Analyse several images in one go; a failing image gets its error in its place.

        Returning errors instead of raising keeps one bad file from costing the
        others' work. Each result's ``elapsed_s`` is its share of the batch's time.
        """
        wanted = self.resolve_features(features)
        started = time.perf_counter()
        outcomes = self._analyze_batch(images, wanted)
        share = (time.perf_counter() - started) / max(len(images), 1)
        return [o.with_timing(share) if isinstance(o, AnalysisResult) else o for o in outcomes]

    @classmethod
    def is_remote(cls) -> bool:
        """True for backends that call a service over the network (:attr:`remote`)."""
        return cls.remote

    @classmethod
    def capabilities_for(cls, options: Any) -> frozenset[Feature]:
        """What an instance built with ``options`` offers, known without building it.

        Fallback plans ask this before any connection is opened. The default is
        :attr:`capabilities`; a backend whose options narrow it (an API version
        that lacks a feature) overrides this.
        """
        return cls.capabilities

    @property
    def supported_features(self) -> frozenset[Feature]:
        """What this instance, with its options, offers (``features=None`` asks for all)."""
        return type(self).capabilities_for(self.options)

    @property
    def default_features(self) -> frozenset[Feature]:
        """What ``features=None`` asks for: :attr:`supported_features`, unless a feature
        is offered only on request because it costs far more than the rest (the local
        backend's faces and OCR load a second model). A backend that narrows it says
        so in ``visionkit backends`` and its docs."""
        return self.supported_features

    def resolve_features(self, features: FeaturesArg) -> frozenset[Feature]:
        """Validate ``features`` against :attr:`supported_features` before any work is done.

        Failing early matters for cloud backends: a request that would come
        back half-empty should not be paid for.
        """
        supported = self.supported_features
        parsed = parse_features(features)
        if parsed is None:
            return self.default_features & supported
        missing = sorted(parsed - supported, key=lambda f: f.value)
        if missing:
            raise UnsupportedFeatureError(
                missing[0].value,
                self.label,
                backends_supporting(missing[0]),
                fix=self.how_to_enable(missing[0]),
            )
        return parsed

    def how_to_enable(self, feature: Feature) -> str:
        """What to change when ``feature`` is off only because of this instance's options
        (an opt-in setting); empty when no option would turn it on."""
        return ""

    @property
    def label(self) -> str:
        """How messages name this instance: :attr:`name`, plus what its options change."""
        return self.name

    @classmethod
    def configuration_problems(cls, options: Any) -> list[str]:
        """What would stop this backend working with ``options`` (a missing key, a missing
        model file), checked without calling anything; empty when ready. Used by
        ``visionkit backends`` and by fallback logic."""
        return []

    def close(self) -> None:
        """Release connections or model memory. Safe to call twice."""

    async def aclose(self) -> None:
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in redacted(self.options).items())
        return f"{type(self).__name__}({opts})"

    # -- for subclasses ---------------------------------------------------------------

    @abstractmethod
    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        """Load ``image``, run the backend for exactly ``features``, map its answer."""

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        """Default: the sync path on a worker thread, so CPU-bound backends never block the loop."""
        import asyncio  # loaded already whenever a coroutine runs; sync callers never pay for it

        return await asyncio.to_thread(self._analyze, image, features)

    def _analyze_batch(
        self, images: Sequence[ImageInput], features: frozenset[Feature]
    ) -> list[AnalysisResult | VisionKitError]:
        """Default: one image after another. Backends that gain from stacking override it."""
        outcomes: list[AnalysisResult | VisionKitError] = []
        for image in images:
            try:
                outcomes.append(self._analyze(image, features))
            except VisionKitError as exc:
                outcomes.append(exc)
        return outcomes


def only_requested(result: AnalysisResult, features: frozenset[Feature]) -> AnalysisResult:
    """``result`` with the field of every feature not in ``features`` set to ``None``.

    A service may add sections of its own accord (Azure sends metadata always,
    categories with celebrities), and a test double holds whatever it was given;
    "``None`` means not requested" must still hold for what the caller receives.
    """
    unrequested: dict[str, Any] = {f.field: None for f in Feature if f not in features}
    return dataclasses.replace(result, **unrequested)


__all__ = ["Analyzer", "FeaturesArg", "only_requested"]

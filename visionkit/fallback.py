"""Fallback: when the configured backend cannot answer, let the next one answer instead.

A cloud backend fails for reasons that have nothing to do with the image: the
service throttles past every retry, answers 5xx, times out, the machine is
offline, or no key is configured on this machine. For those, and only those,
the next backend in the ``fallback`` list is asked, and the result says so:
``result.backend`` names who answered and ``result.fallback_reason`` why.

Everything else raises, because another backend would hide a problem the user
must fix: an invalid image is invalid everywhere, and a *wrong* key
(:class:`~visionkit.errors.AuthenticationError`) must never quietly turn into
local answers. Off by default; turned on with ``fallback=["local"]`` on the
call, ``configure(fallback=...)``, ``VISIONKIT_FALLBACK`` or ``fallback = [...]``
in the config file.

A fallback backend is asked only for the requested features it offers, and
the reason names those it left out. Each fallback is logged (logger
``visionkit.fallback``, warning level) with the error class and message;
visionkit's messages never contain a key.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from visionkit.analyzers import backend_options, get_analyzer
from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.backends.registry import get_backend_class
from visionkit.cache.analyze import cached_analyze, cached_analyze_async
from visionkit.cache.defaults import CacheArg
from visionkit.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    RateLimitError,
    VisionKitError,
)
from visionkit.features import Feature, parse_features
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult

logger = logging.getLogger("visionkit.fallback")

FALLBACK_ERRORS: tuple[type[VisionKitError], ...] = (
    RateLimitError,
    BackendUnavailableError,
    BackendTimeoutError,
)
"""Errors that say the service could not answer now, whatever the image: worth a fallback.

Rate limits and 5xx reach here only after the backend's own retries ran out;
"no network" arrives as :class:`BackendUnavailableError`.
"""


def missing_configuration(backend: str, options: dict[str, Any] | None = None) -> list[str]:
    """What ``backend`` reports missing on this machine (for Azure: its endpoint or key).

    This is :meth:`Analyzer.configuration_problems`, asked without calling the
    service. Options that do not even validate are not "missing": they are
    mistakes, and give an empty list.
    """
    try:
        typed = backend_options(backend, options)
    except ConfigError:
        return []
    return get_backend_class(backend).configuration_problems(typed)


def fallback_cause(backend: str, exc: BaseException, options: dict[str, Any]) -> str | None:
    """Why ``exc`` from ``backend`` justifies a fallback, or ``None`` if it must be raised.

    A :class:`ConfigError` qualifies only when the backend reports credentials
    missing: any other configuration mistake (a malformed endpoint, an unknown
    option) is the user's to fix, not to route around.
    """
    if isinstance(exc, FALLBACK_ERRORS):
        return f"{backend} failed: {type(exc).__name__}: {exc}"
    if isinstance(exc, ConfigError):
        missing = missing_configuration(backend, options)
        if missing:
            return f"{backend} is not configured: {'; '.join(missing)}"
    return None


@dataclass(frozen=True)
class Attempt:
    """One backend to try, its call options, the features to ask it, and those it cannot do."""

    backend: str
    options: dict[str, Any]
    features: frozenset[Feature] | None
    left_out: tuple[str, ...]


def plan(
    primary: str,
    fallback: Sequence[str],
    features: FeaturesArg,
    options: dict[str, Any],
) -> list[Attempt]:
    """The primary with its options and the requested features, then each fallback.

    Call options belong to the primary (``endpoint=...`` means nothing to
    ``local``); fallbacks use their configured options. A fallback offering
    none of the requested features is left out of the plan.
    """
    wanted = parse_features(features)
    attempts = [Attempt(primary, options, wanted, ())]
    for name in fallback:
        if name == primary:
            continue
        capabilities = _capabilities(name)
        if wanted is None:
            attempts.append(Attempt(name, {}, None, ()))
            continue
        offered = wanted & capabilities
        if offered:
            left_out = tuple(sorted(f.value for f in wanted - offered))
            attempts.append(Attempt(name, {}, offered, left_out))
        else:
            logger.info("fallback %s skipped: it offers none of the requested features", name)
    return attempts


def _capabilities(name: str) -> frozenset[Feature]:
    """What fallback ``name`` offers with its configured options, without building it."""
    cls = get_backend_class(name)
    try:
        return cls.capabilities_for(backend_options(name))
    except ConfigError:  # options that do not validate: the attempt itself will say so
        return cls.capabilities


def _reason(causes: list[str], attempt: Attempt) -> str:
    text = "; ".join(causes) + f"; {attempt.backend} answered"
    if attempt.features is None:
        text += " with every feature it supports"
    elif attempt.left_out:
        text += f" without {', '.join(attempt.left_out)} (not supported by {attempt.backend})"
    return text


def _analyzer(attempt: Attempt) -> Analyzer:
    return get_analyzer(attempt.backend, **attempt.options)


def _failed(attempt: Attempt, exc: VisionKitError, causes: list[str], last: bool) -> None:
    """Record why ``attempt`` failed, or re-raise when no fallback may follow."""
    cause = fallback_cause(attempt.backend, exc, attempt.options)
    if cause is None or last:
        if causes:
            exc.add_note("Fallbacks tried before: " + "; ".join(causes))
        raise exc
    causes.append(cause)
    logger.warning("%s; trying the next backend", cause)


def analyze_with_fallback(
    image: ImageInput,
    features: FeaturesArg,
    *,
    primary: str,
    fallback: Sequence[str],
    options: dict[str, Any],
    cache: CacheArg = None,
) -> AnalysisResult:
    """Analyse with ``primary``; on a service failure or a missing key, with each fallback.

    Every attempt goes through the result cache as :func:`visionkit.analyze`
    would (``cache=`` applies to each), so a cached cloud answer is served
    even while the service is down.
    """
    return _attempt(image, plan(primary, fallback, features, options), [], cache)


async def analyze_with_fallback_async(
    image: ImageInput,
    features: FeaturesArg,
    *,
    primary: str,
    fallback: Sequence[str],
    options: dict[str, Any],
    cache: CacheArg = None,
) -> AnalysisResult:
    """The awaitable twin of :func:`analyze_with_fallback`."""
    return await _attempt_async(image, plan(primary, fallback, features, options), [], cache)


def recover(
    image: ImageInput,
    features: FeaturesArg,
    *,
    backend: str,
    error: VisionKitError,
    fallback: Sequence[str],
    options: dict[str, Any],
    cache: CacheArg = None,
) -> AnalysisResult:
    """The fallbacks' answer for ``image`` after ``backend`` already failed with ``error``.

    For callers that ran the primary themselves (a batch run, a comparison):
    the same rules as :func:`analyze_with_fallback`, so ``error`` itself is
    raised when it does not justify a fallback.
    """
    rest, causes = _after(backend, error, fallback, features, options)
    return _attempt(image, rest, causes, cache)


async def recover_async(
    image: ImageInput,
    features: FeaturesArg,
    *,
    backend: str,
    error: VisionKitError,
    fallback: Sequence[str],
    options: dict[str, Any],
    cache: CacheArg = None,
) -> AnalysisResult:
    """The awaitable twin of :func:`recover`."""
    rest, causes = _after(backend, error, fallback, features, options)
    return await _attempt_async(image, rest, causes, cache)


def _after(
    backend: str,
    error: VisionKitError,
    fallback: Sequence[str],
    features: FeaturesArg,
    options: dict[str, Any],
) -> tuple[list[Attempt], list[str]]:
    """The attempts left once ``backend`` failed with ``error``, and why it failed.

    Raises ``error`` when it does not justify a fallback, or no fallback is left.
    """
    attempts = plan(backend, fallback, features, options)
    causes: list[str] = []
    _failed(attempts[0], error, causes, last=len(attempts) == 1)
    return attempts[1:], causes


def _attempt(
    image: ImageInput, attempts: list[Attempt], causes: list[str], cache: CacheArg
) -> AnalysisResult:
    for index, attempt in enumerate(attempts):
        try:
            result = cached_analyze(_analyzer(attempt), image, attempt.features, cache=cache)
        except VisionKitError as exc:
            _failed(attempt, exc, causes, last=index == len(attempts) - 1)
            continue
        return _answered(result, causes, attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _attempt_async(
    image: ImageInput, attempts: list[Attempt], causes: list[str], cache: CacheArg
) -> AnalysisResult:
    for index, attempt in enumerate(attempts):
        try:
            analyzer = _analyzer(attempt)
            result = await cached_analyze_async(analyzer, image, attempt.features, cache=cache)
        except VisionKitError as exc:
            _failed(attempt, exc, causes, last=index == len(attempts) - 1)
            continue
        return _answered(result, causes, attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _answered(result: AnalysisResult, causes: list[str], attempt: Attempt) -> AnalysisResult:
    if not causes:
        return result
    reason = _reason(causes, attempt)
    logger.warning("fallback: %s", reason)
    return dataclasses.replace(result, fallback_reason=reason)


__all__ = [
    "FALLBACK_ERRORS",
    "Attempt",
    "analyze_with_fallback",
    "analyze_with_fallback_async",
    "fallback_cause",
    "missing_configuration",
    "plan",
    "recover",
    "recover_async",
]

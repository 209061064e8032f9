"""Many images at once: streaming, concurrent, rate-limited, cached.

>>> from visionkit import analyze_many
>>> for item in analyze_many(Path("photos").rglob("*.jpg"), backend="azure", rate="S1"):
...     print(item.input, item.result.summary() if item.ok else item.error)

See ``docs/batch.md`` for the design and the measured throughput.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visionkit.lazy import lazy_exports

if TYPE_CHECKING:
    from visionkit.batch.items import BatchItem, BatchStats, UnexpectedError
    from visionkit.batch.ratelimit import (
        PRESETS,
        AdaptiveRateLimiter,
        RateLimit,
        RateLimitedTransport,
        TokenBucket,
        parse_rate,
    )
    from visionkit.batch.runner import AsyncBatchRun, BatchRun, analyze_many, analyze_many_async

#: Each public name and its module, imported on first access (PEP 562): the CLI imports
#: :mod:`.command` for every ``analyze``, and a few files need neither httpx nor the runner.
_EXPORTS: dict[str, str] = {
    "PRESETS": "visionkit.batch.ratelimit",
    "AdaptiveRateLimiter": "visionkit.batch.ratelimit",
    "AsyncBatchRun": "visionkit.batch.runner",
    "BatchItem": "visionkit.batch.items",
    "BatchRun": "visionkit.batch.runner",
    "BatchStats": "visionkit.batch.items",
    "RateLimit": "visionkit.batch.ratelimit",
    "RateLimitedTransport": "visionkit.batch.ratelimit",
    "TokenBucket": "visionkit.batch.ratelimit",
    "UnexpectedError": "visionkit.batch.items",
    "analyze_many": "visionkit.batch.runner",
    "analyze_many_async": "visionkit.batch.runner",
    "parse_rate": "visionkit.batch.ratelimit",
}

__all__ = [
    "PRESETS",
    "AdaptiveRateLimiter",
    "AsyncBatchRun",
    "BatchItem",
    "BatchRun",
    "BatchStats",
    "RateLimit",
    "RateLimitedTransport",
    "TokenBucket",
    "UnexpectedError",
    "analyze_many",
    "analyze_many_async",
    "parse_rate",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

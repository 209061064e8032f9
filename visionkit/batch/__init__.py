"""Many images at once: streaming, concurrent, rate-limited, cached.

>>> from visionkit import analyze_many
>>> for item in analyze_many(Path("photos").rglob("*.jpg"), backend="azure", rate="S1"):
...     print(item.input, item.result.summary() if item.ok else item.error)

See ``docs/batch.md`` for the design and the measured throughput.
"""

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

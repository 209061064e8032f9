"""HTTP plumbing shared by every cloud backend: pooled clients, one retry loop, error wording.

Nothing here knows a vendor. A backend builds its requests and maps its
answers (see :mod:`visionkit.backends.azure`); sending them, retrying them,
running multi-request operations sync or async (:mod:`.flow`) and explaining
a dead connection happen here, the same way for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visionkit.lazy import lazy_exports

if TYPE_CHECKING:
    from visionkit.backends.http.clients import HttpClients
    from visionkit.backends.http.errors import transport_error
    from visionkit.backends.http.flow import Flow, Wait, run_flow, run_flow_async
    from visionkit.backends.http.limits import (
        DEFAULT_MAX_RESPONSE_BYTES,
        Deadline,
        DeadlineExceeded,
        ResponseTooLarge,
    )
    from visionkit.backends.http.retry import (
        MAX_RETRY_AFTER_S,
        RETRYABLE_ERRORS,
        RETRYABLE_STATUSES,
        Clock,
        ManualClock,
        Retrier,
        RetryPolicy,
        SystemClock,
        parse_retry_after,
    )
    from visionkit.backends.http.secrets import Scrubber

#: Each public name and its module, imported on first access (PEP 562): the result
#: cache imports :mod:`.secrets` alone, which must not bring in httpx and the retry loop.
_EXPORTS: dict[str, str] = {
    "DEFAULT_MAX_RESPONSE_BYTES": "visionkit.backends.http.limits",
    "MAX_RETRY_AFTER_S": "visionkit.backends.http.retry",
    "RETRYABLE_ERRORS": "visionkit.backends.http.retry",
    "RETRYABLE_STATUSES": "visionkit.backends.http.retry",
    "Clock": "visionkit.backends.http.retry",
    "Deadline": "visionkit.backends.http.limits",
    "DeadlineExceeded": "visionkit.backends.http.limits",
    "Flow": "visionkit.backends.http.flow",
    "HttpClients": "visionkit.backends.http.clients",
    "ManualClock": "visionkit.backends.http.retry",
    "ResponseTooLarge": "visionkit.backends.http.limits",
    "Retrier": "visionkit.backends.http.retry",
    "RetryPolicy": "visionkit.backends.http.retry",
    "Scrubber": "visionkit.backends.http.secrets",
    "SystemClock": "visionkit.backends.http.retry",
    "Wait": "visionkit.backends.http.flow",
    "parse_retry_after": "visionkit.backends.http.retry",
    "run_flow": "visionkit.backends.http.flow",
    "run_flow_async": "visionkit.backends.http.flow",
    "transport_error": "visionkit.backends.http.errors",
}

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_RETRY_AFTER_S",
    "RETRYABLE_ERRORS",
    "RETRYABLE_STATUSES",
    "Clock",
    "Deadline",
    "DeadlineExceeded",
    "Flow",
    "HttpClients",
    "ManualClock",
    "ResponseTooLarge",
    "Retrier",
    "RetryPolicy",
    "Scrubber",
    "SystemClock",
    "Wait",
    "parse_retry_after",
    "run_flow",
    "run_flow_async",
    "transport_error",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

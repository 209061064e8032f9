"""HTTP plumbing shared by every cloud backend: pooled clients, one retry loop, error wording.

Nothing here knows a vendor. A backend builds its requests and maps its
answers (see :mod:`visionkit.backends.azure`); sending them, retrying them,
running multi-request operations sync or async (:mod:`.flow`) and explaining
a dead connection happen here, the same way for all of them.
"""

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

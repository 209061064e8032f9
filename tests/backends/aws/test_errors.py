from __future__ import annotations

import pytest

from visionkit.backends.aws.errors import error_from_response, is_retryable
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    InvalidImageError,
    RateLimitError,
)

from .conftest import hand_made, raw_http


@pytest.mark.parametrize(
    ("name", "cls", "code", "retry"),
    [
        ("400-throttling", RateLimitError, "ThrottlingException", True),
        ("500-throttling", RateLimitError, "ThrottlingException", True),
        (
            "400-provisioned-throughput",
            RateLimitError,
            "ProvisionedThroughputExceededException",
            True,
        ),
        ("400-access-denied", AuthenticationError, "AccessDeniedException", False),
        ("400-unrecognized-client", AuthenticationError, "UnrecognizedClientException", False),
        ("400-expired-token", AuthenticationError, "ExpiredTokenException", False),
        ("400-invalid-image-format", InvalidImageError, "InvalidImageFormatException", False),
        ("400-image-too-large", InvalidImageError, "ImageTooLargeException", False),
        ("400-invalid-parameter", BackendError, "InvalidParameterException", False),
        ("500-internal-server-error", BackendUnavailableError, "InternalServerError", True),
        ("503-html", BackendUnavailableError, None, True),
        ("400-error-type-header-only", AuthenticationError, "AccessDeniedException", False),
    ],
)
def test_every_hand_made_error_maps_by_its_code(name, cls, code, retry):
    response = hand_made(name)
    error = error_from_response(
        response.status_code, response.content, response.headers, operation="DetectLabels"
    )
    assert type(error) is cls
    assert error.code == code and error.backend == "aws"
    assert "DetectLabels" in str(error)
    assert is_retryable(response) is retry


def test_the_guides_raw_http_400():
    response = raw_http("docs-examples/error.InvalidS3ObjectException.http.txt")
    error = error_from_response(
        response.status_code, response.content, response.headers, operation="DetectLabels"
    )
    assert type(error) is BackendError and error.code == "InvalidS3ObjectException"
    assert error.request_id == "03507c9b-7e84-11e9-9ad1-854a4567eb71"
    assert "Unable to get object metadata from S3" in str(error)
    assert not is_retryable(response)

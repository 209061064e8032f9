"""Record mode's by-value scrubbing for the Google and AWS ways of sending secrets.

Hand-made requests with the real header names (``X-Goog-Api-Key``, ``key=``,
``Authorization: Bearer``, SigV4's ``Authorization``, ``X-Amz-Security-Token``);
the backends' own traffic is recorded in ``tests/backends/test_record_untrusted_cloud.py``.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import httpx
from testing.cassette_factories import exchange

from visionkit.testing import scrub_interaction
from visionkit.testing.scrub import REDACTED, secrets_in

ACCESS_KEY = "AKIAVKFAKE0123456789"
SIGNATURE = "9a9ca923a32c6a16d0295f1343458206d6d4f7b404700df78376f508c3d7c67d"
SIGV4 = (
    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261204/eu-west-1/rekognition/aws4_request, "
    f"SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
    f"Signature={SIGNATURE}"
)
TOKEN = "vkfaketoken/IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQ+=="


def _aws_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        "https://rekognition.eu-west-1.amazonaws.com/",
        headers={
            "Authorization": SIGV4,
            "X-Amz-Security-Token": TOKEN,
            "X-Amz-Date": "20261204T033229Z",
            "X-Amz-Target": "RekognitionService.DetectLabels",
        },
    )


def test_a_sigv4_header_yields_the_signature_and_the_access_key_id():
    found = secrets_in(_aws_request())
    assert {SIGV4, SIGNATURE, ACCESS_KEY, TOKEN} <= found
    # Neither X-Amz-Date nor the scope's words are secret: replacing every "rekognition"
    # or "content-type" in the cassette would wreck it.
    assert found.isdisjoint({"20261204T033229Z", "20261204", "rekognition", "content-type"})


def test_google_keys_and_tokens_are_found_in_headers_and_the_query():
    key, token = "AIzaSyVK-0123456789abcdefghij", "ya29.vkfake-0123456789abcdef"
    request = httpx.Request(
        "POST",
        f"https://vision.googleapis.com/v1/images:annotate?key={key}",
        headers={"X-Goog-Api-Key": key, "Authorization": f"Bearer {token}"},
    )
    assert {key, token, f"Bearer {token}"} <= secrets_in(request)


def test_every_form_of_an_echoed_secret_is_scrubbed_from_bodies_and_headers():
    secrets = secrets_in(_aws_request())
    echoes = [TOKEN, quote(TOKEN, safe=""), quote(TOKEN), quote_plus(TOKEN), SIGNATURE]
    leaky = exchange(
        "POST",
        "/",
        {"echo": " ".join(echoes), "nested": {TOKEN: [ACCESS_KEY]}},
        headers=(
            ("location", f"https://elsewhere.example/next?t={quote(TOKEN, safe='')}"),
            ("x-echo", SIGV4),
        ),
    )
    scrubbed = scrub_interaction(leaky, secrets=secrets)
    text = scrubbed.to_json()
    for form in {*echoes, ACCESS_KEY, quote(SIGV4)}:
        assert form not in text
    assert scrubbed.response.body["echo"] == " ".join([REDACTED] * len(echoes))
    assert scrubbed.response.body["nested"] == {REDACTED: [REDACTED]}

"""The real header and body names Google uses for secrets are caught by visionkit's scrubber."""

from __future__ import annotations

import json

import httpx

from visionkit.testing.cassette import Interaction, RecordedRequest, RecordedResponse
from visionkit.testing.scrub import REDACTED, scrub_interaction, secrets_in

from .conftest import ANNOTATE, KEY, answer, cloudy, drawn_image, hand_made

TOKEN = hand_made("token-ok")["body"]["access_token"]


def test_the_api_key_header_is_a_secret_and_is_redacted(analyzer, respx_mock):
    route = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    analyzer.analyze(drawn_image((40, 30)), ["tags"])
    sent = route.calls.last.request
    assert KEY in secrets_in(sent)
    recorded = RecordedRequest.from_httpx(sent, keep_headers=("x-goog-api-key", "content-type"))
    response = RecordedResponse.from_content(
        200, [("content-type", "application/json")], json.dumps({"echo": KEY}).encode()
    )
    scrubbed = scrub_interaction(
        Interaction(request=recorded, response=response, recorded_at="2026-12-03T00:00:00Z"),
        secrets=secrets_in(sent),
    )
    assert dict(scrubbed.request.headers)["x-goog-api-key"] == REDACTED
    assert KEY not in scrubbed.to_json()


def test_a_bearer_token_and_a_token_answer_are_redacted():
    request = httpx.Request("POST", ANNOTATE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert TOKEN in secrets_in(request)
    body = json.dumps(hand_made("token-ok")["body"]).encode()
    interaction = Interaction(
        request=RecordedRequest("POST", "/token"),
        response=RecordedResponse.from_content(200, [("content-type", "application/json")], body),
        recorded_at="2026-12-03T00:00:00Z",
    )
    scrubbed = scrub_interaction(interaction)
    assert scrubbed.response.body["access_token"] == REDACTED
    assert TOKEN not in scrubbed.to_json()

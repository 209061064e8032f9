"""The google backend under analyze_many: one shared, rate-limited transport per run."""

from __future__ import annotations

import base64
import json

import pytest

from visionkit.batch import analyze_many, analyze_many_async
from visionkit.errors import AuthenticationError, InvalidImageError
from visionkit.features import Feature

from .conftest import ANNOTATE, KEY, answer, cloudy, drawn_image, hand_made_response, sent_body

F = Feature


def test_analyze_many_runs_google_through_its_own_pooled_analyzer(respx_mock):
    route = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("fruit.jpg")))
    images = [drawn_image((40 + i, 30)) for i in range(5)]
    run = analyze_many(images, [F.TAGS, F.METADATA], backend="google", api_key=KEY, cache=False)
    items = list(run)
    assert [it.result.metadata.width for it in items] == [40, 41, 42, 43, 44]
    # The async path sends one image per request: the engine's units are single images.
    assert route.call_count == 5
    assert all(len(sent_body(route, i)["requests"]) == 1 for i in range(5))
    assert run.stats.requests == 5
    assert all(c.request.headers["X-Goog-Api-Key"] == KEY for c in route.calls)


async def test_a_per_image_error_fails_only_that_item(respx_mock):
    images = [drawn_image((40, 30)), drawn_image((41, 30))]
    broken = base64.b64encode(images[1]).decode()

    def reply(request):  # the two requests run concurrently: answer by content, not order
        content = json.loads(request.content)["requests"][0]["image"]["content"]
        if content == broken:
            return hand_made_response("200-per-image-error")
        return answer(cloudy("fruit.jpg"))

    respx_mock.post(ANNOTATE).mock(side_effect=reply)
    run = analyze_many_async(images, [F.TAGS], backend="google", api_key=KEY, cache=False)
    items = [item async for item in run]
    assert items[0].ok
    assert isinstance(items[1].error, InvalidImageError)


def test_a_rejected_key_stops_the_run(respx_mock):
    respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("400-api-key-invalid"))
    images = [drawn_image((40, 30))] * 3
    with pytest.raises(AuthenticationError):
        list(analyze_many(images, [F.TAGS], backend="google", api_key=KEY, cache=False))


def test_your_own_analyzer_in_a_sync_run_sends_16_images_per_request(respx_mock, analyzer):
    def reply(request):
        return answer(*[cloudy("fruit.jpg")] * len(json.loads(request.content)["requests"]))

    route = respx_mock.post(ANNOTATE).mock(side_effect=reply)
    images = [drawn_image((40 + i, 30)) for i in range(20)]
    items = list(analyze_many(images, [F.TAGS, F.METADATA], analyzer=analyzer, cache=False))
    assert [it.result.metadata.width for it in items] == [40 + i for i in range(20)]
    assert sorted(len(sent_body(route, i)["requests"]) for i in range(route.call_count)) == [4, 16]

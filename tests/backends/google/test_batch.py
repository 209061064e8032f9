"""The google backend under analyze_many: one shared, rate-limited transport per run, and
16 images per ``images:annotate`` request on the async path as on worker threads."""

from __future__ import annotations

import base64
import json

import pytest

from visionkit.batch import analyze_many, analyze_many_async
from visionkit.cache import ResultCache
from visionkit.errors import AuthenticationError, InvalidImageError
from visionkit.features import Feature

from .conftest import (
    ANNOTATE,
    KEY,
    answer,
    cloudy,
    drawn_image,
    hand_made,
    hand_made_response,
    sent_body,
)

F = Feature


def _one_answer_per_image(request):
    return answer(*[cloudy("fruit.jpg")] * len(json.loads(request.content)["requests"]))


@pytest.fixture
def cats(cifar10_dir):
    """20 real CIFAR-10 test photos (32x32 JPEGs), distinct so each item is known by its bytes."""
    return sorted((cifar10_dir / "test" / "cat").glob("*.jpg"))[:20]


def test_analyze_many_runs_google_through_its_own_pooled_analyzer(respx_mock):
    route = respx_mock.post(ANNOTATE).mock(side_effect=_one_answer_per_image)
    images = [drawn_image((40 + i, 30)) for i in range(5)]
    run = analyze_many(images, [F.TAGS, F.METADATA], backend="google", api_key=KEY, cache=False)
    items = list(run)
    assert [it.result.metadata.width for it in items] == [40, 41, 42, 43, 44]
    # The async path sends Google's batches too: five images, one request.
    assert route.call_count == 1
    assert len(sent_body(route)["requests"]) == 5
    assert run.stats.requests == 1
    assert all(c.request.headers["X-Goog-Api-Key"] == KEY for c in route.calls)


def test_the_async_path_sends_16_images_per_request(respx_mock, cats):
    route = respx_mock.post(ANNOTATE).mock(side_effect=_one_answer_per_image)
    run = analyze_many(cats, [F.TAGS, F.METADATA], backend="google", api_key=KEY, cache=False)
    items = list(run)
    assert [it.input for it in items] == cats
    assert all(it.ok and it.result.metadata.width == 32 for it in items)
    assert sorted(len(sent_body(route, i)["requests"]) for i in range(route.call_count)) == [4, 16]
    assert (run.stats.requests, run.stats.done, run.stats.failed) == (2, 20, 0)
    # Each image went exactly once.
    sent = [
        r["image"]["content"]
        for c in route.calls
        for r in json.loads(c.request.content)["requests"]
    ]
    assert sorted(sent) == sorted(base64.b64encode(p.read_bytes()).decode() for p in cats)


async def test_a_per_image_error_in_a_batch_fails_only_that_item(respx_mock, cats):
    images = [p.read_bytes() for p in cats[:3]]
    broken = base64.b64encode(images[1]).decode()
    error = hand_made("200-per-image-error")["body"]["responses"][0]

    def reply(request):
        sent = [r["image"]["content"] for r in json.loads(request.content)["requests"]]
        return answer(*[error if c == broken else cloudy("fruit.jpg") for c in sent])

    route = respx_mock.post(ANNOTATE).mock(side_effect=reply)
    run = analyze_many_async(images, [F.TAGS], backend="google", api_key=KEY, cache=False)
    items = [item async for item in run]
    assert route.call_count == 1
    assert [it.ok for it in items] == [True, False, True]
    assert isinstance(items[1].error, InvalidImageError)
    assert items[0].result.tags and items[2].result.tags


async def test_a_failed_request_fails_its_images_and_only_them(respx_mock, cats):
    def reply(request):  # the 16-image request is refused as a whole, the 4-image one answered
        if len(json.loads(request.content)["requests"]) == 16:
            return hand_made_response("400-payload-too-large")
        return _one_answer_per_image(request)

    route = respx_mock.post(ANNOTATE).mock(side_effect=reply)
    run = analyze_many_async(cats, [F.TAGS], backend="google", api_key=KEY, cache=False)
    items = [item async for item in run]
    assert route.call_count == 2
    assert [it.ok for it in items] == [False] * 16 + [True] * 4
    assert all("payload size exceeds" in str(it.error) for it in items[:16])
    assert run.stats.failed == 16


async def test_an_unreadable_input_fails_alone_and_the_rest_share_a_request(respx_mock, cats):
    route = respx_mock.post(ANNOTATE).mock(side_effect=_one_answer_per_image)
    images = [cats[0], b"not an image at all", cats[1]]
    run = analyze_many_async(images, [F.TAGS], backend="google", api_key=KEY, cache=False)
    items = [item async for item in run]
    assert [it.ok for it in items] == [True, False, True]
    assert isinstance(items[1].error, InvalidImageError)
    assert route.call_count == 1 and len(sent_body(route)["requests"]) == 2


async def test_cached_images_are_left_out_of_the_next_request(respx_mock, cats, tmp_path):
    route = respx_mock.post(ANNOTATE).mock(side_effect=_one_answer_per_image)
    store = ResultCache(tmp_path / "c.sqlite3")
    first = analyze_many_async(cats[:5], [F.TAGS], backend="google", api_key=KEY, cache=store)
    assert [it.cached async for it in first] == [False] * 5
    second = analyze_many_async(cats[:8], [F.TAGS], backend="google", api_key=KEY, cache=store)
    assert [it.cached async for it in second] == [True] * 5 + [False] * 3
    assert route.call_count == 2
    assert len(sent_body(route, 1)["requests"]) == 3
    assert KEY.encode() not in (tmp_path / "c.sqlite3").read_bytes()


def test_a_rejected_key_stops_the_run(respx_mock):
    respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("400-api-key-invalid"))
    images = [drawn_image((40, 30))] * 3
    with pytest.raises(AuthenticationError):
        list(analyze_many(images, [F.TAGS], backend="google", api_key=KEY, cache=False))


def test_your_own_analyzer_in_a_sync_run_sends_16_images_per_request(respx_mock, analyzer):
    route = respx_mock.post(ANNOTATE).mock(side_effect=_one_answer_per_image)
    images = [drawn_image((40 + i, 30)) for i in range(20)]
    items = list(analyze_many(images, [F.TAGS, F.METADATA], analyzer=analyzer, cache=False))
    assert [it.result.metadata.width for it in items] == [40 + i for i in range(20)]
    assert sorted(len(sent_body(route, i)["requests"]) for i in range(route.call_count)) == [4, 16]

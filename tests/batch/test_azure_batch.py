"""A batch against the real Azure backend, its service mocked with respx: the run's own
connection pool and rate limiter, 429s that slow it down, and a cache that saves the calls."""

from __future__ import annotations

import httpx
import pytest
import respx

from visionkit.batch import analyze_many, analyze_many_async
from visionkit.cache import ResultCache

ENDPOINT = "https://vk-batch.cognitiveservices.azure.com/"
ANALYZE = "https://vk-batch.cognitiveservices.azure.com/vision/v3.2/analyze"
KEY = "5b1e0c9a7d3f4e2b8c6a1d0f9e7b3c55"
BODY = {
    "tags": [{"name": "cat", "confidence": 0.97}],
    "requestId": "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d",
    "metadata": {"width": 32, "height": 32, "format": "Jpeg"},
    "modelVersion": "2021-05-01",
}
THROTTLED = {"error": {"code": "429", "message": "Rate limit is exceeded."}}


@pytest.fixture
def photos(cifar10_dir):
    return sorted((cifar10_dir / "test" / "cat").glob("*.jpg"))[:12]


def azure(**extra):
    return {"backend": "azure", "endpoint": ENDPOINT, "key": KEY, **extra}


@respx.mock(assert_all_mocked=True)
def test_a_cloud_batch_paces_itself_and_counts_calls_and_429s(respx_mock, photos):
    answers = [httpx.Response(429, json=THROTTLED, headers={"Retry-After": "0"})] * 2
    route = respx_mock.post(ANALYZE).mock(
        side_effect=[*answers, *[httpx.Response(200, json=BODY)] * 12]
    )
    run = analyze_many(photos, ["tags"], rate="1000/s", cache=False, **azure())
    items = list(run)
    assert all(it.ok for it in items) and [it.input for it in items] == photos
    assert items[0].result.tags[0].name == "cat"
    assert route.call_count == 14
    assert (run.stats.requests, run.stats.throttled, run.stats.done) == (14, 2, 12)
    for call in route.calls:
        assert call.request.headers["Ocp-Apim-Subscription-Key"] == KEY


@respx.mock(assert_all_mocked=True)
async def test_the_async_run_shares_the_pool_and_the_cache_saves_every_repeat(
    respx_mock, photos, tmp_path
):
    route = respx_mock.post(ANALYZE).mock(return_value=httpx.Response(200, json=BODY))
    store = ResultCache(tmp_path / "c.sqlite3")
    first = analyze_many_async(photos, ["tags"], cache=store, concurrency=4, **azure())
    assert [it.cached async for it in first] == [False] * 12
    second = analyze_many_async(photos, ["tags"], cache=store, **azure())
    assert [it.cached async for it in second] == [True] * 12
    assert route.call_count == 12 and second.stats.requests == 0
    assert KEY.encode() not in (tmp_path / "c.sqlite3").read_bytes()


@respx.mock(assert_all_mocked=True)
def test_an_image_the_service_refuses_is_one_failed_item(respx_mock, photos):
    refused = {
        "error": {"code": "InvalidImageFormat", "message": "Input data is not a valid image."}
    }
    respx_mock.post(ANALYZE).mock(
        side_effect=[httpx.Response(400, json=refused), *[httpx.Response(200, json=BODY)] * 3]
    )
    run = analyze_many(photos[:4], ["tags"], concurrency=1, cache=False, **azure())
    items = list(run)
    assert [it.ok for it in items] == [False, True, True, True]
    assert run.stats.failed == 1 and "not a valid image" in str(items[0].error)


@respx.mock(assert_all_mocked=True)
def test_a_rejected_key_stops_the_run(respx_mock, photos):
    denied = {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}}
    respx_mock.post(ANALYZE).mock(return_value=httpx.Response(401, json=denied))
    from visionkit.errors import AuthenticationError

    with pytest.raises(AuthenticationError):
        list(analyze_many(photos, ["tags"], cache=False, **azure()))


@pytest.fixture
def configured():
    import visionkit

    yield visionkit.configure
    visionkit.reset_configuration()


@respx.mock(assert_all_mocked=True)
def test_a_run_reads_its_image_settings_once_when_it_starts(
    respx_mock, photos, monkeypatch, configured
):
    from visionkit.images import sources

    route = respx_mock.post(ANALYZE).mock(return_value=httpx.Response(200, json=BODY))
    smallest = min(p.stat().st_size for p in photos)
    configured(images={"max_bytes": smallest})  # all but the smallest are too big
    lookups = []
    real = sources.configured_limits
    monkeypatch.setattr(sources, "configured_limits", lambda: lookups.append(1) or real())
    run = analyze_many(photos, ["tags"], concurrency=4, cache=False, **azure())
    configured(images={"max_bytes": 10**9})  # after the start: not this run's
    items = list(run)
    fitting = [p.stat().st_size <= smallest for p in photos]
    assert [it.ok for it in items] == fitting and route.call_count == sum(fitting)
    assert all("bytes" in str(it.error) for it in items if not it.ok)
    assert lookups == []  # no image looked the settings up again
    # An analyzer a caller builds still follows the configuration image by image.
    from visionkit.backends.azure import AzureAnalyzer

    with AzureAnalyzer(endpoint=ENDPOINT, key=KEY) as analyzer:
        assert analyzer.analyze(photos[-1], ["tags"]).tags[0].name == "cat"
    assert lookups == [1]

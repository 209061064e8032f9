from __future__ import annotations

import io
import json
import logging

import httpx
import pytest

from visionkit.backends.azure import AzureAnalyzer, AzureOptions
from visionkit.backends.registry import get_backend_class
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    InvalidImageError,
    RateLimitError,
    UnsupportedFeatureError,
    VisionKitError,
)
from visionkit.features import Feature
from visionkit.results import BoundingBox

from .conftest import (
    BASE,
    ENDPOINT,
    IMAGES,
    KEY,
    OPERATION_URL,
    assert_invariants,
    dotnet_entries,
    dotnet_response,
    hand_made,
    read_submitted,
    read_succeeded,
    spec_example,
)

URL = "https://images.example.org/satya.jpg"
ANALYZE = f"{BASE}/analyze"
READ = f"{BASE}/read/analyze"
F = Feature


def _full_answer() -> httpx.Response:
    return httpx.Response(
        200,
        json=spec_example("SuccessfulAnalyzeImageWithUrl"),
        headers={"apim-request-id": "hdr-1"},
    )


class TestAnalyzeRequests:
    def test_url_input_sends_json_the_key_and_the_features(self, analyzer, respx_mock):
        route = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        analyzer.analyze(URL, ["tags", "landmarks"])
        request = route.calls.last.request
        assert json.loads(request.content) == {"url": URL}
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Ocp-Apim-Subscription-Key"] == KEY
        assert request.url.params["visualFeatures"] == "Categories,Tags"
        assert request.url.params["details"] == "Landmarks"

    def test_bytes_input_sends_the_file_untouched(self, analyzer, respx_mock, satya_jpg):
        route = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        analyzer.analyze(satya_jpg.read_bytes(), [F.COLORS])
        request = route.calls.last.request
        assert request.content == satya_jpg.read_bytes()
        assert request.headers["Content-Type"] == "application/octet-stream"
        assert request.url.params["visualFeatures"] == "Color"

    def test_language_and_model_version_options(self, respx_mock, clock):
        route = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        with AzureAnalyzer(
            endpoint=ENDPOINT, key=KEY, language="pt", model_version="2021-04-01", clock=clock
        ) as azure:
            azure.analyze(URL, [F.TAGS])
        params = route.calls.last.request.url.params
        assert (params["language"], params["model-version"]) == ("pt", "2021-04-01")

    def test_metadata_of_a_local_image_costs_no_call(self, analyzer, respx_mock, satya_jpg):
        result = analyzer.analyze(satya_jpg, [F.METADATA])
        assert not respx_mock.calls
        assert (result.metadata.width, result.metadata.height) == (512, 288)
        assert result.metadata.format == "JPEG"

    def test_unknown_feature_is_refused_before_any_call(self, analyzer, respx_mock):
        with pytest.raises(ConfigError, match="Unknown feature"):
            analyzer.analyze(URL, ["tagz"])
        assert not respx_mock.calls


class TestAnalyzeResults:
    def test_everything_from_a_url(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=read_succeeded())
        result = analyzer.analyze(URL)
        assert_invariants(result, frozenset(Feature), size=(1500, 1000))
        assert result.caption.text == "Satya Nadella sitting on a bench"
        assert result.full_text.splitlines()[0] == "Our greatest glory is not"
        assert result.request_id == "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d"
        assert result.model_version == "2021-04-01"
        assert set(result.raw) == {"analyze", "read"}
        assert result.raw["read"]["status"] == "succeeded"
        assert result.elapsed_s is not None

    def test_features_not_asked_for_are_none_even_when_azure_sends_them(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        result = analyzer.analyze(URL, [F.CELEBRITIES])
        assert_invariants(result, {F.CELEBRITIES})
        assert result.celebrities[0].name == "Satya Nadella"
        assert result.categories is None and result.landmarks is None
        assert result.metadata is None and result.tags is None

    def test_metadata_describes_the_callers_image(self, analyzer, respx_mock, satya_jpg):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())  # says 1500x1000 Jpeg
        result = analyzer.analyze(satya_jpg, [F.TAGS, F.METADATA])
        assert (result.metadata.width, result.metadata.height) == (512, 288)
        assert result.raw["analyze"]["metadata"]["width"] == 1500

    def test_boxes_of_an_upscaled_image_come_back_in_the_callers_pixels(
        self, analyzer, respx_mock, tmp_path
    ):
        from PIL import Image

        tiny = tmp_path / "tiny.png"
        with Image.open(IMAGES / "satya.jpg") as img:
            img.convert("RGB").resize((40, 25)).save(tiny)  # sent as 80x50
        answer = {
            "objects": [
                {
                    "rectangle": {"x": 8, "y": 10, "w": 40, "h": 20},
                    "object": "person",
                    "confidence": 0.8,
                }
            ],
            "requestId": "r",
            "metadata": {"width": 80, "height": 50, "format": "Png"},
        }
        route = respx_mock.post(ANALYZE).mock(return_value=httpx.Response(200, json=answer))
        result = analyzer.analyze(tiny, [F.OBJECTS, F.METADATA])
        with Image.open(io.BytesIO(route.calls.last.request.content)) as sent:
            assert sent.size == (80, 50)
        assert result.objects[0].box == BoundingBox(4, 5, 20, 10)
        assert (result.metadata.width, result.metadata.height) == (40, 25)
        assert_invariants(result, {F.OBJECTS, F.METADATA}, size=(40, 25))

    def test_each_call_gets_the_upload_its_operation_accepts(self, analyzer, respx_mock, tmp_path):
        from PIL import Image

        gif = tmp_path / "satya.gif"
        with Image.open(IMAGES / "satya.jpg") as img:
            img.save(gif)  # Analyze Image takes GIF; Read does not
        analyze = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        read = respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=read_succeeded())
        analyzer.analyze(gif, [F.TAGS, F.TEXT])
        assert analyze.calls.last.request.content == gif.read_bytes()
        with Image.open(io.BytesIO(read.calls.last.request.content)) as sent:
            assert (sent.format, sent.size) == ("PNG", (512, 288))

    def test_text_only_makes_no_analyze_call(self, analyzer, respx_mock, satya_jpg):
        submit = respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=read_succeeded())
        result = analyzer.analyze(satya_jpg, [F.TEXT])
        assert submit.calls.last.request.content == satya_jpg.read_bytes()
        assert len(result.text) == 4
        assert result.request_id == "read-req-1"
        assert result.model_version == "2021-04-12"
        assert set(result.raw) == {"read"}

    def test_text_and_metadata_of_a_url_cost_only_the_read_call(self, analyzer, respx_mock):
        respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=read_succeeded())
        result = analyzer.analyze(URL, [F.TEXT, F.METADATA])
        assert [call.request.url.path for call in respx_mock.calls] == [
            "/vision/v3.2/read/analyze",
            f"/vision/v3.2/read/analyzeResults/{OPERATION_URL.rsplit('/', 1)[1]}",
        ]
        assert (result.metadata.width, result.metadata.height) == (600, 400)

    def test_metadata_alone_of_a_url_asks_analyze_with_the_service_default(
        self, analyzer, respx_mock
    ):
        route = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        result = analyzer.analyze(URL, [F.METADATA])
        assert "visualFeatures" not in route.calls.last.request.url.params
        assert (result.metadata.width, result.metadata.format) == (1500, "JPEG")
        assert result.categories is None


class TestReadPolling:
    def test_polls_with_growing_waits_until_succeeded(self, analyzer, respx_mock, clock):
        really_running = dotnet_response(dotnet_entries("BatchReadFileInStreamTest")[1])
        respx_mock.post(READ).mock(return_value=read_submitted())
        poll = respx_mock.get(OPERATION_URL).mock(
            side_effect=[really_running, hand_made("read-running"), read_succeeded()]
        )
        lines = analyzer.read_text(URL)
        assert poll.call_count == 3
        assert clock.sleeps == [0.5, 0.75, 1.125]
        assert lines[1].text == "but in rising every time we fall"
        assert all(
            poll_call.request.headers["Ocp-Apim-Subscription-Key"] == KEY
            for poll_call in poll.calls
        )

    def test_failed_operation(self, analyzer, respx_mock):
        respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=hand_made("read-failed"))
        with pytest.raises(BackendError, match="Read operation failed") as info:
            analyzer.read_text(URL)
        assert info.value.request_id == "read-req-1"

    def test_gives_up_after_the_maximum_wait(self, respx_mock, clock):
        respx_mock.post(READ).mock(return_value=read_submitted())
        poll = respx_mock.get(OPERATION_URL).mock(return_value=hand_made("read-running"))
        azure = AzureAnalyzer(endpoint=ENDPOINT, key=KEY, clock=clock, read_max_wait_s=2)
        with azure, pytest.raises(BackendTimeoutError, match="still running after 2s"):
            azure.read_text(URL)
        assert sum(clock.sleeps) == pytest.approx(2.0)
        assert poll.call_count == len(clock.sleeps)

    def test_a_202_without_operation_location(self, analyzer, respx_mock):
        respx_mock.post(READ).mock(return_value=httpx.Response(202))
        with pytest.raises(BackendError, match="no Operation-Location"):
            analyzer.read_text(URL)

    async def test_async_polling(self, analyzer, respx_mock, clock):
        respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(
            side_effect=[hand_made("read-running"), read_succeeded()]
        )
        lines = await analyzer.read_text_async(URL)
        assert len(lines) == 4
        assert clock.sleeps == [0.5, 0.75]


class TestErrorsAndRetries:
    def test_401_is_an_authentication_error_and_is_not_retried(self, analyzer, respx_mock):
        route = respx_mock.post(ANALYZE).mock(return_value=hand_made("401-invalid-key"))
        with pytest.raises(AuthenticationError) as info:
            analyzer.analyze(URL, [F.TAGS])
        assert route.call_count == 1
        assert info.value.request_id == "a7c0b8a4-0000-4000-8000-000000000401"

    def test_429_with_retry_after_then_success(self, analyzer, respx_mock, clock):
        route = respx_mock.post(ANALYZE).mock(
            side_effect=[hand_made("429-rate-limit"), _full_answer()]
        )
        assert analyzer.analyze(URL, [F.TAGS]).tags
        assert route.call_count == 2
        assert clock.sleeps == [2.0]

    def test_429_without_retry_after_backs_off(self, analyzer, respx_mock, clock):
        bare = httpx.Response(429, json={"error": {"code": "429", "message": "slow down"}})
        respx_mock.post(ANALYZE).mock(side_effect=[bare, _full_answer()])
        analyzer.analyze(URL, [F.TAGS])
        assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= 0.5

    def test_429_until_retries_run_out(self, respx_mock, clock):
        route = respx_mock.post(ANALYZE).mock(return_value=hand_made("429-rate-limit"))
        azure = AzureAnalyzer(endpoint=ENDPOINT, key=KEY, clock=clock, max_retries=2)
        with azure, pytest.raises(RateLimitError) as info:
            azure.analyze(URL, [F.TAGS])
        assert route.call_count == 3
        assert info.value.retry_after == 2.0
        assert info.value.status == 429

    def test_503_then_success(self, analyzer, respx_mock):
        route = respx_mock.post(ANALYZE).mock(
            side_effect=[hand_made("503-unavailable"), _full_answer()]
        )
        assert analyzer.analyze(URL, [F.TAGS]).tags
        assert route.call_count == 2

    def test_5xx_until_retries_run_out(self, analyzer, respx_mock):
        route = respx_mock.post(ANALYZE).mock(return_value=hand_made("500-internal"))
        with pytest.raises(BackendUnavailableError, match="kept failing"):
            analyzer.analyze(URL, [F.TAGS])
        assert route.call_count == 4

    def test_400_invalid_image_names_the_source_and_is_not_retried(
        self, analyzer, respx_mock, satya_jpg
    ):
        route = respx_mock.post(ANALYZE).mock(return_value=hand_made("400-invalid-image-format"))
        with pytest.raises(InvalidImageError) as info:
            analyzer.analyze(satya_jpg, [F.TAGS])
        assert route.call_count == 1
        assert info.value.source == str(satya_jpg)
        assert info.value.code == "InvalidImageFormat"

    def test_connection_refused_after_retries(self, analyzer, respx_mock):
        route = respx_mock.post(ANALYZE).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(BackendUnavailableError, match="Could not reach") as info:
            analyzer.analyze(URL, [F.TAGS])
        assert route.call_count == 4
        assert isinstance(info.value.__cause__, httpx.ConnectError)

    def test_timeouts_after_retries(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(BackendTimeoutError, match="timeout_s"):
            analyzer.analyze(URL, [F.TAGS])

    def test_truncated_success_body(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=httpx.Response(200, content=b'{"tags": [{'))
        with pytest.raises(BackendError, match="not valid JSON"):
            analyzer.analyze(URL, [F.TAGS])

    async def test_async_errors_and_retries(self, analyzer, respx_mock, clock):
        route = respx_mock.post(ANALYZE).mock(
            side_effect=[hand_made("503-unavailable"), hand_made("401-invalid-key")]
        )
        with pytest.raises(AuthenticationError):
            await analyzer.analyze_async(URL, [F.TAGS])
        assert route.call_count == 2
        assert len(clock.sleeps) == 1


class TestAsync:
    async def test_analyze_async_with_bytes_and_text(self, analyzer, respx_mock, satya_jpg):
        analyze = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        respx_mock.post(READ).mock(return_value=read_submitted())
        respx_mock.get(OPERATION_URL).mock(return_value=read_succeeded())
        result = await analyzer.analyze_async(satya_jpg, [F.TAGS, F.TEXT])
        assert analyze.calls.last.request.content == satya_jpg.read_bytes()
        assert_invariants(result, {F.TAGS, F.TEXT})
        assert len(result.tags) == 5 and len(result.text) == 4

    async def test_sync_and_async_give_equal_results(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        sync = analyzer.analyze(URL, [F.OBJECTS])
        asynchronous = await analyzer.analyze_async(URL, [F.OBJECTS])
        assert sync.with_timing(0.0) == asynchronous.with_timing(0.0)


class TestExtraOperations:
    def test_describe_returns_candidates_most_confident_first(self, analyzer, respx_mock):
        route = respx_mock.post(f"{BASE}/describe").mock(
            return_value=httpx.Response(200, json=spec_example("SuccessfulDescribeImageWithUrl"))
        )
        captions = analyzer.describe(URL, max_candidates=3)
        assert route.calls.last.request.url.params["maxCandidates"] == "3"
        assert [c.text for c in captions] == [
            "Satya Nadella sitting on a bench",
            "Satya Nadella is sitting on a bench",
            "Satya Nadella sitting in front of a building",
        ]

    async def test_describe_async(self, analyzer, respx_mock):
        respx_mock.post(f"{BASE}/describe").mock(
            return_value=httpx.Response(200, json=spec_example("SuccessfulDescribeImageWithUrl"))
        )
        assert len(await analyzer.describe_async(URL)) == 3

    def test_describe_checks_its_argument(self, analyzer):
        with pytest.raises(ValueError, match="max_candidates"):
            analyzer.describe(URL, max_candidates=0)

    def test_thumbnail_returns_the_image_azure_made(self, analyzer, respx_mock):
        (entry,) = dotnet_entries("ThumbnailImageTest")
        route = respx_mock.post(f"{BASE}/generateThumbnail").mock(
            return_value=dotnet_response(entry)
        )
        data = analyzer.thumbnail(URL, 64, 64, smart_crop=False)
        assert data == (IMAGES / "house_thumbnail.jpg").read_bytes()
        params = route.calls.last.request.url.params
        assert (params["width"], params["height"], params["smartCropping"]) == (
            "64",
            "64",
            "false",
        )

    async def test_thumbnail_async_refuses_a_non_image_answer(self, analyzer, respx_mock):
        respx_mock.post(f"{BASE}/generateThumbnail").mock(
            return_value=httpx.Response(200, json={"oops": True})
        )
        with pytest.raises(BackendError, match="not an image"):
            await analyzer.thumbnail_async(URL, 10, 10)

    @pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 1025)])
    def test_thumbnail_size_is_checked_before_any_call(self, analyzer, width, height):
        with pytest.raises(ValueError, match="between 1 and 1024"):
            analyzer.thumbnail(URL, width, height)

    def test_area_of_interest_from_a_url(self, analyzer, respx_mock):
        respx_mock.post(f"{BASE}/areaOfInterest").mock(
            return_value=httpx.Response(
                200, json=spec_example("SuccessfulGetAreaOfInterestWithUrl")
            )
        )
        assert analyzer.area_of_interest(URL) == BoundingBox(160, 0, 950, 951)

    async def test_area_of_interest_of_the_recorded_upload(self, analyzer, respx_mock):
        (entry,) = dotnet_entries("AreaOfInterestLogoTest")
        route = respx_mock.post(f"{BASE}/areaOfInterest").mock(return_value=dotnet_response(entry))
        box = await analyzer.area_of_interest_async(IMAGES / "achtung.jpg")
        assert box == BoundingBox(0, 0, 800, 578)
        assert route.calls.last.request.content == (IMAGES / "achtung.jpg").read_bytes()


class TestSecrets:
    def _every_failure(self, analyzer, respx_mock):
        for fixture in (
            "401-invalid-key",
            "429-rate-limit",
            "400-invalid-image-format",
            "404-resource-not-found",
            "500-timeout",
            "503-unavailable",
        ):
            respx_mock.post(ANALYZE).mock(return_value=hand_made(fixture))
            with pytest.raises(VisionKitError) as info:
                analyzer.analyze(URL, [F.TAGS])
            yield info.value
        respx_mock.post(ANALYZE).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(BackendError) as info:
            analyzer.analyze(URL, [F.TAGS])
        yield info.value

    def test_key_is_in_no_log_line_exception_or_repr(self, analyzer, respx_mock, caplog):
        caplog.set_level(logging.DEBUG)
        errors = list(self._every_failure(analyzer, respx_mock))
        assert len(errors) == 7
        assert caplog.records, "the retries should have been logged"
        for record in caplog.records:
            assert KEY not in record.getMessage()
        for error in errors:
            assert KEY not in str(error) and KEY not in repr(error)
            assert KEY not in str(error.__cause__ or "")
        assert KEY not in repr(analyzer)
        assert KEY not in repr(analyzer.options)
        assert "**********" in repr(analyzer)

    def test_config_error_never_shows_a_key(self):
        with pytest.raises(ConfigError) as info:
            AzureAnalyzer(key=KEY)
        assert KEY not in str(info.value)


class TestConfiguration:
    def test_registered_as_azure(self):
        assert get_backend_class("azure") is AzureAnalyzer
        assert AzureAnalyzer.capabilities == frozenset(Feature)

    @pytest.mark.parametrize(
        ("given", "missing"),
        [({"key": KEY}, "endpoint"), ({"endpoint": ENDPOINT}, "key"), ({}, "endpoint and key")],
    )
    def test_missing_credentials_name_the_env_vars_and_configure(self, given, missing):
        with pytest.raises(ConfigError, match=f"needs {missing}") as info:
            AzureAnalyzer(**given)
        text = str(info.value)
        assert "visionkit.configure(azure=" in text
        if "endpoint" in missing:
            assert "AZURE_VISION_ENDPOINT or VISION_ENDPOINT" in text
        if "key" in missing:
            assert "AZURE_VISION_KEY or VISION_KEY" in text

    @pytest.mark.parametrize("endpoint", ["vk-test.cognitiveservices.azure.com", "ftp://x"])
    def test_endpoint_must_be_a_url(self, endpoint):
        with pytest.raises(ConfigError, match="https:// URL"):
            AzureOptions(endpoint=endpoint)

    @pytest.mark.parametrize(
        ("setting", "value"),
        [("max_retries", -1), ("timeout_s", 0), ("read_max_wait_s", -1), ("backoff_max_s", -2)],
    )
    def test_impossible_settings_are_refused(self, setting, value):
        with pytest.raises(ConfigError, match=f"azure.{setting}"):
            AzureAnalyzer(endpoint=ENDPOINT, key=KEY, **{setting: value})

    def test_settings_reach_the_retry_policy_and_the_clients(self):
        azure = AzureAnalyzer(
            endpoint=ENDPOINT, key=KEY, timeout_s=7, max_retries=5, backoff_max_s=2
        )
        policy = azure.options.retry_policy()
        assert (policy.max_retries, policy.backoff_max_s) == (5, 2)
        assert azure._clients.sync.timeout.read == 7
        azure.close()

    def test_env_vars_through_the_front_door(self, monkeypatch, respx_mock, tmp_path):
        from visionkit.api import close_analyzers, get_analyzer

        monkeypatch.chdir(tmp_path)  # no config file found by accident
        monkeypatch.setenv("VISION_ENDPOINT", ENDPOINT)
        monkeypatch.setenv("AZURE_VISION_KEY", KEY)
        try:
            azure = get_analyzer("azure")
            assert isinstance(azure, AzureAnalyzer)
            assert azure.options.endpoint == ENDPOINT
            assert azure.options.key.reveal() == KEY
        finally:
            close_analyzers()

    def test_injected_client_is_used_and_left_open(self, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        mine = httpx.Client(headers={"User-Agent": "my-app"})
        with AzureAnalyzer(endpoint=ENDPOINT, key=KEY, http_client=mine) as azure:
            azure.analyze(URL, [F.TAGS])
        assert not mine.is_closed
        assert respx_mock.calls.last.request.headers["User-Agent"] == "my-app"
        mine.close()

    def test_transport_injection_for_recorders(self):
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return _full_answer()

        with AzureAnalyzer(
            endpoint=ENDPOINT, key=KEY, transport=httpx.MockTransport(handler)
        ) as azure:
            assert azure.analyze(URL, [F.TAGS]).tags
        assert [r.url.path for r in seen] == ["/vision/v3.2/analyze"]

    def test_unsupported_feature_error_comes_from_the_base_class(self, analyzer):
        class NoText(AzureAnalyzer):
            capabilities = frozenset(Feature) - {Feature.TEXT}

        with pytest.raises(UnsupportedFeatureError):
            NoText(endpoint=ENDPOINT, key=KEY).analyze(URL, [F.TEXT])


class TestCommonThumbnailAndAreaOfInterest:
    """visionkit.thumbnail and features=["area_of_interest"] replayed against Azure's real
    recordings (the .NET SDK's session records, see fixtures/README.md)."""

    def test_thumbnail_of_a_url_is_azures_image(self, analyzer, respx_mock):
        import visionkit
        from visionkit.analyzers import use_analyzer

        (entry,) = dotnet_entries("ThumbnailImageTest")
        respx_mock.post(f"{BASE}/generateThumbnail").mock(return_value=dotnet_response(entry))
        with use_analyzer(analyzer):
            thumb = visionkit.thumbnail(URL, 64, 64, smart=False, backend="azure")
        assert thumb.data == (IMAGES / "house_thumbnail.jpg").read_bytes()
        assert (thumb.media_type, thumb.width, thumb.height) == ("image/jpeg", 64, 64)
        assert thumb.crop is None  # Azure fetched the URL: visionkit never saw the image
        assert thumb.backend == "azure" and not thumb.smart

    async def test_thumbnail_of_bytes_is_the_centre_crop_azure_made(self, analyzer, respx_mock):
        import numpy as np
        from PIL import Image

        import visionkit
        from visionkit.analyzers import use_analyzer

        (entry,) = dotnet_entries("ThumbnailImageInStreamTest")
        route = respx_mock.post(f"{BASE}/generateThumbnail").mock(
            return_value=dotnet_response(entry)
        )
        house = IMAGES / "house.jpg"
        with use_analyzer(analyzer):
            thumb = await visionkit.thumbnail_async(house, 64, 64, smart=False, backend="azure")
        assert route.calls.last.request.content == house.read_bytes()
        assert thumb.crop == BoundingBox(69, 0, 462, 462)  # 600x462, centred square
        # The box is right: our own crop of it, resized, is what Azure sent back.
        ours = Image.open(house).convert("RGB").crop(thumb.crop.xyxy).resize((64, 64))
        difference = np.abs(np.asarray(ours, float) - np.asarray(thumb.image(), float))
        assert difference.mean() < 8

    @pytest.mark.parametrize(("width", "height"), [(0, 64), (64, -1), (1025, 64)])
    def test_bad_sizes_name_azures_limit_before_any_call(self, analyzer, width, height):
        from visionkit.cropping import ThumbnailSizeError

        with pytest.raises(ThumbnailSizeError, match="between 1 and 1024"):
            analyzer.make_thumbnail(URL, width, height)

    def test_the_feature_alone_is_one_area_of_interest_call(self, analyzer, respx_mock):
        (entry,) = dotnet_entries("AreaOfInterestLogoTest")
        analyze = respx_mock.post(ANALYZE)
        route = respx_mock.post(f"{BASE}/areaOfInterest").mock(return_value=dotnet_response(entry))
        result = analyzer.analyze(IMAGES / "achtung.jpg", ["area_of_interest"])
        assert result.area_of_interest == BoundingBox(0, 0, 800, 578)
        assert result.raw["areaOfInterest"]["requestId"] == "8b457175-7c7e-47e8-b78a-be1b58ea2930"
        assert route.calls.last.request.content == (IMAGES / "achtung.jpg").read_bytes()
        assert not analyze.called
        assert_invariants(result, ["area_of_interest"])

    async def test_with_other_features_both_calls_are_made(self, analyzer, respx_mock):
        analyze = respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        respx_mock.post(f"{BASE}/areaOfInterest").mock(
            return_value=httpx.Response(
                200, json=spec_example("SuccessfulGetAreaOfInterestWithUrl")
            )
        )
        result = await analyzer.analyze_async(URL, ["tags", "area_of_interest"])
        assert analyze.called
        assert result.tags and result.area_of_interest == BoundingBox(160, 0, 950, 951)
        assert set(result.raw) == {"analyze", "areaOfInterest"}

    @pytest.mark.parametrize(
        ("fixture", "error"),
        [
            ("500-internal", BackendUnavailableError),
            ("401-invalid-key", AuthenticationError),
            ("400-invalid-image-format", InvalidImageError),
        ],
    )
    def test_a_failing_area_of_interest_call_fails_the_analysis_by_name(
        self, analyzer, respx_mock, fixture, error
    ):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        respx_mock.post(f"{BASE}/areaOfInterest").mock(return_value=hand_made(fixture))
        with pytest.raises(error, match="Get Area of Interest"):
            analyzer.analyze(URL, ["tags", "area_of_interest"])

    async def test_async_sends_both_calls_at_once(self, analyzer, respx_mock):
        """Each answer waits until the other request has arrived: sent one after the
        other, the first would wait for ever (the test's timeout would fail it)."""
        import asyncio

        arrived = {"analyze": asyncio.Event(), "aoi": asyncio.Event()}

        def answering(mine: str, other: str, response: httpx.Response):
            async def side_effect(request: httpx.Request) -> httpx.Response:
                arrived[mine].set()
                await asyncio.wait_for(arrived[other].wait(), timeout=10)
                return response

            return side_effect

        respx_mock.post(ANALYZE).mock(side_effect=answering("analyze", "aoi", _full_answer()))
        aoi = httpx.Response(200, json=spec_example("SuccessfulGetAreaOfInterestWithUrl"))
        respx_mock.post(f"{BASE}/areaOfInterest").mock(side_effect=answering("aoi", "analyze", aoi))
        result = await analyzer.analyze_async(URL, ["tags", "area_of_interest"])
        assert result.tags and result.area_of_interest == BoundingBox(160, 0, 950, 951)

    async def test_async_failure_of_one_call_is_raised_as_it_is(self, analyzer, respx_mock):
        respx_mock.post(ANALYZE).mock(return_value=_full_answer())
        respx_mock.post(f"{BASE}/areaOfInterest").mock(return_value=hand_made("401-invalid-key"))
        with pytest.raises(AuthenticationError, match="Get Area of Interest"):
            await analyzer.analyze_async(URL, ["tags", "area_of_interest"])

    def test_it_is_not_part_of_everything(self, analyzer):
        assert Feature.AREA_OF_INTEREST in analyzer.supported_features
        assert Feature.AREA_OF_INTEREST not in analyzer.resolve_features(None)

    def test_api_4_0_does_not_offer_it_in_analyze(self, clock):
        azure4 = AzureAnalyzer(endpoint=ENDPOINT, key=KEY, api="4.0", clock=clock)
        with azure4, pytest.raises(UnsupportedFeatureError, match="area_of_interest"):
            azure4.analyze(URL, ["area_of_interest"])

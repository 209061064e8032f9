"""The analyzer end to end over respx: what goes out, what comes back, sync and async."""

from __future__ import annotations

import base64
import io
import json
import logging

import httpx
import pytest
from PIL import Image

from visionkit.backends.google import GoogleAnalyzer
from visionkit.backends.registry import get_backend_class
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    ConfigError,
    InvalidImageError,
    RateLimitError,
    UnsupportedFeatureError,
)
from visionkit.features import Feature
from visionkit.results import BoundingBox
from visionkit.testing import assert_valid_result

from .conftest import (
    ANNOTATE,
    KEY,
    answer,
    bicycle,
    cloudy,
    drawn_image,
    edenai,
    hand_made_response,
    sent_body,
)

F = Feature
URL = "https://images.example.org/bicycle.png"


class TestRequests:
    def test_tags_for_one_image_end_to_end(self, analyzer, respx_mock):
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("binoculars.jpg")))
        image = drawn_image((326, 244))
        result = analyzer.analyze(image, [F.TAGS])
        request = route.calls.last.request
        assert request.headers["X-Goog-Api-Key"] == KEY
        assert KEY not in str(request.url)
        assert request.url.params == httpx.QueryParams()
        body = sent_body(route)
        assert body["requests"][0]["features"] == [{"type": "LABEL_DETECTION", "maxResults": 50}]
        assert base64.b64decode(body["requests"][0]["image"]["content"]) == image
        assert [t.name for t in result.tags] == ["man made object", "furniture"]
        assert result.backend == "google"
        assert result.raw == {"annotate": cloudy("binoculars.jpg")}
        assert_valid_result(result, [F.TAGS])

    def test_only_the_features_asked_for_are_requested_and_returned(self, analyzer, respx_mock):
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("mona_lisa.jpg")))
        result = analyzer.analyze(drawn_image((604, 900), "JPEG"), [F.BRANDS, F.METADATA])
        types = [f["type"] for f in sent_body(route)["requests"][0]["features"]]
        assert types == ["LOGO_DETECTION"]
        assert result.tags is None and result.faces is None  # Google sent them; not asked
        assert (result.metadata.width, result.metadata.height) == (604, 900)
        assert result.metadata.format == "JPEG"
        assert_valid_result(result, [F.BRANDS, F.METADATA])

    def test_metadata_alone_costs_no_call(self, analyzer, respx_mock):
        result = analyzer.analyze(drawn_image((64, 48)), [F.METADATA])
        assert not respx_mock.calls
        assert (result.metadata.width, result.metadata.height) == (64, 48)

    def test_a_url_is_downloaded_and_sent_as_bytes_by_default(self, analyzer, respx_mock):
        image = drawn_image((1000, 500))
        respx_mock.get(URL).mock(return_value=httpx.Response(200, content=image))
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(bicycle()))
        result = analyzer.analyze(URL, [F.OBJECTS, F.TAGS])
        assert "content" in sent_body(route)["requests"][0]["image"]
        assert result.objects[0].box == BoundingBox(315, 393, 127, 92)
        assert_valid_result(result, [F.OBJECTS, F.TAGS])

    def test_url_mode_pass_sends_the_uri_and_drops_size_features(self, respx_mock, clock):
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(bicycle()))
        with GoogleAnalyzer(api_key=KEY, url_mode="pass", clock=clock) as google:
            assert F.OBJECTS not in google.supported_features
            result = google.analyze(URL)
            with pytest.raises(UnsupportedFeatureError):
                google.analyze(URL, [F.OBJECTS])
        image = sent_body(route)["requests"][0]["image"]
        assert image == {"source": {"imageUri": URL}}
        assert result.objects is None and result.metadata is None
        assert [t.name for t in result.tags] == ["Bicycle", "Wheel", "Tire"]

    def test_a_gs_uri_is_passed_on(self, analyzer, respx_mock):
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(bicycle()))
        analyzer.analyze("gs://my-bucket/bicycle.png", [F.TAGS])
        assert sent_body(route)["requests"][0]["image"]["source"]["imageUri"].startswith("gs://")
        with pytest.raises(ConfigError, match="size of the image"):
            analyzer.analyze("gs://my-bucket/bicycle.png", [F.OBJECTS])
        everything = analyzer.analyze("gs://my-bucket/bicycle.png")
        types = {f["type"] for f in sent_body(route)["requests"][0]["features"]}
        assert "OBJECT_LOCALIZATION" not in types and len(types) == 7
        assert everything.objects is None and everything.metadata is None
        assert everything.tags[0].name == "Bicycle"

    def test_an_exif_rotated_jpeg_is_sent_upright_and_measured_upright(self, analyzer, respx_mock):
        img = Image.linear_gradient("L").resize((200, 100)).convert("RGB")
        exif = img.getexif()
        exif[0x0112] = 6  # rotate 90 degrees: the viewer shows 100x200
        buffer = io.BytesIO()
        img.save(buffer, format="JPEG", exif=exif)
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(edenai("face_detection_output")))
        result = analyzer.analyze(buffer.getvalue(), [F.FACES, F.METADATA])
        sent = base64.b64decode(sent_body(route)["requests"][0]["image"]["content"])
        with Image.open(io.BytesIO(sent)) as uploaded:
            assert uploaded.size == (100, 200)
            assert uploaded.getexif().get(0x0112, 1) == 1
        assert (result.metadata.width, result.metadata.height) == (100, 200)
        assert_valid_result(result, [F.FACES, F.METADATA])  # the face box is clipped to 100 px

    def test_options_shape_the_request(self, respx_mock, clock):
        route = respx_mock.post("https://eu-vision.googleapis.com/v1/images:annotate").mock(
            return_value=answer(edenai("ocr_output"))
        )
        with GoogleAnalyzer(
            api_key=KEY,
            endpoint="https://eu-vision.googleapis.com",
            text_mode="document",
            model="builtin/latest",
            language_hints=("zh",),
            clock=clock,
        ) as google:
            result = google.analyze(drawn_image((336, 484)), [F.TEXT])
        entry = sent_body(route)["requests"][0]
        assert entry["features"] == [{"type": "DOCUMENT_TEXT_DETECTION", "model": "builtin/latest"}]
        assert entry["imageContext"] == {"languageHints": ["zh"]}
        assert result.model_version == "builtin/latest"
        assert result.text


class TestAnswers:
    def test_looked_and_found_nothing(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("200-empty"))
        features = [F.TAGS, F.OBJECTS, F.FACES, F.TEXT, F.BRANDS, F.LANDMARKS]
        result = analyzer.analyze(drawn_image((50, 50)), features)
        assert all(getattr(result, f.value) == () for f in features)
        assert_valid_result(result, features)

    def test_a_per_image_error_is_a_typed_error(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("200-per-image-error"))
        with pytest.raises(InvalidImageError, match="Bad image data") as caught:
            analyzer.analyze(drawn_image((50, 50)), [F.TAGS])
        assert caught.value.source.startswith("<bytes")

    def test_a_transient_per_image_error_resends_that_image(self, analyzer, respx_mock, clock):
        route = respx_mock.post(ANNOTATE).mock(
            side_effect=[
                answer({"error": {"code": 14, "message": "The service is currently unavailable."}}),
                answer(cloudy("collie.jpg")),
            ]
        )
        result = analyzer.analyze(drawn_image((120, 160)), [F.TAGS])
        assert route.call_count == 2
        assert len(clock.sleeps) == 1
        assert result.tags

    def test_a_wrong_number_of_responses_is_an_error(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=answer({}, {}))
        with pytest.raises(BackendError, match="2 responses"):
            analyzer.analyze(drawn_image((50, 50)), [F.TAGS])

    def test_a_body_that_is_not_json(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=httpx.Response(200, content=b"<html>"))
        with pytest.raises(BackendError, match="not JSON"):
            analyzer.analyze(drawn_image((50, 50)), [F.TAGS])


class TestErrorsAndRetries:
    def test_429_is_retried_with_backoff_then_succeeds(self, analyzer, respx_mock, clock):
        route = respx_mock.post(ANNOTATE).mock(
            side_effect=[
                hand_made_response("429-resource-exhausted"),
                hand_made_response("503-unavailable"),
                answer(cloudy("fruit.jpg")),
            ]
        )
        result = analyzer.analyze(drawn_image((60, 80)), [F.TAGS])
        assert route.call_count == 3
        assert len(clock.sleeps) == 2
        assert result.tags

    def test_429_after_the_retries_is_a_rate_limit_error(self, analyzer, respx_mock):
        route = respx_mock.post(ANNOTATE).mock(
            return_value=hand_made_response("429-resource-exhausted")
        )
        with pytest.raises(RateLimitError, match="quota"):
            analyzer.analyze(drawn_image((60, 80)), [F.TAGS])
        assert route.call_count == 1 + analyzer.options.max_retries

    def test_5xx_after_the_retries_is_unavailable(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("500-internal"))
        with pytest.raises(BackendUnavailableError):
            analyzer.analyze(drawn_image((60, 80)), [F.TAGS])

    def test_a_bad_key_is_not_retried_and_never_shown(self, analyzer, respx_mock, caplog):
        route = respx_mock.post(ANNOTATE).mock(
            return_value=hand_made_response("400-api-key-invalid")
        )
        caplog.set_level(logging.DEBUG)
        with pytest.raises(AuthenticationError) as caught:
            analyzer.analyze(drawn_image((60, 80)), [F.TAGS])
        assert route.call_count == 1
        assert KEY not in str(caught.value) and KEY not in repr(analyzer)
        assert KEY not in caplog.text

    def test_retry_log_lines_carry_no_key(self, analyzer, respx_mock, caplog):
        respx_mock.post(ANNOTATE).mock(
            side_effect=[hand_made_response("503-unavailable"), answer({})]
        )
        caplog.set_level(logging.DEBUG, logger="visionkit")
        analyzer.analyze(drawn_image((60, 80)), [F.TAGS])
        assert "HTTP 503" in caplog.text and KEY not in caplog.text

    def test_a_dropped_connection_is_unavailable(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(BackendUnavailableError, match="Could not reach Google"):
            analyzer.analyze(drawn_image((60, 80)), [F.TAGS])

    def test_a_bad_image_is_refused_before_any_call(self, analyzer, respx_mock):
        with pytest.raises(InvalidImageError):
            analyzer.analyze(b"not an image", [F.TAGS])
        assert not respx_mock.calls


class TestAsync:
    async def test_analyze_async_sends_the_same_request(self, analyzer, respx_mock):
        route = respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("marathon.png")))
        result = await analyzer.analyze_async(drawn_image((640, 427)), [F.TAGS, F.METADATA])
        assert route.calls.last.request.headers["X-Goog-Api-Key"] == KEY
        assert result.tags[0].name == cloudy("marathon.png")["labelAnnotations"][0]["description"]
        assert_valid_result(result, [F.TAGS, F.METADATA])
        await analyzer.aclose()

    async def test_async_retries_and_per_image_errors(self, analyzer, respx_mock, clock):
        respx_mock.post(ANNOTATE).mock(
            side_effect=[
                hand_made_response("503-unavailable"),
                hand_made_response("200-per-image-error"),
            ]
        )
        with pytest.raises(InvalidImageError):
            await analyzer.analyze_async(drawn_image((60, 80)), [F.TAGS])
        assert len(clock.sleeps) == 1


class TestBatches:
    def test_analyze_batch_sends_up_to_16_images_per_request(self, analyzer, respx_mock):
        def reply(request):
            count = len(json.loads(request.content)["requests"])
            return answer(*[cloudy("collie.jpg")] * count)

        route = respx_mock.post(ANNOTATE).mock(side_effect=reply)
        images = [drawn_image((40 + i, 40)) for i in range(20)]
        outcomes = analyzer.analyze_batch(images, [F.TAGS, F.METADATA])
        assert route.call_count == 2
        assert [len(sent_body(route, i)["requests"]) for i in range(2)] == [16, 4]
        assert [o.metadata.width for o in outcomes] == [40 + i for i in range(20)]

    def test_a_per_image_error_fails_only_its_image(self, analyzer, respx_mock, clock):
        respx_mock.post(ANNOTATE).mock(
            side_effect=[
                hand_made_response("200-batch-mixed"),
                answer({"error": {"code": 14, "message": "Still unavailable."}}),
                answer({"error": {"code": 14, "message": "Still unavailable."}}),
                answer({"error": {"code": 14, "message": "Still unavailable."}}),
            ]
        )
        images = [drawn_image((50, 50)), drawn_image((51, 50)), drawn_image((52, 50))]
        first, second, third = analyzer.analyze_batch(images, [F.TAGS])
        assert [t.name for t in first.tags] == ["man made object", "furniture"]
        assert isinstance(second, InvalidImageError)
        assert isinstance(third, BackendUnavailableError)  # re-sent alone, 3 retries
        assert len(clock.sleeps) == analyzer.options.max_retries

    def test_an_unloadable_image_fails_alone(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
        ok, bad = analyzer.analyze_batch([drawn_image((50, 50)), b"broken"], [F.TAGS])
        assert ok.tags and isinstance(bad, InvalidImageError)

    def test_a_failed_request_fails_every_image_in_it(self, analyzer, respx_mock):
        respx_mock.post(ANNOTATE).mock(return_value=hand_made_response("403-service-disabled"))
        outcomes = analyzer.analyze_batch([drawn_image((50, 50))] * 3, [F.TAGS])
        assert all(isinstance(o, AuthenticationError) for o in outcomes)


class TestConfiguration:
    def test_registered_as_google(self):
        assert get_backend_class("google") is GoogleAnalyzer

    def test_no_credentials_is_a_config_error_naming_the_variables(self, monkeypatch, tmp_path):
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        with pytest.raises(ConfigError, match="GOOGLE_API_KEY"):
            GoogleAnalyzer(auth="api_key")
        with pytest.raises(ConfigError, match="GOOGLE_APPLICATION_CREDENTIALS"):
            GoogleAnalyzer(auth="credentials_file")
        with pytest.raises(ConfigError, match="does not exist"):
            GoogleAnalyzer(credentials_file=tmp_path / "missing.json")

    def test_configuration_problems(self, monkeypatch, tmp_path):
        monkeypatch.setenv("HOME", str(tmp_path))
        options = GoogleAnalyzer.Options()
        (problem,) = GoogleAnalyzer.configuration_problems(options)
        assert "GOOGLE_API_KEY" in problem and "GOOGLE_APPLICATION_CREDENTIALS" in problem
        with_key = GoogleAnalyzer.Options(api_key=KEY)
        assert GoogleAnalyzer.configuration_problems(with_key) == []

    def test_the_key_comes_from_the_environment(self, monkeypatch, respx_mock):
        monkeypatch.setenv("GOOGLE_API_KEY", KEY)
        from visionkit.config import build_backend_options, resolve_backend_options

        options = build_backend_options("google", resolve_backend_options("google"))
        assert options.api_key.reveal() == KEY
        assert KEY not in repr(options)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("endpoint", "vision.googleapis.com"), ("max_results", 0), ("timeout_s", 0)],
    )
    def test_bad_options_are_config_errors(self, field, value):
        with pytest.raises(ConfigError, match=field):
            GoogleAnalyzer.Options(**{field: value})

    def test_area_of_interest_is_the_first_crop_hint(self, analyzer, respx_mock):
        from .conftest import hand_made

        body = hand_made("200-image-properties-crop-hints")["body"]
        route = respx_mock.post(ANNOTATE).mock(return_value=httpx.Response(200, json=body))
        box = analyzer.area_of_interest(drawn_image((800, 1000)))
        assert box == BoundingBox(0, 0, 749, 939)
        assert sent_body(route)["requests"][0]["features"] == [{"type": "CROP_HINTS"}]


def test_visionkit_analyze_with_backend_google(respx_mock, monkeypatch):
    import visionkit

    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    respx_mock.post(ANNOTATE).mock(return_value=answer(cloudy("collie.jpg")))
    result = visionkit.analyze(drawn_image((120, 160)), backend="google", features=["tags"])
    assert result.backend == "google"
    assert result.top_tag.name == cloudy("collie.jpg")["labelAnnotations"][0]["description"]

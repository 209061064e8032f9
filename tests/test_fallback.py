"""Fallback: the next backend answers when the primary is down or has no key, never otherwise.

Azure's failures come from the team's hand-made error answers replayed through a
cassette, and "no network" from a refused connection on 127.0.0.1; nothing
reaches the internet. Stand-in backends cover the error kinds that need no HTTP.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import ClassVar

import pytest
from factories import clear_visionkit_environment
from PIL import Image

import visionkit
from visionkit.backends.azure.requests import analyze_request
from visionkit.backends.base import Analyzer
from visionkit.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    InvalidImageError,
    RateLimitError,
    VisionKitError,
)
from visionkit.fallback import plan
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult
from visionkit.testing import replay, write_cassette
from visionkit.testing.cassette import Interaction, RecordedRequest, RecordedResponse

HAND_MADE = Path(__file__).parent / "backends" / "azure" / "fixtures" / "hand-made"
ENDPOINT = "https://vk-fallback.cognitiveservices.azure.com"
KEY = "fallback-test-key-7f3a9c"


class Down(Analyzer):
    """A primary that fails with whatever error the test puts in ``error``."""

    name: ClassVar[str] = "down"
    capabilities: ClassVar[frozenset[Feature]] = frozenset(
        {Feature.TAGS, Feature.OBJECTS, Feature.COLORS, Feature.METADATA}
    )
    error: ClassVar[VisionKitError] = BackendUnavailableError("down for maintenance")

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        raise self.error


class Spare(Analyzer):
    """A fallback that answers, and remembers what it was asked."""

    name: ClassVar[str] = "spare"
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.COLORS, Feature.METADATA})
    asked: ClassVar[list[frozenset[Feature]]] = []

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        Spare.asked.append(features)
        return AnalysisResult(backend=self.name)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    clear_visionkit_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    monkeypatch.delenv("VISIONKIT_CACHE", raising=False)  # the cache's default behaviour is tested
    visionkit.register_backend("down", Down)
    visionkit.register_backend("spare", Spare)
    Spare.asked.clear()
    visionkit.reset_configuration()
    yield
    visionkit.reset_configuration()
    visionkit.close_analyzers()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (30, 90, 160)).save(path, "JPEG")
    return path


def azure_error_cassette(directory: Path, name: str, features: list[str]) -> Path:
    """A cassette whose one Analyze call gets the hand-made error answer ``name``."""
    data = json.loads((HAND_MADE / f"{name}.json").read_text(encoding="utf-8"))
    params = analyze_request(ENDPOINT, b"", [Feature(f) for f in features]).params
    interaction = Interaction(
        request=RecordedRequest("POST", "/vision/v3.2/analyze", tuple(sorted(params))),
        response=RecordedResponse(
            status=data["status"],
            headers=tuple((k.lower(), v) for k, v in data["headers"].items()),
            body=data["body"],
            body_encoding="json",
        ),
        recorded_at="2026-11-29T00:00:00Z",
        comment=f"tests/backends/azure/fixtures/hand-made/{name}.json",
    )
    write_cassette(directory, [interaction])
    return directory


def azure_options() -> dict[str, object]:
    return {"endpoint": ENDPOINT, "key": KEY, "max_retries": 0}


# -- when it falls back ----------------------------------------------------------------------


def test_a_5xx_from_azure_lets_the_local_backend_answer(photo, tmp_path, caplog):
    cassette = azure_error_cassette(tmp_path / "c", "503-unavailable", ["colors"])
    with replay(cassette) as played, caplog.at_level(logging.WARNING, "visionkit.fallback"):
        result = visionkit.analyze(
            photo, ["colors"], backend="azure", fallback=["local"], **azure_options()
        )
    played.assert_all_played()
    assert result.backend == "local"
    assert result.colors is not None
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("azure failed: BackendUnavailableError:")
    assert result.fallback_reason.endswith("; local answered")
    assert "azure failed: BackendUnavailableError" in caplog.text
    assert KEY not in caplog.text and KEY not in result.fallback_reason


def test_no_network_lets_the_local_backend_answer(photo):
    with socket.socket() as s:  # a port that nothing listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {**azure_options(), "endpoint": f"http://127.0.0.1:{port}"}
    result = visionkit.analyze(photo, ["colors"], backend="azure", fallback="local", **options)
    assert result.backend == "local"
    assert "BackendUnavailableError" in (result.fallback_reason or "")


def test_a_missing_key_lets_the_local_backend_answer(photo):
    result = visionkit.analyze(photo, ["colors", "metadata"], backend="azure", fallback=["local"])
    assert result.backend == "local"
    assert result.fallback_reason == (
        "azure is not configured: endpoint not set (AZURE_VISION_ENDPOINT or VISION_ENDPOINT); "
        "key not set (AZURE_VISION_KEY or VISION_KEY); local answered"
    )


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("429 after 3 retries", retry_after=30),
        BackendUnavailableError("503 after 3 retries"),
        BackendTimeoutError("no answer in 30 s"),
    ],
)
def test_service_failures_fall_back(photo, monkeypatch, error):
    monkeypatch.setattr(Down, "error", error)
    result = visionkit.analyze(photo, ["colors"], backend="down", fallback=["spare"])
    assert result.backend == "spare"
    assert result.fallback_reason == (
        f"down failed: {type(error).__name__}: {error}; spare answered"
    )


def test_the_fallback_is_asked_only_for_what_it_can_do_and_says_so(photo):
    result = visionkit.analyze(
        photo, ["tags", "objects", "colors"], backend="down", fallback=["spare"]
    )
    assert Spare.asked == [frozenset({Feature.COLORS})]
    assert result.fallback_reason is not None
    assert result.fallback_reason.endswith(
        "spare answered without objects, tags (not supported by spare)"
    )


def test_with_no_features_the_fallback_does_everything_it_supports(photo):
    result = visionkit.analyze(photo, backend="down", fallback=["spare"])
    assert Spare.asked == [frozenset({Feature.COLORS, Feature.METADATA})]
    assert (result.fallback_reason or "").endswith("spare answered with every feature it supports")


def test_when_every_backend_fails_the_last_error_is_raised_with_the_others_noted(
    photo, monkeypatch
):
    class Down2(Down):
        name: ClassVar[str] = "down2"

    visionkit.register_backend("down2", Down2)
    monkeypatch.setattr(Down2, "error", BackendTimeoutError("slow"))
    with pytest.raises(BackendTimeoutError, match="slow") as caught:
        visionkit.analyze(photo, ["colors"], backend="down", fallback=["down2"])
    assert caught.value.__notes__ == [
        "Fallbacks tried before: down failed: BackendUnavailableError: down for maintenance"
    ]


# -- when it must not -------------------------------------------------------------------------


def test_a_wrong_key_raises_instead_of_falling_back(photo, tmp_path):
    cassette = azure_error_cassette(tmp_path / "c", "401-invalid-key", ["colors"])
    with replay(cassette), pytest.raises(AuthenticationError):
        visionkit.analyze(photo, ["colors"], backend="azure", fallback=["local"], **azure_options())


def test_an_invalid_image_raises_instead_of_falling_back(tmp_path):
    with pytest.raises(InvalidImageError):
        visionkit.analyze(
            b"not an image", ["colors"], backend="azure", fallback=["local"], **azure_options()
        )


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("401"),
        InvalidImageError("corrupt JPEG"),
        BackendError("400 NotSupportedLanguage"),
    ],
)
def test_other_errors_of_the_primary_raise(photo, monkeypatch, error):
    monkeypatch.setattr(Down, "error", error)
    with pytest.raises(type(error)):
        visionkit.analyze(photo, ["colors"], backend="down", fallback=["spare"])
    assert Spare.asked == []


def test_a_configuration_mistake_other_than_a_missing_key_raises(photo):
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        visionkit.analyze(
            photo, ["colors"], backend="azure", fallback=["local"], endpoint="not a url", key=KEY
        )


def test_fallback_is_off_by_default(photo):
    with pytest.raises(ConfigError, match="needs endpoint and key"):
        visionkit.analyze(photo, ["colors"], backend="azure")


def test_a_fallback_that_offers_none_of_the_features_is_skipped():
    steps = plan("down", ["spare", "down"], ["tags"], {"top_k": 1})
    assert [(s.backend, s.options) for s in steps] == [("down", {"top_k": 1})]


# -- where the setting comes from ------------------------------------------------------------


def test_configure_turns_it_on_and_an_empty_argument_turns_it_off(photo):
    visionkit.configure(fallback=["spare"])
    assert visionkit.analyze(photo, ["colors"], backend="down").backend == "spare"
    with pytest.raises(BackendUnavailableError):
        visionkit.analyze(photo, ["colors"], backend="down", fallback=[])


def test_the_environment_and_the_config_file_set_it(photo, monkeypatch, tmp_path):
    monkeypatch.setenv("VISIONKIT_FALLBACK", "spare")
    assert visionkit.analyze(photo, ["colors"], backend="down").backend == "spare"
    monkeypatch.delenv("VISIONKIT_FALLBACK")
    (tmp_path / "visionkit.toml").write_text('backend = "down"\nfallback = ["spare"]\n')
    assert visionkit.analyze(photo, ["colors"]).backend == "spare"


def test_a_malformed_fallback_setting_is_a_configuration_error(photo, tmp_path):
    (tmp_path / "visionkit.toml").write_text("fallback = 3\n")
    with pytest.raises(ConfigError, match="must be a list of backend names"):
        visionkit.analyze(photo, ["colors"], backend="down")


async def test_the_async_twin_falls_back_too(photo):
    result = await visionkit.analyze_async(photo, ["colors"], backend="down", fallback=["spare"])
    assert result.backend == "spare"
    assert (result.fallback_reason or "").startswith("down failed: BackendUnavailableError")


def test_a_cached_cloud_answer_is_served_while_the_service_is_down(photo, tmp_path):
    import respx

    from visionkit.cache.defaults import default_cache
    from visionkit.testing import bundled_cassette, load_cassette

    # A replay session switches the default cache off and no store keeps a replayed
    # answer, so the answer to cache comes from respx alone (as from a live service),
    # and the store stands in for the default one explicitly.
    store = default_cache()
    stored_before = store.stats().entries
    ((_, published),) = load_cassette(bundled_cassette("azure/analyze-all-features"))
    with respx.mock(assert_all_called=True) as service:
        service.post(f"{ENDPOINT}/vision/v3.2/analyze").respond(200, json=published.response.body)
        first = visionkit.analyze(
            photo, ["colors"], backend="azure", fallback=["local"], cache=store, **azure_options()
        )
    assert first.replayed_from is None and store.stats().entries == stored_before + 1
    down = azure_error_cassette(tmp_path / "down", "503-unavailable", ["colors"])
    with replay(down) as played:
        again = visionkit.analyze(
            photo, ["colors"], backend="azure", fallback=["local"], cache=store, **azure_options()
        )
    assert played.play_count == 0  # answered from the cache: the service was not asked
    assert (again.backend, again.fallback_reason) == ("azure", None)
    assert again == first
    with replay(down):
        fresh = visionkit.analyze(
            photo, ["colors"], backend="azure", fallback=["local"], cache=False, **azure_options()
        )
    assert fresh.backend == "local"


# -- everywhere the configuration applies: batches and the command line ---------------------


def test_a_batch_falls_back_image_by_image(photo):
    items = list(
        visionkit.analyze_many(
            [photo, photo, photo], ["colors"], backend="down", fallback=["spare"]
        )
    )
    assert [item.result.backend for item in items if item.result] == ["spare"] * 3
    assert all(
        "down failed: BackendUnavailableError" in item.result.fallback_reason for item in items
    )


def test_a_batch_follows_the_configured_fallback(photo):
    visionkit.configure(fallback=["spare"])
    items = list(visionkit.analyze_many([photo, photo], ["colors"], backend="down"))
    assert [item.result.backend for item in items if item.result] == ["spare", "spare"]


def test_a_batch_without_a_key_runs_on_the_fallback_and_every_result_says_why(photo):
    run = visionkit.analyze_many(
        [photo, photo], ["colors", "metadata"], backend="azure", fallback="local"
    )
    items = list(run)
    assert [item.result.backend for item in items if item.result] == ["local", "local"]
    assert all(
        item.result.fallback_reason.startswith("azure is not configured: endpoint not set")
        and item.result.fallback_reason.endswith("; local answered")
        for item in items
    )


def test_a_batch_with_a_wrong_key_stops_instead_of_falling_back(photo, monkeypatch):
    monkeypatch.setattr(Down, "error", AuthenticationError("key rejected", status=401))
    with pytest.raises(AuthenticationError):
        list(visionkit.analyze_many([photo, photo], ["colors"], backend="down", fallback="spare"))


def test_in_a_batch_an_image_the_fallback_cannot_read_fails_alone(photo, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    items = list(
        visionkit.analyze_many([broken, photo], ["colors"], backend="down", fallback="local")
    )
    assert isinstance(items[0].error, InvalidImageError)
    assert items[1].result is not None and items[1].result.backend == "local"


def test_the_command_line_follows_the_configured_fallback(photo, capsys):
    from visionkit.cli import main

    (Path.cwd() / "visionkit.toml").write_text('fallback = ["local"]\n', encoding="utf-8")
    assert main(["analyze", str(photo), "-b", "azure", "--json", "--features", "colors"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["backend"] == "local"
    assert line["fallback_reason"].startswith("azure is not configured")

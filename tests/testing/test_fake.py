"""The fake backend users test their own code with: real front door, answers the test gives."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import visionkit
from visionkit import AnalysisResult, ColorScheme, Feature, Tag, UnsupportedFeatureError
from visionkit.analyzers import get_analyzer, use_analyzer
from visionkit.config import resolve_backend_name
from visionkit.errors import RateLimitError
from visionkit.testing import FakeAnalyzer

REPO = Path(__file__).resolve().parents[2]
CHELSEA = REPO / "examples" / "images" / "chelsea.png"

CAT = AnalysisResult(
    backend="anything",
    tags=(Tag("cat", 0.9),),
    colors=ColorScheme(
        dominant_foreground="gray",
        dominant_background="white",
        dominant_colors=("gray", "white"),
        accent_color="#7F7F7F",
        is_black_and_white=False,
    ),
)


def test_analyze_through_the_front_door_returns_the_given_result_narrowed() -> None:
    fake = FakeAnalyzer(results={CHELSEA: CAT})
    with fake.installed():
        result = visionkit.analyze(CHELSEA, ["tags"], backend="fake")
    assert result.backend == "fake"
    assert result.tags == (Tag("cat", 0.9),)
    assert result.colors is None  # not requested: "not requested", as a real backend says
    assert [c.features for c in fake.calls] == [frozenset({Feature.TAGS})]


def test_as_default_serves_code_that_names_no_backend_and_restores_the_config() -> None:
    before = resolve_backend_name(None)
    fake = FakeAnalyzer(default=CAT)
    with fake.installed(as_default=True):
        assert visionkit.analyze(CHELSEA).top_tag == Tag("cat", 0.9)
        assert resolve_backend_name(None).value == "fake"
    assert resolve_backend_name(None) == before
    assert len(fake.calls) == 1


def test_answers_are_found_by_file_name_url_and_bytes() -> None:
    dog = AnalysisResult(backend="x", tags=(Tag("dog", 0.8),))
    url = "https://example.com/dog.jpg"
    fake = FakeAnalyzer(results={"chelsea.png": CAT, url: dog, b"\x89PNG-bytes": dog})
    assert fake.analyze(str(CHELSEA), ["tags"]).top_tag == Tag("cat", 0.9)
    assert fake.analyze(url, ["tags"]).top_tag == Tag("dog", 0.8)
    assert fake.analyze(bytearray(b"\x89PNG-bytes"), ["tags"]).top_tag == Tag("dog", 0.8)


def test_an_image_without_an_answer_fails_loudly() -> None:
    with pytest.raises(LookupError, match="no answer"):
        FakeAnalyzer().analyze(CHELSEA, ["tags"])


def test_a_given_error_is_raised_and_a_callable_sees_image_and_features() -> None:
    seen = []

    def respond(image: object, features: frozenset[Feature]) -> AnalysisResult:
        seen.append((image, features))
        return CAT

    assert FakeAnalyzer(default=respond).analyze(CHELSEA, ["tags"]).tags == CAT.tags
    assert seen == [(CHELSEA, frozenset({Feature.TAGS}))]
    failing = FakeAnalyzer(default=RateLimitError("slow down", retry_after=2.0))
    with pytest.raises(RateLimitError, match="slow down"):
        failing.analyze(CHELSEA, ["tags"])


def test_narrowed_capabilities_are_refused_like_a_real_backend() -> None:
    fake = FakeAnalyzer(default=CAT, capabilities=frozenset({Feature.TAGS}))
    assert fake.supported_features == frozenset({Feature.TAGS})
    with pytest.raises(UnsupportedFeatureError, match="colors"):
        fake.analyze(CHELSEA, ["colors"])


def test_batches_keep_each_items_answer_and_error() -> None:
    fake = FakeAnalyzer(results={"chelsea.png": CAT}, default=RateLimitError("quota"))
    with fake.installed():
        items = list(visionkit.analyze_many([CHELSEA, "other.jpg"], ["tags"], backend="fake"))
    by_image = {str(item.input): item for item in items}
    assert by_image[str(CHELSEA)].result is not None
    assert by_image[str(CHELSEA)].result.top_tag == Tag("cat", 0.9)
    assert isinstance(by_image["other.jpg"].error, RateLimitError)


def test_async_analyze_uses_the_same_answers() -> None:
    fake = FakeAnalyzer(default=CAT)
    with fake.installed():
        result = asyncio.run(visionkit.analyze_async(CHELSEA, ["tags"], backend="fake"))
    assert result.tags == CAT.tags


def test_use_analyzer_restores_the_previous_instance() -> None:
    outer, inner = FakeAnalyzer(default=CAT), FakeAnalyzer(default=CAT)
    with use_analyzer(outer):
        with use_analyzer(inner):
            assert get_analyzer("fake") is inner
        assert get_analyzer("fake") is outer
    assert get_analyzer("fake") not in (outer, inner)


def test_compare_runs_the_fake_beside_the_local_model() -> None:
    fake = FakeAnalyzer(default=CAT)
    with fake.installed():
        comparison = visionkit.compare([CHELSEA], backends=("local", "fake"), features=["tags"])
    image = comparison.images[0]
    assert image.results["fake"].tags == CAT.tags
    assert image.results["local"].top_tag is not None
    assert image.results["local"].top_tag.name == "cat"
    assert image.pair("local", "fake").metric("top1").agreement.value == "agree"

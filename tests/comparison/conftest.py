"""Fixtures for visionkit.compare: hand-built results, Azure replayed from the bundled cassette.

Metrics are pure functions, so most tests build two results by hand, the way
each backend shapes them: the local backend's CIFAR-10 classes plus derived
tags, Azure's free vocabulary with hints. Azure's own answers come from the
bundled cassette (built from Azure's published v3.2 example, a photo of Satya
Nadella), so nothing here touches the network or needs a key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from factories import clear_visionkit_environment
from PIL import Image

import visionkit
from visionkit.backends.azure import AzureAnalyzer
from visionkit.backends.azure.mapping import analysis_result, parse_analysis
from visionkit.backends.azure.requests import analyze_request
from visionkit.features import parse_features
from visionkit.results import (
    AnalysisResult,
    ColorScheme,
    ImageMetadata,
    ImageType,
    Tag,
)
from visionkit.testing import bundled_cassette, load_cassette, write_cassette

# Features the local backend offers except tags (its CNN is optional in these tests).
PIXEL_FEATURES = ("colors", "image_type", "metadata")
# What Azure is asked in the end-to-end tests: everything the bundled answer holds.
AZURE_FEATURES = ("tags", "objects", "caption", "colors", "adult", "image_type", "metadata")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No developer key, record mode or config file leaks in; configure() is reset."""
    clear_visionkit_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)
    visionkit.reset_configuration()
    yield
    visionkit.reset_configuration()
    visionkit.close_analyzers()


def bundled_analyze_body() -> dict[str, object]:
    """Azure's published Analyze Image answer, as the bundled cassette serves it."""
    ((_, interaction),) = load_cassette(bundled_cassette("azure/analyze-all-features"))
    body = interaction.response.body
    assert isinstance(body, dict)
    return body


def azure_result() -> AnalysisResult:
    """The Azure backend's mapping of the published answer (every Analyze feature)."""
    return analysis_result(parse_analysis(bundled_analyze_body()))


def azure_cassette(directory: Path, features: Sequence[str], times: int) -> Path:
    """A cassette answering ``times`` Analyze calls for ``features`` with the published answer.

    The bundled cassette pins the query of an all-features call; comparing asks
    Azure for fewer features and once per image, so the query is rebuilt with
    the backend's own request builder and the interaction repeated.
    """
    ((_, recorded),) = load_cassette(bundled_cassette("azure/analyze-all-features"))
    params = analyze_request("https://unused.example", b"", parse_features(features) or ()).params
    interaction = dataclasses.replace(
        recorded,
        request=dataclasses.replace(recorded.request, query=tuple(sorted(params))),
        comment=f"{recorded.comment} Query narrowed to {list(features)} for compare tests.",
    )
    write_cassette(directory, [interaction] * times)
    return directory


def azure_analyzer() -> AzureAnalyzer:
    """An Azure analyzer for replay: any endpoint and key will do."""
    return AzureAnalyzer(endpoint="https://vk-compare.cognitiveservices.azure.com", key="test-key")


def local_result(
    classes: dict[str, float],
    derived: dict[str, float] | None = None,
    *,
    colors: ColorScheme | None = None,
    elapsed_s: float | None = 0.01,
) -> AnalysisResult:
    """A result shaped like the local backend's: classes, then derived tags, pixel features."""
    tags = [Tag(n, p) for n, p in classes.items()] + [Tag(n, p) for n, p in (derived or {}).items()]
    return AnalysisResult(
        backend="local",
        metadata=ImageMetadata(1500, 1000, "JPEG"),
        tags=tuple(sorted(tags, key=lambda t: -t.confidence)),
        colors=colors or ColorScheme("brown", "brown", ("brown",), "#873B5A", False),
        image_type=ImageType(0, 0),
        elapsed_s=elapsed_s,
    )


def cloud_result(tags: dict[str, float], **changes: object) -> AnalysisResult:
    """The published Azure answer with other tags (and any other field replaced)."""
    base = azure_result()
    return dataclasses.replace(
        base, tags=tuple(Tag(n, p) for n, p in tags.items()), elapsed_s=0.2, **changes
    )


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    """Three 1500x1000 JPEGs (the size the published Azure answer describes), distinct colours."""
    paths = []
    for i, rgb in enumerate([(150, 90, 60), (40, 110, 190), (235, 235, 235)]):
        path = tmp_path / "photos" / f"photo{i}.jpg"
        path.parent.mkdir(exist_ok=True)
        img = Image.new("RGB", (1500, 1000), rgb)
        img.paste((20, 20, 20), (600, 300, 900, 700))
        img.save(path, "JPEG")
        paths.append(path)
    return paths

"""Shipped cassettes: rebuildable byte for byte, traceable, and playable by the Azure backend."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from PIL import Image
from testing.build_bundled_cassettes import DEFAULT_SPEC_DIR, build

from visionkit.backends.azure import AzureAnalyzer
from visionkit.backends.azure.requests import CAPABILITIES
from visionkit.features import Feature
from visionkit.testing import (
    assert_valid_result,
    bundled_cassette,
    bundled_cassettes,
    load_cassette,
    replay,
)
from visionkit.testing.bundled import BUNDLED_ROOT
from visionkit.testing.errors import CassetteNotFoundError

NAMES = ["azure/analyze-all-features", "azure/analyze-everything", "azure/read-text"]


@pytest.fixture(scope="module")
def spec_dir() -> Path:
    if not (DEFAULT_SPEC_DIR / "README.md").is_file():
        pytest.skip(f"Azure's published examples are not at {DEFAULT_SPEC_DIR}")
    return DEFAULT_SPEC_DIR


def test_the_committed_cassettes_are_exactly_what_the_builder_makes(
    spec_dir: Path, tmp_path: Path
) -> None:
    built = build(spec_dir, tmp_path)
    assert sorted(built) == NAMES
    for name, files in built.items():
        committed = sorted(p.name for p in (BUNDLED_ROOT / name).iterdir())
        assert [p.name for p in files] == committed, name
        mismatched = filecmp.cmpfiles(
            BUNDLED_ROOT / name, tmp_path / name, committed, shallow=False
        )
        assert mismatched[1:] == ([], []), f"{name}: rebuild with build_bundled_cassettes.py"


def test_every_bundled_interaction_says_where_it_came_from() -> None:
    assert bundled_cassettes() == NAMES
    for name in NAMES:
        for path, interaction in load_cassette(bundled_cassette(name)):
            assert interaction.comment is not None, path
            assert interaction.comment.startswith("Hand-made"), path
            assert "Azure/azure-rest-api-specs" in interaction.comment or "not from any" in (
                interaction.comment
            ), path


def test_an_unknown_bundled_name_lists_the_known_ones() -> None:
    with pytest.raises(CassetteNotFoundError, match="available: azure/analyze-all-features"):
        bundled_cassette("azure/nope")


@pytest.fixture
def photo_1500x1000(tmp_path: Path) -> Path:
    """An image the size of the one the published Analyze example describes."""
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (1500, 1000), (120, 90, 60)).save(path, "JPEG")
    return path


def _azure() -> AzureAnalyzer:
    return AzureAnalyzer(
        endpoint="https://myres.cognitiveservices.azure.com", key="any", read_poll_interval_s=0
    )


def test_the_azure_backend_replays_analyze_all_features(photo_1500x1000: Path) -> None:
    # Read and Get Area of Interest are operations of their own, not in this cassette.
    features = sorted(
        CAPABILITIES - {Feature.TEXT, Feature.AREA_OF_INTEREST}, key=lambda f: f.value
    )
    with replay(bundled_cassette("azure/analyze-all-features")) as cassette, _azure() as azure:
        result = azure.analyze(photo_1500x1000, features=features)
    cassette.assert_all_played()
    assert_valid_result(result, requested_features=features)
    assert result.caption is not None
    assert result.caption.text == "Satya Nadella sitting on a bench"


async def test_the_azure_backend_replays_a_whole_read_operation(photo_1500x1000: Path) -> None:
    with replay(bundled_cassette("azure/read-text")) as cassette:
        async with _azure() as azure:
            result = await azure.analyze_async(photo_1500x1000, features=["text"])
    cassette.assert_all_played()
    assert result.full_text is not None
    assert result.full_text.startswith("Our greatest glory is not\nbut in rising every time")


def test_the_azure_backend_replays_analyze_everything(photo_1500x1000: Path) -> None:
    with replay(bundled_cassette("azure/analyze-everything")) as cassette, _azure() as azure:
        result = azure.analyze(photo_1500x1000)
    cassette.assert_all_played()
    assert result.text is not None and result.tags is not None

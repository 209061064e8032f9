"""The generic thumbnail path (visionkit.thumbnails) and the front door's checks.

The backend here is the ``fake`` test double answering with a box chosen by hand
for a real photo (the cat's face in scikit-image's chelsea.png, by eye); the real
backends' paths are tested in tests/backends/*.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import visionkit
from visionkit.analyzers import use_analyzer
from visionkit.backends.local import LocalAnalyzer
from visionkit.errors import BackendError
from visionkit.features import Feature
from visionkit.results import AnalysisResult, BoundingBox
from visionkit.testing import FakeAnalyzer
from visionkit.thumbnails import MakesThumbnails, ThumbnailUnsupportedError

CAT_FACE = BoundingBox(140, 60, 200, 180)  # by eye: ears to chin


def test_the_public_names():
    assert visionkit.Thumbnail.__module__ == "visionkit.cropping"
    assert issubclass(visionkit.ThumbnailSizeError, visionkit.ConfigError)
    assert isinstance(LocalAnalyzer(), MakesThumbnails)
    assert not isinstance(FakeAnalyzer(), MakesThumbnails)


def test_a_backend_without_its_own_operation_is_cropped_at_its_area_of_interest(
    chelsea_png: Path,
):
    fake = FakeAnalyzer(default=AnalysisResult(backend="fake", area_of_interest=CAT_FACE))
    with fake.installed():
        thumb = visionkit.thumbnail(chelsea_png, 40, 40, backend="fake")
    (call,) = fake.calls
    assert call.features == {Feature.AREA_OF_INTEREST}
    assert thumb.crop == BoundingBox(140, 50, 200, 200)  # the square around the face
    assert thumb.raw == {"area_of_interest": [140, 60, 200, 180]}
    assert thumb.backend == "fake" and thumb.image().size == (40, 40)


async def test_the_async_path_is_the_same(chelsea_png: Path):
    fake = FakeAnalyzer(default=AnalysisResult(backend="fake", area_of_interest=CAT_FACE))
    with use_analyzer(fake):
        thumb = await visionkit.thumbnail_async(chelsea_png, 40, 40, backend="fake")
    assert thumb.crop == BoundingBox(140, 50, 200, 200)


def test_a_backend_that_answers_none_is_an_error_naming_the_way_out(chelsea_png: Path):
    fake = FakeAnalyzer(default=AnalysisResult(backend="fake"))  # a buggy plugin, say
    with fake.installed(), pytest.raises(BackendError, match="smart=False"):
        visionkit.thumbnail(chelsea_png, 40, 40, backend="fake")


def test_a_backend_without_the_feature_is_refused_before_any_call(chelsea_png: Path):
    fake = FakeAnalyzer(capabilities=frozenset({Feature.TAGS}))
    with fake.installed(), pytest.raises(ThumbnailUnsupportedError, match="'fake' backend"):
        visionkit.thumbnail(chelsea_png, 40, 40, backend="fake")
    assert fake.calls == []


def test_sizes_are_checked_before_a_backend_is_built(chelsea_png: Path):
    # No Azure key is configured in tests: the size error comes first, not the credentials one.
    with pytest.raises(visionkit.ThumbnailSizeError, match="width"):
        visionkit.thumbnail(chelsea_png, 0, 10, backend="azure")

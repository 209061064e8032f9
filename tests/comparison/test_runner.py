"""visionkit.compare end to end: the local backend on real pixels, Azure replayed from a cassette.

Until the local CNN is trained, the local backend is asked only for what its
pixel rules answer (colours, image type, metadata); the last test runs the
real model on tags when it is installed and says why it is skipped otherwise.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from comparison.conftest import AZURE_FEATURES, PIXEL_FEATURES, azure_analyzer, azure_cassette

import visionkit
from visionkit.backends.base import Analyzer
from visionkit.backends.local import LocalAnalyzer
from visionkit.comparison import Agreement, Comparison
from visionkit.comparison.runner import NETWORK_WORKERS, _workers, collect_images, compare
from visionkit.errors import ConfigError
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult
from visionkit.testing import assert_valid_result, replay

EXAMPLE_IMAGES = Path(__file__).resolve().parents[2] / "examples" / "images"

# What both sides are asked: the local backend answers the pixel features among these.
FEATURES = ("caption", "colors", "adult", "image_type", "metadata", "objects")


def run_replayed(tmp_path: Path, images: list[ImageInput], answers: int) -> Comparison:
    cassette = azure_cassette(tmp_path / "cassette", FEATURES, answers)
    with replay(cassette) as played:
        comparison = visionkit.compare(images, ("local", azure_analyzer()), FEATURES)
    played.assert_all_played()
    return comparison


def test_every_image_is_analysed_by_every_backend(photos, tmp_path):
    comparison = run_replayed(tmp_path, photos, answers=3)
    assert comparison.backends == ("local", "azure")
    assert [i.image for i in comparison.images] == [str(p) for p in photos]
    assert comparison.failures == ()
    for image in comparison.images:
        assert set(image.results) == {"local", "azure"}
        # Each backend was asked for the requested features it offers, and only those.
        assert_valid_result(image.results["local"], requested_features=PIXEL_FEATURES)
        assert_valid_result(image.results["azure"], requested_features=FEATURES)
        verdicts = {m.name: m.agreement for m in image.pair("local", "azure").metrics}
        assert verdicts["color_foreground"] is not Agreement.NOT_COMPARABLE
        assert verdicts["image_type"] is not Agreement.NOT_COMPARABLE
        for name in ("adult", "objects", "top1", "tag_overlap"):  # local: no adult, objects, tags
            assert verdicts[name] is Agreement.NOT_COMPARABLE, name
    assert comparison.features == tuple(sorted(FEATURES))
    assert all(s.count == 3 and s.mean_s is not None for s in comparison.latency())


def test_one_bad_image_loses_nothing_else(photos, tmp_path):
    images: list[ImageInput] = [photos[0], b"not an image at all", photos[1]]
    comparison = run_replayed(tmp_path, images, answers=2)
    good, bad, other = comparison.images
    assert bad.image == "<bytes #2>"
    assert {f.error_type for f in bad.failures.values()} == {"InvalidImageError"}
    assert set(bad.failures) == {"local", "azure"} and bad.pairs == ()
    assert set(good.results) == set(other.results) == {"local", "azure"}
    top1 = next(s for s in comparison.summary() if s.metric == "color_foreground")
    assert top1.comparable == 2 and top1.not_comparable == 1


def test_a_backend_without_a_key_fails_on_each_image_and_the_others_still_run(photos):
    comparison = visionkit.compare(photos, ("local", "azure"), ["colors"])
    assert [set(i.results) for i in comparison.images] == [{"local"}] * 3
    for image in comparison.images:
        failure = image.failures["azure"]
        assert failure.error_type == "ConfigError"
        assert "needs endpoint and key" in failure.message


def test_mistakes_that_would_fail_every_call_raise_before_any_work(photos):
    with pytest.raises(ConfigError, match="Unknown backend 'lokal'"):
        visionkit.compare(photos, ("lokal", "azure"))
    with pytest.raises(ConfigError, match="'local' backend offers none of the requested"):
        visionkit.compare(photos, ("local", azure_analyzer()), ["objects"])
    with pytest.raises(ConfigError, match="listed twice"):
        visionkit.compare(photos, ("local", "local"))


def test_folders_are_searched_for_images_in_order(photos, tmp_path):
    (photos[0].parent / "notes.txt").write_text("not an image")
    assert collect_images([photos[0].parent]) == photos
    comparison = visionkit.compare(photos[0].parent, ("local",), ["colors"])
    assert [i.image for i in comparison.images] == [str(p) for p in photos]


class SecondLocal(LocalAnalyzer):
    name: ClassVar[str] = "local2"


def test_a_stream_is_read_once_and_shown_to_every_backend(photos):
    with photos[0].open("rb") as stream:
        comparison = visionkit.compare(stream, ("local", SecondLocal()), ["metadata"])
    (image,) = comparison.images
    assert image.image == "<BufferedReader #1>"
    assert image.failures == {}
    sizes = {r.metadata.width for r in image.results.values() if r.metadata is not None}
    assert sizes == {1500}
    assert set(image.results) == {"local", "local2"}


def test_progress_is_reported_once_per_finished_image(photos):
    calls: list[tuple[int, int]] = []
    compare(
        photos, ("local",), ["metadata"], progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


class _Probe(Analyzer):
    """Records how many of its calls overlap."""

    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.METADATA})
    lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.peak = 0

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.03)
        with self.lock:
            self.active -= 1
        return AnalysisResult(backend=self.name)


class CpuBound(_Probe):
    name: ClassVar[str] = "cpu"


class NetworkBound(_Probe):
    name: ClassVar[str] = "net"
    remote: ClassVar[bool] = True

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        return self._analyze(image, features)


def test_network_backends_run_concurrently_and_cpu_backends_one_at_a_time():
    cpu, net = CpuBound(), NetworkBound()
    assert (_workers(cpu, {}), _workers(net, {}), _workers(net, {"net": 2})) == (
        1,
        NETWORK_WORKERS,
        2,
    )
    comparison = compare([b"a"] * 8, (cpu, net), ["metadata"])
    assert cpu.peak == 1
    assert net.peak > 1
    assert len(comparison.images) == 8 and comparison.failures == ()


def test_the_trained_local_model_against_replayed_azure(tmp_path):
    photos = [EXAMPLE_IMAGES / "chelsea.png", EXAMPLE_IMAGES / "dog.jpg"]
    cassette = azure_cassette(tmp_path / "cassette", AZURE_FEATURES, len(photos))
    with replay(cassette) as played:
        comparison = visionkit.compare(photos, ("local", azure_analyzer()), AZURE_FEATURES)
    played.assert_all_played()
    assert comparison.failures == ()
    for image in comparison.images:
        local = image.results["local"]
        assert_valid_result(local, requested_features=("tags", *PIXEL_FEATURES))
        assert local.tags
        top1 = image.pair("local", "azure").metric("top1")
        # Azure's published answer holds "pangolin" (hint "mammal"), so any CIFAR-10 class
        # is comparable with it: the verdict is agree or disagree, never "not comparable".
        assert top1.agreement is not Agreement.NOT_COMPARABLE
        assert top1.detail
    summary = {s.metric: s for s in comparison.summary()}
    assert summary["top1"].comparable == len(photos)
    assert summary["tag_overlap"].comparable + summary["tag_overlap"].not_comparable == 2

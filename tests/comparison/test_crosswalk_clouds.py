"""The crosswalk against Google's and AWS's real answers: their words meet the local classes.

The cloud answers are the recordings in ``tests/backends/{google,aws}/fixtures`` (copied
from the shared fixtures), mapped by the backends' own mappers; the local answers are the
shipped model on CIFAR-10 test photos of the same kind of thing. No recording in the shared
fixtures shows a cat or a car, so the vendor words for those are checked word by word.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import visionkit
from visionkit.backends.aws import mapping as aws_mapping
from visionkit.backends.google import mapping as google_mapping
from visionkit.comparison.crosswalk import Crosswalk, Relation
from visionkit.comparison.metrics import METRICS
from visionkit.comparison.settings import CompareSettings
from visionkit.features import Feature
from visionkit.results import AnalysisResult

BACKENDS = Path(__file__).resolve().parents[1] / "backends"
S = CompareSettings()
CW = Crosswalk.default()


def google(image: str) -> AnalysisResult:
    path = BACKENDS / "google" / "fixtures" / "cloudy_vision" / f"{image}.google.json"
    (response,) = json.loads(path.read_text("utf-8"))["responses"]
    return google_mapping.analysis_result(response, frozenset({Feature.TAGS}), metadata=None)


def aws(relative: str) -> AnalysisResult:
    body: dict[str, Any] = json.loads((BACKENDS / "aws" / "fixtures" / relative).read_text("utf-8"))
    return AnalysisResult(backend="aws", tags=aws_mapping.tags(body))


@pytest.fixture(scope="module")
def local(cifar10_dir: Path) -> Any:
    """The local model's tags for the first of a class's CIFAR-10 test photos it gets right."""

    def best(kind: str) -> AnalysisResult:
        for photo in sorted((cifar10_dir / "test" / kind).glob("*.jpg"))[:10]:
            result = visionkit.analyze(photo, ["tags"], backend="local", cache=False)
            if result.top_tag is not None and result.top_tag.name == kind:
                return result
        raise AssertionError(f"the local model got none of the first 10 {kind} photos right")

    return best


def test_googles_collie_and_rekognitions_collie_are_the_local_dog(local):
    dog = local("dog")
    for cloud in (google("collie.jpg"), aws("cloudy_vision/collie.jpg.rekognition.json")):
        top1 = METRICS["top1"](dog, cloud, S)
        assert top1.value == 1.0, (cloud.backend, top1.detail)
        assert METRICS["tag_overlap"](dog, cloud, S).value > 0.5, cloud.backend
    # Every word Google used for the collie is a dog or a broader concept, none unknown.
    words = {t.name: CW.concept(t.name) for t in google("collie.jpg").tags}
    assert {w for w, c in words.items() if c == "dog"} == {
        "dog", "dog breed group", "dog like mammal", "collie"
    }  # fmt: skip
    assert words["vertebrate"] == "animal" and words["mammal"] == "mammal"


def test_rekognitions_horse_breeds_and_parents_are_the_local_horse(local):
    horse = local("horse")
    cloud = aws("carbon-amazon/DetectLabelsResultTests.CanDeserialize.horses.json")
    assert METRICS["top1"](horse, cloud, S).value == 1.0
    names = [t.name for t in cloud.tags]
    assert {CW.concept(n) for n in names} == {"animal", "mammal", "horse"}
    # AWS's Parents reach the comparison as each tag's hint, the nearest parent.
    assert {t.name: t.hint for t in cloud.tags}["Andalusian Horse"] == "Horse"


def test_googles_vehicle_for_a_ship_is_broader_not_wrong(local):
    ship = local("ship")
    cloud = google("ship_and_board_games.jpg")
    assert [t.name for t in cloud.tags] == ["vehicle"]
    top1 = METRICS["top1"](ship, cloud, S)
    assert top1.value == 0.5, top1.detail  # compatible but less specific


def test_a_cow_is_its_own_animal_not_an_unknown_word(local):
    google_cow = google("drawing_cow1.jpg")
    aws_cow = aws("cloudy_vision/drawing_cow1.jpg.rekognition.json")
    assert CW.concept("cattle like mammal") == "cattle"
    assert {CW.concept(t.name) for t in aws_cow.tags} >= {"cattle", "mammal", "animal"}
    # So a local "horse" for a cow is a disagreement between mammals, not "no counterpart".
    assert CW.relation("horse", "Bull") is Relation.UNRELATED
    assert METRICS["top1"](local("horse"), google_cow, S).value == 0.0


@pytest.mark.parametrize(
    ("word", "concept"),
    [
        # Case, plurals and the vendors' names for the CIFAR-10 classes and their ranks.
        ("Cat", "cat"),
        ("Cats", "cat"),
        ("Felidae", "cat"),
        ("Small to medium-sized cats", "cat"),
        ("Carnivore", "mammal"),
        ("Dogs", "dog"),
        ("Puppies", "dog"),
        ("Horses", "horse"),
        ("Car", "automobile"),
        ("Cars", "automobile"),
        ("Sports Car", "automobile"),
        ("Motor vehicle", "land vehicle"),
        ("Vehicle", "vehicle"),
        ("Transportation", "vehicle"),
        ("Trucks", "truck"),
        ("Boats", "ship"),
        ("Airplanes", "airplane"),
    ],
)
def test_vendor_words_for_the_local_classes(word, concept):
    assert CW.concept(word) == concept


def test_local_cat_and_automobile_meet_the_vendor_words():
    assert CW.relation("cat", "Felidae") is Relation.SAME
    assert CW.relation("Carnivore", "cat") is Relation.BROADER
    assert CW.relation("automobile", "Cars") is Relation.SAME
    assert CW.relation("Motor vehicle", "automobile") is Relation.BROADER
    assert CW.relation("Vehicle", "automobile") is Relation.BROADER
    assert CW.relation("cat", "Glass") is Relation.UNRELATED  # "glass" is no plural of "glas"

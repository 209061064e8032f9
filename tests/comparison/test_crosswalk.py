"""The crosswalk: CIFAR-10 classes meet cloud words, with a hierarchy users can extend."""

from pathlib import Path

import pytest

from visionkit.comparison.crosswalk import Crosswalk, Relation, normalize_label
from visionkit.errors import ConfigError

CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@pytest.fixture(scope="module")
def cw() -> Crosswalk:
    return Crosswalk.default()


def test_every_cifar10_class_is_a_concept_under_animal_or_vehicle(cw):
    for name in CIFAR10:
        assert cw.concept(name) == name
        assert cw.ancestors(name)[-1] in ("animal", "vehicle"), name


@pytest.mark.parametrize(
    ("word", "concept"),
    [
        ("aircraft", "aircraft"),
        ("airliner", "airplane"),
        ("jet", "airplane"),
        ("car", "automobile"),
        ("Land_Vehicle", "land vehicle"),
        ("kitten", "cat"),
        ("feline", "cat"),
        ("puppy", "dog"),
        ("chihuahua", "dog"),
        ("boat", "ship"),
        ("watercraft", "watercraft"),
        ("  Pickup   Truck ", "truck"),
    ],
)
def test_cloud_words_map_to_concepts(cw, word, concept):
    assert cw.concept(word) == concept


def test_unknown_words_are_not_concepts(cw):
    assert cw.concept("indoor") is None


def test_relations_follow_the_hierarchy(cw):
    assert cw.relation("kitten", "cat") is Relation.SAME
    assert cw.relation("animal", "cat") is Relation.BROADER
    assert cw.relation("cat", "mammal") is Relation.NARROWER
    assert cw.relation("vehicle", "car") is Relation.BROADER
    assert cw.relation("cat", "dog") is Relation.UNRELATED
    assert cw.relation("indoor", "Indoor") is Relation.SAME  # unknown words: only themselves
    assert cw.relation("indoor", "cat") is Relation.UNRELATED
    assert Relation.BROADER.compatible and not Relation.UNRELATED.compatible


def test_closure_adds_every_broader_concept(cw):
    assert cw.closure(["cat", "truck"]) == {
        "cat", "mammal", "animal", "truck", "land vehicle", "vehicle"
    }  # fmt: skip


def test_a_users_classes_and_words_extend_a_copy(cw):
    extended = cw.extended(
        {
            "cat": ["maine coon"],
            "sailboat": {"synonyms": ["yacht", "Dinghy"], "parent": "watercraft"},
        }
    )
    assert extended.concept("maine coon") == "cat"
    assert extended.ancestors("cat") == ("mammal", "animal")  # a list keeps the parent
    assert extended.concept("dinghy") == "sailboat"
    assert extended.relation("watercraft", "yacht") is Relation.BROADER
    assert cw.concept("maine coon") is None  # the original is unchanged


def test_a_user_concept_takes_a_word_from_the_default(cw):
    extended = cw.extended({"ferry": {"synonyms": ["ferry"], "parent": "ship"}})
    assert extended.concept("ferry") == "ferry"
    assert extended.relation("ship", "ferry") is Relation.BROADER


def test_to_dict_reads_back_as_the_same_table(cw):
    rebuilt = Crosswalk([]).extended(cw.to_dict())
    assert rebuilt.to_dict() == cw.to_dict()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"tabby": {"parent": "kitty cat"}}, "parent 'kitty cat', which is not a concept"),
        ({"animal": {"parent": "cat"}}, "cycle"),
        ({"cat": 3}, "must be a list of synonyms or a table"),
        ({"cat": {"synonym": ["x"]}}, "Unknown key"),
        ({"cat": [1, 2]}, "must be a list of strings"),
    ],
)
def test_bad_entries_are_configuration_errors(cw, table, message):
    with pytest.raises(ConfigError, match=message):
        cw.extended(table, source="visionkit.toml [compare.crosswalk]")


def test_labels_normalise_case_underscores_and_spaces():
    assert normalize_label(" Land_Vehicle  ") == "land vehicle"


def test_the_documented_table_is_the_default_table(cw):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "compare.md").read_text("utf-8")
    for name, entry in cw.to_dict().items():
        parent = f"`{entry['parent']}`" if entry["parent"] else "(top)"
        assert f"| `{name}` | {parent} | {', '.join(entry['synonyms'])} |" in docs, name

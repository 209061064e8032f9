"""Each metric on hand-built pairs, and "not comparable" wherever a side lacks the feature."""

import dataclasses

import pytest
from comparison.conftest import azure_result, cloud_result, local_result

from visionkit.comparison.metrics import (
    METRICS,
    Agreement,
    compare_pair,
    match_objects,
    ranked_concepts,
)
from visionkit.comparison.settings import CompareSettings
from visionkit.results import (
    AdultScores,
    BoundingBox,
    ColorScheme,
    DetectedObject,
    ImageType,
    ObjectCategory,
    Tag,
)

S = CompareSettings()
CAT = local_result({"cat": 0.71, "dog": 0.2, "deer": 0.04}, {"mammal": 0.95, "animal": 0.97})


def test_best_label_skips_broader_concepts_the_result_implies():
    assert [c for c, _ in ranked_concepts(CAT, S.crosswalk)] == ["cat", "dog", "deer"]


def test_top1_agrees_on_synonyms():
    cloud = cloud_result({"indoor": 0.99, "kitten": 0.93, "animal": 0.9})
    m = METRICS["top1"](CAT, cloud, S)
    assert (m.agreement, m.value) == (Agreement.AGREE, 1.0)
    assert "both say 'cat'" in m.detail


def test_top1_is_compatible_but_less_specific_for_a_broader_cloud_word():
    cloud = cloud_result({"animal": 0.95, "outdoor": 0.9})
    m = METRICS["top1"](CAT, cloud, S)
    assert (m.agreement, m.value) == (Agreement.AGREE, 0.5)
    assert "azure 'animal' is compatible with local 'cat' but less specific" in m.detail


def test_top1_disagrees_on_unrelated_concepts():
    cloud = cloud_result({"dog": 0.97, "puppy": 0.9})
    m = METRICS["top1"](CAT, cloud, S)
    assert (m.agreement, m.value) == (Agreement.DISAGREE, 0.0)


def test_top1_disagrees_when_only_one_side_names_something_comparable():
    m = METRICS["top1"](CAT, azure_result(), S)  # person, man, outdoor, window, pangolin
    assert m.agreement is Agreement.AGREE  # pangolin's hint "mammal" is compatible with cat
    people = cloud_result({"person": 0.99, "man": 0.95})
    m = METRICS["top1"](CAT, people, S)
    assert (m.agreement, m.value) == (Agreement.DISAGREE, 0.0)
    assert "azure has no label the crosswalk knows" in m.detail


def test_topk_finds_the_best_label_lower_in_the_other_list():
    cloud = cloud_result({"dog": 0.97, "cat": 0.6})
    assert METRICS["top1"](CAT, cloud, S).agreement is Agreement.DISAGREE
    m = METRICS["topk"](CAT, cloud, S)
    assert (m.agreement, m.value) == (Agreement.AGREE, 1.0)
    top1_only = dataclasses.replace(S, top_k=1)
    assert METRICS["topk"](CAT, cloud, top1_only).agreement is Agreement.DISAGREE


def test_topk_disagrees_when_neither_best_label_is_in_the_other_top_k():
    cloud = cloud_result({"horse": 0.97, "truck": 0.6})
    m = METRICS["topk"](CAT, cloud, S)
    assert m.agreement is Agreement.DISAGREE
    assert "['cat', 'dog', 'deer'] vs ['horse', 'truck']" in m.detail


def test_tag_overlap_is_a_jaccard_index_over_implied_concepts():
    cloud = cloud_result({"kitten": 0.9, "indoor": 0.99, "dog": 0.3})
    m = METRICS["tag_overlap"](CAT, cloud, S)
    # local >= 0.5: cat, mammal, animal; cloud >= 0.5: cat (+ mammal, animal implied);
    # "indoor" has no counterpart and the 0.3 dog is below min_tag_confidence.
    assert (m.agreement, m.value) == (Agreement.AGREE, 1.0)
    cloud = cloud_result({"dog": 0.9})
    m = METRICS["tag_overlap"](CAT, cloud, S)
    assert m.value == pytest.approx(2 / 4)  # {mammal, animal} of {cat, dog, mammal, animal}
    assert m.agreement is Agreement.AGREE
    m = METRICS["tag_overlap"](CAT, cloud_result({"truck": 0.9}), S)
    assert (m.agreement, m.value) == (Agreement.DISAGREE, 0.0)


def test_confidence_gap_is_measured_on_shared_labels_and_judged_by_its_threshold():
    cloud = cloud_result({"cat": 0.99, "animal": 0.97, "indoor": 0.9})
    m = METRICS["confidence_gap"](CAT, cloud, S)
    assert m.value == pytest.approx(((0.99 - 0.71) + 0.0) / 2)  # cat and animal; not indoor
    assert m.detail == "animal: local 0.97, azure 0.97; cat: local 0.71, azure 0.99"
    strict = dataclasses.replace(S, confidence_gap_agree=0.1)
    assert METRICS["confidence_gap"](CAT, cloud, S).agreement is Agreement.AGREE
    assert METRICS["confidence_gap"](CAT, cloud, strict).agreement is Agreement.DISAGREE


def test_colours_compare_names_and_accent_by_perceptual_distance():
    local = local_result({"cat": 0.7}, colors=ColorScheme("brown", "gray", (), "#873B5A", False))
    results = {m.name: m for m in compare_pair(local, azure_result(), S)}
    assert results["color_foreground"].agreement is Agreement.AGREE
    assert results["color_background"].agreement is Agreement.DISAGREE
    assert results["color_background"].detail == "local gray, azure brown"
    accent = results["color_accent"]
    assert accent.agreement is Agreement.AGREE and accent.value < 1
    green = local_result({"cat": 0.7}, colors=ColorScheme("brown", "brown", (), "#2F8A3E", False))
    assert METRICS["color_accent"](green, azure_result(), S).agreement is Agreement.DISAGREE


def test_a_colour_a_side_does_not_name_is_not_comparable():
    local = local_result({"cat": 0.7}, colors=ColorScheme(None, "brown", (), None, True))
    results = {m.name: m for m in compare_pair(local, azure_result(), S)}
    assert results["color_foreground"].agreement is Agreement.NOT_COMPARABLE
    assert results["color_accent"].agreement is Agreement.NOT_COMPARABLE


def test_adult_scores_report_the_largest_difference_and_compare_verdicts():
    other = cloud_result({}, adult=AdultScores(0.6, 0.1, 0.0, True, False, False))
    m = METRICS["adult"](azure_result(), other, S)
    assert m.agreement is Agreement.DISAGREE
    assert m.value == pytest.approx(0.6 - 0.0934349000453949)
    assert "verdicts differ" in m.detail


def test_adult_scores_compare_only_the_categories_both_sides_scored():
    # Hand-made, shaped like AWS's mapping of its v6 example: no racy or gore label reached
    # the 0.5 MinConfidence, so those are None ("below the threshold"), not 0.
    aws = cloud_result({}, adult=AdultScores(0.99, None, None, True, False, False, 0.5))
    m = METRICS["adult"](azure_result(), aws, S)
    assert m.value == pytest.approx(0.99 - 0.0934349000453949)
    assert "racy" not in m.detail and "verdicts differ" in m.detail
    unknown = cloud_result({}, adult=AdultScores(None, None, None, False, False, False))
    assert METRICS["adult"](azure_result(), unknown, S).agreement is Agreement.NOT_COMPARABLE


def test_image_type_compares_both_scales():
    drawn = dataclasses.replace(CAT, image_type=ImageType(3, 1))
    assert METRICS["image_type"](CAT, azure_result(), S).agreement is Agreement.AGREE
    assert METRICS["image_type"](drawn, azure_result(), S).agreement is Agreement.DISAGREE


def test_what_the_local_backend_cannot_do_is_never_a_disagreement():
    verdicts = {m.name: m for m in compare_pair(CAT, azure_result(), S)}
    for name in ("adult", "objects"):
        assert verdicts[name].agreement is Agreement.NOT_COMPARABLE, name
        assert verdicts[name].value is None
        assert "local returned no" in verdicts[name].detail
    no_tags = dataclasses.replace(CAT, tags=None)
    for m in compare_pair(no_tags, azure_result(), S)[:4]:
        assert m.agreement is Agreement.NOT_COMPARABLE, m.name


def test_no_comparable_label_on_either_side_is_not_comparable():
    a = cloud_result({"indoor": 0.9})
    b = cloud_result({"outdoor": 0.9}, backend="other")
    assert {m.agreement for m in compare_pair(a, b, S)[:4]} == {Agreement.NOT_COMPARABLE}


def _obj(name: str, box: tuple[int, int, int, int], parent: str | None = None) -> DetectedObject:
    return DetectedObject(
        name, 0.9, BoundingBox(*box), ObjectCategory(parent) if parent is not None else None
    )


def test_objects_match_one_to_one_by_iou_and_compatible_label():
    a = (
        _obj("dog", (0, 0, 100, 100)),
        _obj("dog", (200, 0, 100, 100)),
        _obj("car", (0, 300, 50, 50)),
    )
    b = (_obj("puppy", (5, 5, 100, 100)), _obj("mammal", (210, 0, 100, 100), "animal"))
    matches = match_objects(a, b, S.crosswalk, 0.5)
    assert [(m.first.box.x, m.second.box.x) for m in matches] == [(0, 5), (200, 210)]
    left = cloud_result({}, objects=a)
    right = cloud_result({}, objects=b, backend="other")
    m = METRICS["objects"](left, right, S)
    assert m.value == pytest.approx(2 * 2 / 5)
    assert m.agreement is Agreement.AGREE


def test_objects_with_unrelated_labels_or_low_iou_do_not_match():
    a = (_obj("dog", (0, 0, 100, 100)),)
    assert match_objects(a, (_obj("truck", (0, 0, 100, 100)),), S.crosswalk, 0.5) == []
    assert match_objects(a, (_obj("dog", (60, 60, 100, 100)),), S.crosswalk, 0.5) == []


def test_objects_found_by_neither_side_agree():
    empty = cloud_result({}, objects=())
    m = METRICS["objects"](empty, dataclasses.replace(empty, backend="other"), S)
    assert (m.agreement, m.value) == (Agreement.AGREE, 1.0)


def test_tags_with_a_hint_stand_for_the_hint():
    hinted = dataclasses.replace(azure_result(), tags=(Tag("pangolin", 0.9, hint="mammal"),))
    assert ranked_concepts(hinted, S.crosswalk) == [("mammal", 0.9)]


def test_every_metric_returns_its_own_name():
    for name, metric in METRICS.items():
        assert metric(CAT, azure_result(), S).name == name

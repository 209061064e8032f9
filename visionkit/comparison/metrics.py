"""Agreement between two results for one image: pure functions, one per metric.

Every metric takes two :class:`~visionkit.results.AnalysisResult` values and
the :class:`~visionkit.comparison.settings.CompareSettings`, and returns a
:class:`MetricResult` with a three-way verdict. The third state matters: when
one backend cannot do a feature (the local backend has no captions, no adult
scores, no objects) or was not asked for it, the metric is *not comparable*.
Calling that a disagreement would blame the model for a question it was never
asked. Nothing here runs a backend, so every metric is tested from results
built by hand or read from recorded JSON.

Labels go through the crosswalk first. Only labels the crosswalk knows take
part in label metrics: "indoor" from a cloud has no counterpart a CIFAR-10
model could say, so it counts neither for nor against. A cloud tag the
crosswalk does not know but that carries a hint ("pangolin", hint "mammal")
stands for its hint.

It is over the project's ~400-line guide on purpose: each metric is short, and keeping
them side by side with their one description table is what lets a reader check that they
judge alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from visionkit.comparison.colordistance import delta_e
from visionkit.comparison.crosswalk import Crosswalk, Relation
from visionkit.comparison.matching import greedy_one_to_one
from visionkit.comparison.settings import CompareSettings
from visionkit.comparison.text_metrics import line_agreement, text_distance
from visionkit.results import AnalysisResult, BoundingBox, DetectedObject


class Agreement(StrEnum):
    """The verdict of one metric on one image: never a bool, because "cannot say" is common."""

    AGREE = "agree"
    DISAGREE = "disagree"
    NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric on one pair of results.

    ``value`` is the number behind the verdict (its meaning is in
    :data:`METRIC_DESCRIPTIONS`), ``None`` when not comparable; ``detail`` says
    in words what was compared, for the table and the report.
    """

    name: str
    agreement: Agreement
    value: float | None
    detail: str


def _not_comparable(name: str, why: str) -> MetricResult:
    return MetricResult(name, Agreement.NOT_COMPARABLE, None, why)


def _missing(feature: str, a: AnalysisResult, b: AnalysisResult) -> str | None:
    """Why ``feature`` cannot be compared (a side lacks it), or ``None`` if both have it."""
    lacking = [r.backend for r in (a, b) if getattr(r, feature) is None]
    if not lacking:
        return None
    return f"{' and '.join(lacking)} returned no {feature} (not requested or not supported)"


# -- labels -----------------------------------------------------------------------------


def ranked_concepts_all(result: AnalysisResult, crosswalk: Crosswalk) -> list[tuple[str, float]]:
    """The result's tags as crosswalk concepts, most confident first, one entry per concept.

    A concept keeps its best confidence (Azure may say "dog" and "puppy").
    """
    best: dict[str, float] = {}
    for tag in result.tags or ():
        concept = crosswalk.concept(tag.name)
        if concept is None and tag.hint:
            concept = crosswalk.concept(tag.hint)
        if concept is not None and tag.confidence > best.get(concept, -1.0):
            best[concept] = tag.confidence
    return sorted(best.items(), key=lambda cp: (-cp[1], cp[0]))


def ranked_concepts(result: AnalysisResult, crosswalk: Crosswalk) -> list[tuple[str, float]]:
    """:func:`ranked_concepts_all` without the broader concepts a more specific one implies.

    This is what "best label" means: the local backend's derived "animal" (as
    confident as its most probable animal class, so tied with "cat" at the top)
    must not hide its actual answer, "cat".
    """
    ranked = ranked_concepts_all(result, crosswalk)
    implied = {a for c, _ in ranked for a in crosswalk.ancestors(c)}
    return [(c, p) for c, p in ranked if c not in implied]


def _label_match(crosswalk: Crosswalk, first: str, second: str) -> float:
    """1 for the same concept, 0.5 for one broader than the other, 0 for unrelated."""
    relation = crosswalk.relation(first, second)
    if relation is Relation.SAME:
        return 1.0
    return 0.5 if relation.compatible else 0.0


def _describe_match(first: str, second: str, relation: Relation, a: str, b: str) -> str:
    if relation is Relation.SAME:
        return f"both say {first!r}"
    if relation is Relation.BROADER:
        return f"{a} {first!r} is compatible with {b} {second!r} but less specific"
    if relation is Relation.NARROWER:
        return f"{b} {second!r} is compatible with {a} {first!r} but less specific"
    return f"{a} says {first!r}, {b} says {second!r}"


def _label_inputs(
    name: str, a: AnalysisResult, b: AnalysisResult, settings: CompareSettings
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]] | MetricResult:
    missing = _missing("tags", a, b)
    if missing is not None:
        return _not_comparable(name, missing)
    ra = ranked_concepts(a, settings.crosswalk)
    rb = ranked_concepts(b, settings.crosswalk)
    if not ra and not rb:
        return _not_comparable(name, "neither side has a label the crosswalk knows")
    return ra, rb


def top1_agreement(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Do the two best labels name the same thing (1), a broader/narrower thing (0.5), or not?"""
    inputs = _label_inputs("top1", a, b, settings)
    if isinstance(inputs, MetricResult):
        return inputs
    ra, rb = inputs
    if not ra or not rb:
        empty, other = (a, rb) if not ra else (b, ra)
        return MetricResult(
            "top1",
            Agreement.DISAGREE,
            0.0,
            f"{empty.backend} has no label the crosswalk knows; the other says {other[0][0]!r}",
        )
    first, second = ra[0][0], rb[0][0]
    relation = settings.crosswalk.relation(first, second)
    value = _label_match(settings.crosswalk, first, second)
    verdict = Agreement.AGREE if relation.compatible else Agreement.DISAGREE
    return MetricResult(
        "top1", verdict, value, _describe_match(first, second, relation, a.backend, b.backend)
    )


def topk_agreement(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Is either side's best label among the other's ``top_k`` (exact 1, compatible 0.5)?"""
    inputs = _label_inputs("topk", a, b, settings)
    if isinstance(inputs, MetricResult):
        return inputs
    ra, rb = inputs
    k = settings.top_k
    if not ra or not rb:
        return MetricResult(
            "topk", Agreement.DISAGREE, 0.0, "one side has no label the crosswalk knows"
        )
    cw = settings.crosswalk
    best = 0.0
    found = ""
    for top, others, who, where in (
        (ra[0][0], rb[:k], a.backend, b.backend),
        (rb[0][0], ra[:k], b.backend, a.backend),
    ):
        for label, _ in others:
            score = _label_match(cw, top, label)
            if score > best:
                best, found = score, f"{who}'s {top!r} ~ {where}'s {label!r}"
    if best == 0.0:
        return MetricResult(
            "topk",
            Agreement.DISAGREE,
            0.0,
            f"neither best label is in the other's top {k}: "
            f"{[c for c, _ in ra[:k]]} vs {[c for c, _ in rb[:k]]}",
        )
    return MetricResult("topk", Agreement.AGREE, best, f"top {k}: {found}")


def _tag_set(result: AnalysisResult, settings: CompareSettings) -> frozenset[str]:
    concepts = [
        c
        for c, p in ranked_concepts_all(result, settings.crosswalk)
        if p >= settings.min_tag_confidence
    ]
    return settings.crosswalk.closure(concepts)


def tag_overlap(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Jaccard index of the two sets of concepts, each closed under "is a" (cat implies animal)."""
    missing = _missing("tags", a, b)
    if missing is not None:
        return _not_comparable("tag_overlap", missing)
    sa, sb = _tag_set(a, settings), _tag_set(b, settings)
    union = sa | sb
    if not union:
        return _not_comparable(
            "tag_overlap",
            f"no label the crosswalk knows at confidence >= {settings.min_tag_confidence:g}",
        )
    jaccard = len(sa & sb) / len(union)
    verdict = Agreement.AGREE if jaccard >= settings.tag_overlap_agree else Agreement.DISAGREE
    detail = (
        f"shared {sorted(sa & sb)}; only {a.backend} {sorted(sa - sb)}; "
        f"only {b.backend} {sorted(sb - sa)}"
    )
    return MetricResult("tag_overlap", verdict, jaccard, detail)


def confidence_gap(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Mean absolute difference in confidence over the concepts both sides state."""
    missing = _missing("tags", a, b)
    if missing is not None:
        return _not_comparable("confidence_gap", missing)
    floor = settings.min_tag_confidence
    ca = {c: p for c, p in ranked_concepts_all(a, settings.crosswalk) if p >= floor}
    cb = {c: p for c, p in ranked_concepts_all(b, settings.crosswalk) if p >= floor}
    shared = sorted(ca.keys() & cb.keys())
    if not shared:
        return _not_comparable("confidence_gap", "no label both sides agree on")
    gaps = [abs(ca[c] - cb[c]) for c in shared]
    mean = sum(gaps) / len(gaps)
    verdict = Agreement.AGREE if mean <= settings.confidence_gap_agree else Agreement.DISAGREE
    detail = "; ".join(f"{c}: {a.backend} {ca[c]:.2f}, {b.backend} {cb[c]:.2f}" for c in shared)
    return MetricResult("confidence_gap", verdict, mean, detail)


# -- colours ----------------------------------------------------------------------------


def _dominant(which: str, a: AnalysisResult, b: AnalysisResult) -> MetricResult:
    name = f"color_{which}"
    missing = _missing("colors", a, b)
    if missing is not None:
        return _not_comparable(name, missing)
    assert a.colors is not None and b.colors is not None
    ca = getattr(a.colors, f"dominant_{which}")
    cb = getattr(b.colors, f"dominant_{which}")
    if ca is None or cb is None:
        return _not_comparable(name, f"a side names no dominant {which} colour")
    same = ca == cb
    return MetricResult(
        name,
        Agreement.AGREE if same else Agreement.DISAGREE,
        1.0 if same else 0.0,
        f"{a.backend} {ca}, {b.backend} {cb}",
    )


def color_foreground(
    a: AnalysisResult, b: AnalysisResult, settings: CompareSettings
) -> MetricResult:
    """Same dominant foreground colour name? Names come from one shared set of twelve."""
    return _dominant("foreground", a, b)


def color_background(
    a: AnalysisResult, b: AnalysisResult, settings: CompareSettings
) -> MetricResult:
    """Same dominant background colour name?"""
    return _dominant("background", a, b)


def color_accent(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """CIEDE2000 distance between the accent colours; agree within ``accent_delta_e``."""
    missing = _missing("colors", a, b)
    if missing is not None:
        return _not_comparable("color_accent", missing)
    assert a.colors is not None and b.colors is not None
    ca, cb = a.colors.accent_color, b.colors.accent_color
    if ca is None or cb is None:
        return _not_comparable("color_accent", "a side has no accent colour")
    distance = delta_e(ca, cb)
    verdict = Agreement.AGREE if distance <= settings.accent_delta_e else Agreement.DISAGREE
    return MetricResult(
        "color_accent",
        verdict,
        distance,
        f"{a.backend} {ca}, {b.backend} {cb}: ΔE00 {distance:.1f}",
    )


# -- moderation and image type -----------------------------------------------------------


def adult_scores(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Largest score difference; agree when the adult/racy/gory verdicts are the same."""
    missing = _missing("adult", a, b)
    if missing is not None:
        return _not_comparable("adult", missing)
    assert a.adult is not None and b.adult is not None
    # Only categories both scored: None is "not reported" (AWS: below its threshold), not 0.
    pairs = zip(a.adult.scores().items(), b.adult.scores().values(), strict=True)
    diffs = {k: abs(x - y) for (k, x), y in pairs if x is not None and y is not None}
    if not diffs:
        return _not_comparable("adult", "no category scored by both")
    same = (a.adult.is_adult, a.adult.is_racy, a.adult.is_gory) == (
        b.adult.is_adult,
        b.adult.is_racy,
        b.adult.is_gory,
    )
    detail = ", ".join(f"{k} Δ{v:.2f}" for k, v in diffs.items())
    detail += "; same verdicts" if same else "; verdicts differ"
    return MetricResult(
        "adult", Agreement.AGREE if same else Agreement.DISAGREE, max(diffs.values()), detail
    )


def image_type(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Same clip-art level and line-drawing flag?"""
    missing = _missing("image_type", a, b)
    if missing is not None:
        return _not_comparable("image_type", missing)
    assert a.image_type is not None and b.image_type is not None
    ta, tb = a.image_type, b.image_type
    same = (ta.clip_art, ta.line_drawing) == (tb.clip_art, tb.line_drawing)
    return MetricResult(
        "image_type",
        Agreement.AGREE if same else Agreement.DISAGREE,
        1.0 if same else 0.0,
        f"clip art {ta.clip_art} vs {tb.clip_art}, line drawing {ta.line_drawing} vs "
        f"{tb.line_drawing}",
    )


# -- area of interest ---------------------------------------------------------------------


def area_of_interest(
    a: AnalysisResult, b: AnalysisResult, settings: CompareSettings
) -> MetricResult:
    """IoU of the two boxes around the main subject; agree at ``iou_threshold`` or more,
    the standard by which two object boxes are taken to mean the same region."""
    missing = _missing("area_of_interest", a, b)
    if missing is not None:
        return _not_comparable("area_of_interest", missing)
    box_a, box_b = a.area_of_interest, b.area_of_interest
    assert box_a is not None and box_b is not None
    iou = box_a.iou(box_b)
    verdict = Agreement.AGREE if iou >= settings.iou_threshold else Agreement.DISAGREE
    detail = f"IoU {iou:.2f} of {box_a.xywh} ({a.backend}) and {box_b.xywh} ({b.backend})"
    return MetricResult("area_of_interest", verdict, iou, detail)


# -- objects ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectMatch:
    """Two detections taken to be the same object."""

    first: DetectedObject
    second: DetectedObject
    iou: float


def match_objects(
    first: tuple[DetectedObject, ...],
    second: tuple[DetectedObject, ...],
    crosswalk: Crosswalk,
    iou_threshold: float,
) -> list[ObjectMatch]:
    """Greedy one-to-one matching, highest IoU first, of boxes whose labels are compatible.

    Greedy by IoU is what detection benchmarks do for a single threshold; every
    object is matched at most once, so three dogs never all match one dog.
    """
    candidates = [
        (-iou, i, j)
        for i, oa in enumerate(first)
        for j, ob in enumerate(second)
        if (iou := oa.box.iou(ob.box)) >= iou_threshold and _objects_compatible(crosswalk, oa, ob)
    ]
    return [ObjectMatch(first[i], second[j], -key) for key, i, j in greedy_one_to_one(candidates)]


def _objects_compatible(crosswalk: Crosswalk, a: DetectedObject, b: DetectedObject) -> bool:
    """Any name in one object's lineage relates to any in the other's (dog vs mammal: yes)."""
    return any(crosswalk.relation(x, y).compatible for x in a.lineage for y in b.lineage)


def objects(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """F1 of objects matched by IoU and compatible label; both finding nothing agrees."""
    missing = _missing("objects", a, b)
    if missing is not None:
        return _not_comparable("objects", missing)
    assert a.objects is not None and b.objects is not None
    if not a.objects and not b.objects:
        return MetricResult("objects", Agreement.AGREE, 1.0, "neither found an object")
    matches = match_objects(a.objects, b.objects, settings.crosswalk, settings.iou_threshold)
    f1 = 2 * len(matches) / (len(a.objects) + len(b.objects))
    verdict = Agreement.AGREE if f1 >= settings.objects_agree else Agreement.DISAGREE
    pairs = ", ".join(f"{m.first.name}~{m.second.name} IoU {m.iou:.2f}" for m in matches)
    detail = (
        f"{len(matches)} matched of {len(a.objects)} ({a.backend}) and "
        f"{len(b.objects)} ({b.backend})" + (f": {pairs}" if pairs else "")
    )
    return MetricResult("objects", verdict, f1, detail)


# -- faces and text -----------------------------------------------------------------------


def match_boxes(
    first: tuple[BoundingBox, ...], second: tuple[BoundingBox, ...], iou_threshold: float
) -> list[tuple[int, int, float]]:
    """``(i, j, iou)`` of boxes matched one-to-one, greedily by IoU, at >= ``iou_threshold``."""
    candidates = [
        (-iou, i, j)
        for i, ba in enumerate(first)
        for j, bb in enumerate(second)
        if (iou := ba.iou(bb)) >= iou_threshold
    ]
    return [(i, j, -key) for key, i, j in greedy_one_to_one(candidates)]


def faces(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """F1 of face boxes matched one-to-one by IoU; both finding no face agrees.

    Faces carry no label to check, so a match is the box alone; age and
    gender (which only some clouds return) are not scored.
    """
    missing = _missing("faces", a, b)
    if missing is not None:
        return _not_comparable("faces", missing)
    assert a.faces is not None and b.faces is not None
    if not a.faces and not b.faces:
        return MetricResult("faces", Agreement.AGREE, 1.0, "neither found a face")
    matches = match_boxes(
        tuple(f.box for f in a.faces), tuple(f.box for f in b.faces), settings.iou_threshold
    )
    f1 = 2 * len(matches) / (len(a.faces) + len(b.faces))
    verdict = Agreement.AGREE if f1 >= settings.faces_agree else Agreement.DISAGREE
    ious = ", ".join(f"IoU {iou:.2f}" for _, _, iou in matches)
    detail = (
        f"{len(matches)} matched of {len(a.faces)} ({a.backend}) and {len(b.faces)} "
        f"({b.backend})" + (f": {ious}" if ious else "")
    )
    return MetricResult("faces", verdict, f1, detail)


def text_cer(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Character error rate of the two reading-order texts (edits over the longer text)."""
    missing = _missing("text", a, b)
    if missing is not None:
        return _not_comparable("text_cer", missing)
    assert a.text is not None and b.text is not None
    distance = text_distance(a.text, b.text)
    if not distance.first_length and not distance.second_length:
        return MetricResult("text_cer", Agreement.AGREE, 0.0, "neither read any text")
    verdict = Agreement.AGREE if distance.rate <= settings.text_cer_agree else Agreement.DISAGREE
    detail = (
        f"{distance.edits} character edit(s); {a.backend} read {distance.first_length} "
        f"characters, {b.backend} {distance.second_length}"
    )
    return MetricResult("text_cer", verdict, distance.rate, detail)


def text_lines(a: AnalysisResult, b: AnalysisResult, settings: CompareSettings) -> MetricResult:
    """Share of the first side's lines matched by a line of the other (place or words)."""
    missing = _missing("text", a, b)
    if missing is not None:
        return _not_comparable("text_lines", missing)
    assert a.text is not None and b.text is not None
    agreement = line_agreement(a.text, b.text, settings.iou_threshold)
    if not agreement.first_lines and not agreement.second_lines:
        return MetricResult("text_lines", Agreement.AGREE, 1.0, "neither read a line")
    share = agreement.share
    verdict = Agreement.AGREE if share >= settings.text_lines_agree else Agreement.DISAGREE
    by_place = sum(m.iou >= settings.iou_threshold for m in agreement.matches)
    detail = (
        f"{len(agreement.matches)} of {agreement.first_lines} {a.backend} line(s) matched by "
        f"one of {agreement.second_lines} {b.backend} line(s): {by_place} by place, "
        f"{len(agreement.matches) - by_place} by words alone"
    )
    return MetricResult("text_lines", verdict, share, detail)


Metric = Callable[[AnalysisResult, AnalysisResult, CompareSettings], MetricResult]

METRICS: dict[str, Metric] = {
    "top1": top1_agreement,
    "topk": topk_agreement,
    "tag_overlap": tag_overlap,
    "confidence_gap": confidence_gap,
    "color_foreground": color_foreground,
    "color_background": color_background,
    "color_accent": color_accent,
    "adult": adult_scores,
    "area_of_interest": area_of_interest,
    "image_type": image_type,
    "objects": objects,
    "faces": faces,
    "text_cer": text_cer,
    "text_lines": text_lines,
}
"""Every metric, in report order."""

METRIC_DESCRIPTIONS: dict[str, str] = {
    "top1": "best labels match: 1 same concept, 0.5 one broader than the other, 0 unrelated",
    "topk": "either best label is in the other's top k (1 exact, 0.5 compatible)",
    "tag_overlap": "Jaccard index of the crosswalked tag sets (with broader concepts implied)",
    "confidence_gap": "mean |confidence difference| over labels both state (lower is closer)",
    "color_foreground": "same dominant foreground colour name",
    "color_background": "same dominant background colour name",
    "color_accent": "CIEDE2000 distance between accent colours (lower is closer)",
    "adult": "largest adult/racy/gore score difference; agree = same verdicts",
    "area_of_interest": "IoU of the boxes around the main subject (x, y, w, h shown)",
    "image_type": "same clip-art level and line-drawing flag",
    "objects": "F1 of objects matched by IoU and compatible label",
    "faces": "F1 of face boxes matched by IoU",
    "text_cer": "character error rate of the reading-order texts (lower is closer)",
    "text_lines": "share of the first side's lines matched by place (polygon IoU) or words",
}
"""What each metric's ``value`` means, for the table, the CSV header and the report."""


def compare_pair(
    a: AnalysisResult, b: AnalysisResult, settings: CompareSettings
) -> tuple[MetricResult, ...]:
    """Every metric in :data:`METRICS` for one pair of results."""
    return tuple(metric(a, b, settings) for metric in METRICS.values())


__all__ = [
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "Agreement",
    "Metric",
    "MetricResult",
    "ObjectMatch",
    "compare_pair",
    "match_boxes",
    "match_objects",
    "ranked_concepts",
    "ranked_concepts_all",
]

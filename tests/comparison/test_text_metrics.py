"""Text and face scores of a comparison: hand-checked cases, then real answers.

The small cases are hand-made (lines, polygons and boxes typed in here, each
figure worked out by hand in its comment). The real ones pit the local backend
against Azure on the same photos: its OCR on ``whiteboard.jpg`` against Azure's
recorded Read answer for that photo (``BatchReadFileInStreamTest``, the Azure SDK
for .NET's 2019 recording), and its face detector on ``satya.jpg`` against the
face box Azure published for that photo (``AnalyzeCelebritiesDomainTest``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import random
from pathlib import Path

import pytest
from comparison.conftest import azure_result

from visionkit import analyze
from visionkit.comparison import build_comparison
from visionkit.comparison.metrics import METRICS, Agreement, match_boxes
from visionkit.comparison.settings import CompareSettings
from visionkit.comparison.text_metrics import (
    convex_hull,
    edit_distance,
    line_agreement,
    normalise,
    polygon_iou,
    reading_text,
    text_distance,
)
from visionkit.errors import ConfigError
from visionkit.results import AnalysisResult, BoundingBox, Face, TextLine

S = CompareSettings()
DOTNET = "pairs/dotnet-sdk-sessionrecords-2019"


def _line(text: str, x: float, y: float, w: float = 100, h: float = 20) -> TextLine:
    return TextLine(text, ((x, y), (x + w, y), (x + w, y + h), (x, y + h)))


def _result(backend: str, lines: tuple[TextLine, ...] | None = None, **changes) -> AnalysisResult:
    return AnalysisResult(backend=backend, text=lines, **changes)


# -- the metric's parts, by hand -----------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("kitten", "sitting", 3),  # k->s, e->i, +g: the textbook case
        ("flaw", "lawn", 2),  # -f, +n
        ("ACHTUNG", "ACHTUNG", 0),
        ("Achtung", "ACHTUNG", 6),  # case counts: six lower-case letters differ
    ],
)
def test_edit_distance(first, second, distance):
    assert edit_distance(first, second) == distance
    assert edit_distance(second, first) == distance


def _two_row_levenshtein(first: str, second: str) -> int:
    """The textbook dynamic programme, kept here as the reference the fast one must match."""
    previous = list(range(len(second) + 1))
    for i, ca in enumerate(first, start=1):
        current = [i]
        for j, cb in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_edit_distance_matches_the_plain_programme_on_random_texts():
    # Small alphabets make many repeats (the bit-parallel form's hard case), the
    # last one mixes accents, CJK and spaces; lengths cross 64 (one machine word).
    rng = random.Random(20261204)
    for alphabet in ("ab", "abc", "abcdefgh ", "a\u00e9\u4e2d "):
        for _ in range(300):
            first = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            second = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
            expected = _two_row_levenshtein(first, second)
            assert edit_distance(first, second) == expected
            assert edit_distance(second, first) == expected


def test_normalisation_folds_whitespace_and_compatibility_forms_not_case():
    assert normalise(
        "  \uff36\uff49\uff56\uff41\tla\n\n vida  "
    )  # full-width "Viva" == "Viva la vida"
    assert normalise("\ufb01ne") == "fine"  # the ligature is two letters
    assert normalise("Viva") != normalise("viva")


def test_reading_text_joins_lines_in_the_backends_order():
    lines = (_line("you must be", 0, 0), _line("the change", 0, 30))
    assert reading_text(lines) == "you must be the change"
    assert reading_text(lines[::-1]) == "the change you must be"


def test_text_distance_is_symmetric_and_over_the_longer_text():
    a = (_line("kitten", 0, 0),)
    b = (_line("sitting", 0, 0),)
    assert text_distance(a, b).rate == pytest.approx(3 / 7)
    assert text_distance(b, a).rate == pytest.approx(3 / 7)
    # Line breaks are whitespace: one engine's two lines read as the other's one line.
    split = (_line("you must", 0, 0), _line("be the change", 0, 30))
    whole = (_line("you must be the change", 0, 0, w=220),)
    assert text_distance(split, whole).rate == 0.0


def test_polygon_iou_of_squares_and_a_rotated_square():
    square = ((0, 0), (10, 0), (10, 10), (0, 10))
    shifted = ((5, 0), (15, 0), (15, 10), (5, 10))
    assert polygon_iou(square, square) == pytest.approx(1.0)
    assert polygon_iou(square, shifted) == pytest.approx(50 / 150)  # overlap 5x10
    assert polygon_iou(square, ((20, 20), (30, 20), (30, 30), (20, 30))) == 0.0
    # A diamond inscribed in the square: area 50, all inside it, so IoU 50 / 100.
    diamond = ((5, 0), (10, 5), (5, 10), (0, 5))
    assert polygon_iou(square, diamond) == pytest.approx(0.5)
    # Points in any order, clockwise or not: the hull is what counts.
    assert polygon_iou(square[::-1], ((10, 10), (0, 0), (0, 10), (10, 0))) == pytest.approx(1.0)


def test_degenerate_polygons_overlap_nothing():
    assert convex_hull(((0, 0), (5, 5), (10, 10))) == [(0.0, 0.0), (10.0, 10.0)]
    assert polygon_iou(((0, 0), (5, 5), (10, 10)), ((0, 0), (10, 0), (10, 10))) == 0.0
    assert polygon_iou((), ((0, 0), (10, 0), (10, 10))) == 0.0


def test_lines_match_by_place_or_by_words_once_each():
    first = (
        _line("you must be the change", 0, 0),  # same place as second[0], other words
        _line("in the world", 0, 100),  # same words as second[2], elsewhere
        _line("nothing like it", 0, 200),  # no counterpart
    )
    second = (
        _line("you mvst be the chango", 2, 1),  # IoU (98*19)/(2*2000-98*19) = 0.87
        _line("you must be the change", 3, 2),  # also overlaps first[0]: used once only
        _line("In  the World", 500, 500),
    )
    agreement = line_agreement(first, second, 0.5)
    assert agreement.share == pytest.approx(2 / 3)
    assert [(m.first.text, m.second.text, m.same_text) for m in agreement.matches] == [
        ("you must be the change", "you must be the change", True),  # place and words first
        ("in the world", "In  the World", True),
    ]
    assert line_agreement((), (), 0.5).share == 1.0
    assert line_agreement((), second, 0.5).share == 0.0


# -- the metrics ---------------------------------------------------------------------------


def test_text_metrics_on_hand_made_lines():
    a = _result("local", (_line("kitten", 0, 0),))
    b = _result("azure", (_line("sitting", 300, 300),))
    cer = METRICS["text_cer"](a, b, S)
    assert cer.value == pytest.approx(3 / 7)
    assert cer.agreement is Agreement.DISAGREE  # 0.43 > 0.2
    assert cer.detail == "3 character edit(s); local read 6 characters, azure 7"
    lenient = CompareSettings(text_cer_agree=0.5)
    assert METRICS["text_cer"](a, b, lenient).agreement is Agreement.AGREE
    lines = METRICS["text_lines"](a, b, S)
    assert (lines.agreement, lines.value) == (Agreement.DISAGREE, 0.0)


def test_text_not_read_by_one_side_is_not_comparable_and_nothing_read_agrees():
    read = _result("local", (_line("ACHTUNG", 0, 0),))
    for name in ("text_cer", "text_lines"):
        m = METRICS[name](read, _result("azure", None), S)
        assert m.agreement is Agreement.NOT_COMPARABLE and m.value is None
        assert "azure returned no text" in m.detail
        both_empty = METRICS[name](_result("local", ()), _result("azure", ()), S)
        assert both_empty.agreement is Agreement.AGREE
        one_empty = METRICS[name](read, _result("azure", ()), S)
        assert one_empty.agreement is Agreement.DISAGREE
    assert METRICS["text_cer"](read, _result("azure", ()), S).value == 1.0


def test_faces_match_one_to_one_by_iou():
    boxes = (
        BoundingBox(0, 0, 100, 100),
        BoundingBox(200, 0, 100, 100),
        BoundingBox(0, 300, 50, 50),
    )
    others = (BoundingBox(5, 5, 100, 100), BoundingBox(10, 0, 100, 100))
    # Both of ``others`` overlap the first box, at IoU 9025/10975 = 0.822 and 9000/11000 =
    # 0.818; only the better one takes it, and the other is left unmatched.
    assert [(i, j) for i, j, _ in match_boxes(boxes, others, 0.5)] == [(0, 0)]
    a = _result("local", faces=tuple(Face(b, 0.9) for b in boxes))
    b = _result("azure", faces=tuple(Face(b) for b in others))
    m = METRICS["faces"](a, b, S)
    assert m.value == pytest.approx(2 * 1 / 5)
    assert m.agreement is Agreement.DISAGREE
    assert m.detail.startswith("1 matched of 3 (local) and 2 (azure): IoU 0.8")
    nobody = METRICS["faces"](_result("local", faces=()), _result("azure", faces=()), S)
    assert (nobody.agreement, nobody.value) == (Agreement.AGREE, 1.0)
    unasked = METRICS["faces"](a, _result("azure"), S)
    assert unasked.agreement is Agreement.NOT_COMPARABLE


@pytest.mark.parametrize("name", ["faces_agree", "text_cer_agree", "text_lines_agree"])
def test_new_thresholds_are_checked(name):
    with pytest.raises(ConfigError, match=f"compare.{name} must be a number in"):
        CompareSettings(**{name: 1.5})


# -- real answers --------------------------------------------------------------------------

needs_ocr = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxruntime")),
    reason="the 'ocr' extra is not installed: pip install 'visionkit[ocr]'",
)
needs_faces = pytest.mark.skipif(
    importlib.util.find_spec("cv2") is None,
    reason="the 'faces' extra is not installed: pip install 'visionkit[faces]'",
)


def _points(flat: list[float]) -> tuple[tuple[float, float], ...]:
    return tuple(zip(flat[0::2], flat[1::2], strict=True))


def recorded_read(fixtures: Path) -> AnalysisResult:
    """Azure's recorded Read answer for whiteboard.jpg as the lines of a result.

    The recording is the v2.0 batch Read API, whose lines have the text and
    8-number polygon the v3.2 Read answer has; they are taken as they are.
    """
    record = fixtures / DOTNET / "VisionBatchReadFileTests" / "BatchReadFileInStreamTest.json"
    entries = json.loads(record.read_text(encoding="utf-8"))["Entries"]
    (page,) = json.loads(entries[-1]["ResponseBody"])["recognitionResults"]
    lines = tuple(TextLine(line["text"], _points(line["boundingBox"])) for line in page["lines"])
    return AnalysisResult(backend="azure", text=lines, replayed_from=record.name)


@needs_ocr
def test_local_ocr_against_azure_read_on_the_whiteboard(azure_fixtures_dir):
    azure = recorded_read(azure_fixtures_dir)
    local = analyze(
        azure_fixtures_dir / "images/dotnet-sdk-testimages/whiteboard.jpg",
        backend="local",
        features=["text"],
    )
    comparison = build_comparison(
        [("whiteboard.jpg", {"local": local, "azure": azure}, {})], ["local", "azure"]
    )
    pair = comparison.images[0].pair("local", "azure")
    # Both read the two handwritten lines (tests/backends/local/test_ocr.py: the same words,
    # case aside). Local reads "You must be the change", Azure "you must be ...": one edit
    # over the 52 characters of "you must be the change you want to see in the world!".
    assert reading_text(azure.text or ()) == "you must be the change you want to see in the world!"
    cer = pair.metric("text_cer")
    assert cer.agreement is Agreement.AGREE
    assert cer.value == pytest.approx(1 / 52)
    assert cer.detail == "1 character edit(s); local read 52 characters, azure 52"
    lines = pair.metric("text_lines")
    assert (lines.agreement, lines.value) == (Agreement.AGREE, 1.0)
    assert "2 by place" in lines.detail  # the polygons overlap, not only the words
    summary = {s.metric: s for s in comparison.summary()}
    assert summary["text_cer"].agreed == 1 and summary["text_lines"].agreed == 1
    assert summary["faces"].not_comparable == 1  # neither was asked for faces


@needs_faces
def test_local_faces_against_azures_published_box_on_satya(azure_fixtures_dir):
    # Azure v2.1 celebrities on satya.jpg: faceRectangle left 211, top 50, 55 x 55.
    azure = _result("azure", faces=(Face(BoundingBox(211, 50, 55, 55)),))
    local = analyze(
        azure_fixtures_dir / "images/dotnet-sdk-testimages/satya.jpg",
        backend="local",
        features=["faces"],
    )
    m = METRICS["faces"](local, azure, S)
    assert m.agreement is Agreement.AGREE
    assert m.value == pytest.approx(2 / (len(local.faces or ()) + 1))
    assert "1 matched" in m.detail


def test_the_published_azure_answer_scores_faces_against_itself():
    published = azure_result()
    assert published.faces  # Azure's example photo has a face
    shifted = dataclasses.replace(
        published,
        backend="other",
        faces=tuple(
            dataclasses.replace(
                f, box=BoundingBox(f.box.x + 500, f.box.y, f.box.width, f.box.height)
            )
            for f in published.faces
        ),
    )
    assert (
        METRICS["faces"](published, dataclasses.replace(published, backend="other"), S).value == 1.0
    )
    assert METRICS["faces"](published, shifted, S).value == 0.0


def test_csv_and_json_carry_faces_text_and_their_scores():
    import csv
    import io

    formula = (_line("=HYPERLINK(1)", 0, 0), _line("exit", 0, 30))
    local = _result("local", formula, faces=(Face(BoundingBox(1, 2, 30, 40), 0.8),))
    azure = _result("azure", formula, faces=())
    comparison = build_comparison(
        [("a.jpg", {"local": local, "azure": azure}, {})], ["local", "azure"]
    )
    rows = {r["backend"]: r for r in csv.DictReader(io.StringIO(comparison.to_csv()))}
    assert rows["local"]["faces"] == "face@1,2,30,40"
    assert rows["local"]["text"] == "'=HYPERLINK(1) | exit"  # shown, never run as a formula
    assert rows["azure"]["faces"] == ""
    assert rows["local"]["text_cer vs azure"] == "agree"
    assert rows["local"]["text_cer vs azure value"] == "0.0000"
    assert rows["local"]["faces vs azure"] == "disagree"
    data = comparison.to_dict()
    names = [m["name"] for m in data["images"][0]["pairs"][0]["metrics"]]
    assert {"faces", "text_cer", "text_lines"} <= set(names)
    again = type(comparison).from_dict(data)
    assert again.images[0].pair("local", "azure").metric("text_lines").value == 1.0

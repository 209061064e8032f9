"""Comparison as a value: summaries, the text table, JSON and CSV, from hand-built results."""

import csv
import dataclasses
import io
import json

import pytest
from comparison.conftest import azure_result, cloud_result, local_result

from visionkit.comparison import Agreement, Comparison, Failure, build_comparison
from visionkit.comparison.export import BASE_COLUMNS, COMPARISON_SCHEMA
from visionkit.comparison.metrics import METRICS
from visionkit.results import AnalysisResult, Caption

CAT = local_result({"cat": 0.7, "dog": 0.2}, {"mammal": 0.9, "animal": 0.93}, elapsed_s=0.02)
TRUCK = local_result({"truck": 0.8}, {"land vehicle": 0.85, "vehicle": 0.86}, elapsed_s=0.04)


@pytest.fixture
def comparison() -> Comparison:
    return build_comparison(
        [
            ("cat.jpg", {"local": CAT, "azure": cloud_result({"kitten": 0.95})}, {}),
            ("truck.jpg", {"local": TRUCK, "azure": cloud_result({"dog": 0.9})}, {}),
            (
                "broken.jpg",
                {"local": CAT},
                {"azure": Failure("azure", "BackendUnavailableError", "503 from the service")},
            ),
        ],
        ["local", "azure"],
    )


def test_summary_counts_agreements_and_keeps_failures_apart(comparison):
    top1 = next(s for s in comparison.summary() if s.metric == "top1")
    assert (top1.pair, top1.agreed, top1.disagreed, top1.not_comparable) == (
        "local vs azure",
        1,
        1,
        1,  # broken.jpg: azure failed, so nothing to compare, not a disagreement
    )
    assert top1.agreement_rate == 0.5
    assert top1.mean_value == 0.5
    adult = next(s for s in comparison.summary() if s.metric == "adult")
    assert (adult.comparable, adult.not_comparable, adult.agreement_rate) == (0, 3, None)
    assert [s.metric for s in comparison.summary()] == list(METRICS)


def test_latency_summarises_each_backend_and_counts_failures(comparison):
    local, azure = comparison.latency()
    assert (local.backend, local.count, local.failures) == ("local", 3, 0)
    assert local.mean_s == pytest.approx((0.02 + 0.04 + 0.02) / 3)
    assert local.median_s == pytest.approx(0.02)
    assert local.max_s == pytest.approx(0.04)
    assert (azure.count, azure.failures, azure.mean_s) == (2, 1, pytest.approx(0.2))


def test_failures_are_listed_with_their_image(comparison):
    assert comparison.failures == (
        ("broken.jpg", Failure("azure", "BackendUnavailableError", "503 from the service")),
    )


def test_str_is_a_table_with_every_metric_and_backend(comparison):
    text = str(comparison)
    assert text.startswith("3 image(s), backends local, azure; 1 failure(s)")
    for name in METRICS:
        assert f"local vs azure  {name}" in text
    assert "local vs azure  top1              50%        1/1/1" in text
    assert "azure    2         1       200 ms  200 ms  200 ms" in text


def test_a_pair_and_its_metrics_can_be_looked_up(comparison):
    pair = comparison.images[0].pair("azure", "local")
    assert pair.metric("top1").agreement is Agreement.AGREE
    with pytest.raises(KeyError, match="No metric 'nope'"):
        pair.metric("nope")
    with pytest.raises(KeyError, match="No comparison"):
        comparison.images[0].pair("local", "other")


def test_to_dict_is_json_and_keeps_every_result_and_verdict(comparison):
    data = json.loads(comparison.to_json())
    assert data["schema"] == COMPARISON_SCHEMA
    assert data["backends"] == ["local", "azure"]
    assert data["settings"]["top_k"] == 3
    first = data["images"][0]
    assert (
        AnalysisResult.from_dict(first["results"]["azure"]).tags
        == cloud_result({"kitten": 0.95}).tags
    )
    assert "raw" not in first["results"]["azure"]
    metrics = {m["name"]: m for m in first["pairs"][0]["metrics"]}
    assert metrics["top1"] == {
        "name": "top1",
        "agreement": "agree",
        "value": 1.0,
        "detail": "both say 'cat'",
    }
    assert data["images"][2]["failures"] == {
        "azure": {"type": "BackendUnavailableError", "message": "503 from the service"}
    }
    assert len(data["summary"]) == len(METRICS)
    assert comparison.to_dict(include_raw=True)["images"][0]["results"]["azure"]["raw"] is None


def test_csv_has_one_row_per_image_and_backend(comparison, tmp_path):
    path = tmp_path / "out.csv"
    text = comparison.to_csv(path)
    assert path.read_text(encoding="utf-8") == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["image"], r["backend"], r["status"]) for r in rows] == [
        ("cat.jpg", "local", "ok"),
        ("cat.jpg", "azure", "ok"),
        ("truck.jpg", "local", "ok"),
        ("truck.jpg", "azure", "ok"),
        ("broken.jpg", "local", "ok"),
        ("broken.jpg", "azure", "error"),
    ]
    header = next(csv.reader(io.StringIO(text)))
    assert header[: len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    cat_local, cat_azure = rows[0], rows[1]
    assert cat_local["top1 vs azure"] == cat_azure["top1 vs local"] == "agree"
    assert cat_local["top1 vs azure value"] == "1.0000"
    assert cat_local["top1 vs local"] == ""  # a backend is not compared with itself
    assert cat_local["top_tag"] == "animal"
    assert cat_local["tags"].startswith("animal=0.930; mammal=0.900; cat=0.700")
    assert cat_azure["caption"] == "Satya Nadella sitting on a bench"
    assert cat_azure["objects"] == "tree@0,0,50,50"
    assert cat_azure["accent_color"] == "#873B59"
    assert rows[5]["error_type"] == "BackendUnavailableError"
    assert rows[5]["top1 vs local"] == ""


def test_three_backends_are_compared_pairwise():
    other = azure_result()
    comparison = build_comparison(
        [("x.jpg", {"local": CAT, "azure": other, "aws": other}, {})],
        ["local", "azure", "aws"],
    )
    assert comparison.pairs == (("local", "azure"), ("local", "aws"), ("azure", "aws"))
    assert [p.label for p in comparison.images[0].pairs] == [
        "local vs azure",
        "local vs aws",
        "azure vs aws",
    ]
    assert {s.pair for s in comparison.summary()} == {
        "local vs azure",
        "local vs aws",
        "azure vs aws",
    }


def test_json_reads_back_into_the_same_comparison(comparison):
    again = Comparison.from_json(comparison.to_json())
    assert again.backends == comparison.backends
    assert again.summary() == comparison.summary()
    assert [i.results for i in again.images] == [i.results for i in comparison.images]
    assert again.failures == comparison.failures


def test_a_saved_comparison_can_be_judged_again_with_other_thresholds(comparison):
    data = comparison.to_dict()
    data["settings"]["min_tag_confidence"] = 0.95
    data["crosswalk"]["cat"]["synonyms"].remove("kitten")
    again = Comparison.from_dict(data)
    assert again.settings.min_tag_confidence == 0.95
    # Without "kitten" in the crosswalk, Azure says nothing about cats any more.
    assert again.images[0].pair("local", "azure").metric("top1").agreement is Agreement.DISAGREE


def test_an_unknown_schema_is_refused(comparison):
    data = comparison.to_dict()
    data["schema"] = "visionkit.comparison/99"
    with pytest.raises(ValueError, match="Unsupported comparison schema"):
        Comparison.from_dict(data)


def test_csv_rows_say_which_answers_were_replayed():
    replayed = dataclasses.replace(cloud_result({"kitten": 0.95}), replayed_from="bundled:azure/x")
    text = build_comparison(
        [("cat.jpg", {"local": CAT, "azure": replayed}, {})], ["local", "azure"]
    ).to_csv()
    rows = {r["backend"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["azure"]["replayed_from"] == "bundled:azure/x"
    assert rows["local"]["replayed_from"] == ""


def test_csv_cells_that_a_spreadsheet_would_run_are_only_shown():
    """User and service text starting like a formula gets a leading ', numbers stay numbers."""
    link = '=HYPERLINK("http://evil.example","cat")'
    captioned = dataclasses.replace(
        cloud_result({"kitten": 0.95}), captions=(Caption("@SUM(A1:A9)", 0.9),)
    )
    text = build_comparison(
        [
            (f"{link}.jpg", {"local": CAT, "azure": captioned}, {}),
            ("-2+3.jpg", {"local": CAT}, {"azure": Failure("azure", "BackendError", "+1 call")}),
        ],
        ["local", "azure"],
    ).to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["image"] == f"'{link}.jpg"
    assert rows[1]["caption"] == "'@SUM(A1:A9)"
    assert rows[2]["image"] == "'-2+3.jpg"
    assert rows[3]["error_message"] == "'+1 call"
    assert rows[0]["top_tag"] == "animal"  # ordinary text untouched
    values = [v for r in rows for k, v in r.items() if k.endswith(" value") and v]
    assert values and all(not v.startswith("'") for v in values)

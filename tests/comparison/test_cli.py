"""`visionkit compare`: tables, files and exit codes, with Azure replayed from a cassette."""

from __future__ import annotations

import csv
import json

import pytest
from comparison.conftest import azure_cassette

from visionkit.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, main
from visionkit.comparison.metrics import METRICS
from visionkit.testing import replay

FEATURES = "caption,colors,adult,image_type,metadata,objects"


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://vk-cli.cognitiveservices.azure.com")
    monkeypatch.setenv("AZURE_VISION_KEY", "cli-test-key")


def test_compare_prints_tables_and_writes_the_report_and_csv(photos, tmp_path, azure_env, capsys):
    cassette = azure_cassette(tmp_path / "cassette", FEATURES.split(","), len(photos))
    report, table = tmp_path / "report.html", tmp_path / "out.csv"
    folder = str(photos[0].parent)
    with replay(cassette) as played:
        code = main(
            ["compare", folder, "-f", FEATURES, "--report", str(report), "--csv", str(table)]
        )
    played.assert_all_played()
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "Agreement" in out and "Latency" in out
    for name in METRICS:
        assert name in out
    assert f"wrote {report}" in err and f"wrote {table}" in err
    assert f"azure answers were replayed from {cassette}" in " ".join(err.split())
    assert all(str(p) in report.read_text(encoding="utf-8") for p in photos)
    rows = list(csv.DictReader(table.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 2 * len(photos)


def test_json_goes_to_stdout_alone(photos, tmp_path, azure_env, capsys):
    cassette = azure_cassette(tmp_path / "cassette", FEATURES.split(","), 1)
    with replay(cassette):
        code = main(["compare", str(photos[0]), "-f", FEATURES, "--json"])
    out, _ = capsys.readouterr()
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["backends"] == ["local", "azure"]
    assert [i["image"] for i in data["images"]] == [str(photos[0])]


def test_failures_are_listed_once_per_cause_and_exit_1(photos, capsys):
    code = main(["compare", str(photos[0]), "-f", "colors"])  # no Azure key configured
    _, err = capsys.readouterr()
    assert code == EXIT_SOME_FAILED
    assert f"azure failed on {photos[0]}: ConfigError: The azure backend needs" in err
    code = main(["compare", str(photos[0].parent), "-f", "colors"])
    _, err = capsys.readouterr()
    assert code == EXIT_SOME_FAILED
    assert err.count("azure failed on") == 1
    assert f"azure failed on 3 images ({photos[0]}, ...): ConfigError" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backends", "local,nope"], "Unknown backend 'nope'"),
        (["-f", "colour"], "Did you mean 'colors'?"),
    ],
)
def test_usage_errors_exit_2(photos, capsys, args, message):
    code = main(["compare", str(photos[0]), *args])
    _, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert message in err


def test_a_folder_without_images_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == EXIT_USAGE
    assert "No images found" in capsys.readouterr().err


def test_one_backend_says_why_there_is_no_agreement(photos, tmp_path, capsys):
    report = tmp_path / "one.html"
    code = main(
        ["compare", str(photos[0]), "--backends", "local", "-f", "colors", "--report", str(report)]
    )
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "No agreement to show: it takes two backends, and only local ran." in out
    assert "Agreement" not in out
    assert "Latency" in out
    assert "No agreement to show" in report.read_text(encoding="utf-8")

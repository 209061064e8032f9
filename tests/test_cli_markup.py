"""User strings and literal brackets reach the terminal as typed: Rich markup never eats them.

Rich reads ``[red]`` in any printed string or table cell as a style; a file named
``dog [red].jpg`` used to print as ``dog .jpg``, and ``visionkit config`` lost the
``[azure]`` / ``[local]`` titles of its tables.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from visionkit.cli import main
from visionkit.render import result_table
from visionkit.results import AnalysisResult, Caption, Tag

REPO = Path(__file__).resolve().parent.parent
DOG = REPO / "examples" / "images" / "dog.jpg"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("VISIONKIT_BACKEND", raising=False)
    return tmp_path


def test_a_bracketed_file_name_is_printed_whole(in_tmp: Path, capsys) -> None:
    shutil.copy(DOG, in_tmp / "dog [red].jpg")
    assert main(["analyze", "dog [red].jpg", "-f", "colors"]) == 0
    out = capsys.readouterr().out
    assert "dog [red].jpg" in out


def test_a_missing_bracketed_file_is_named_whole_in_the_error(in_tmp: Path, capsys) -> None:
    assert main(["analyze", "nope [bold].jpg", "-f", "colors"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("nope [bold].jpg") >= 2  # the label and the message both name it


def test_config_tables_keep_their_section_titles(in_tmp: Path, capsys) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "[local]" in out
    assert "[azure]" in out


def test_result_cells_print_brackets_literally() -> None:
    from rich.console import Console

    result = AnalysisResult(
        backend="azure",
        tags=(Tag("[b]bold[/b]", 0.9),),
        captions=(Caption("a [link] sign", 0.5),),
        fallback_reason="azure failed: [red]down",
    )
    console = Console(width=200, record=True)
    console.print(result_table(result, title="x [dim]y.jpg"))
    text = console.export_text()
    for literal in ("[b]bold[/b]", "a [link] sign", "[red]down", "x [dim]y.jpg"):
        assert literal in text, text


def test_cache_commands_print_a_bracketed_cache_path(in_tmp: Path, monkeypatch, capsys) -> None:
    from visionkit.cache.defaults import close_default_caches

    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(in_tmp / "c [x]"))
    close_default_caches()
    try:
        assert main(["cache", "stats"]) == 0
        assert main(["cache", "clear"]) == 0
    finally:
        close_default_caches()
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("c [x]") == 2, out


def test_a_folder_run_names_bracketed_files_whole(in_tmp: Path, capsys) -> None:
    (in_tmp / "photos").mkdir()
    shutil.copy(DOG, in_tmp / "photos" / "a [red].jpg")
    assert main(["analyze", "photos", "-f", "colors", "--out", "out [red].jsonl"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "results: out [red].jsonl" in err

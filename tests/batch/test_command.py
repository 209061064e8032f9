"""``visionkit analyze DIR --out``, ``--resume`` and ``visionkit cache``, run in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.progress import Progress

from visionkit.batch.command import _RateColumn, finished_inputs, iter_images
from visionkit.cli import main
from visionkit.results import AnalysisResult
from visionkit.version import __version__


@pytest.fixture
def folder(tmp_path, cifar10_dir):
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".thumbs").mkdir()
    for i, src in enumerate(sorted((cifar10_dir / "test" / "frog").glob("*.jpg"))[:6]):
        target = root if i < 3 else root / "sub" if i < 5 else root / "sub" / "deeper"
        shutil.copy(src, target / f"frog{i}.jpg")
    shutil.copy(src, root / ".thumbs" / "hidden.jpg")
    (root / "notes.txt").write_text("not an image, not picked up")
    (root / "sub" / "broken.JPG").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return root


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_walk_finds_images_by_suffix_in_name_order_and_skips_hidden_ones(folder):
    flat = list(iter_images([str(folder)], recursive=False))
    assert [p.rsplit("/", 1)[1] for p in flat] == ["frog0.jpg", "frog1.jpg", "frog2.jpg"]
    deep = list(iter_images([str(folder)], recursive=True))
    assert len(deep) == 7 and not any(".thumbs" in p for p in deep)
    assert str(folder / "sub" / "broken.JPG") in deep


def test_a_folder_run_writes_a_line_per_image_and_exits_1_listing_the_failure(
    folder, tmp_path, capsys
):
    out = tmp_path / "results.jsonl"
    code = main(["analyze", str(folder), "-r", "--out", str(out), "-f", "colors,metadata"])
    assert code == 1
    records = lines(out)
    assert len(records) == 7
    good = [r for r in records if "error" not in r]
    assert len(good) == 6
    for record in good:
        result = AnalysisResult.from_dict({k: v for k, v in record.items() if k != "input"})
        assert result.colors is not None and result.metadata.width == 32
    err = capsys.readouterr().err
    assert "done 6, failed 1, cached 0" in err and "broken.JPG" in err.replace("\n", "")


def test_resume_skips_what_is_done_and_retries_failures(folder, tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    args = ["analyze", str(folder), "-r", "--out", str(out), "-f", "colors"]
    main(args)
    before = out.read_text()
    with out.open("a") as fh:
        fh.write('{"input": "cut short by a cra')  # what a crash mid-line leaves
    capsys.readouterr()
    assert main([*args, "--resume"]) == 1
    assert out.read_text().startswith(before)
    added = out.read_text()[len(before) :].splitlines()
    assert json.loads(added[-1])["input"].endswith("broken.JPG")  # only the failure again
    assert "Resuming: 6 image(s)" in capsys.readouterr().err


def test_an_existing_output_is_never_overwritten_without_resume(folder, tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    out.write_text("precious\n")
    assert main(["analyze", str(folder), "--out", str(out)]) == 2
    assert out.read_text() == "precious\n"
    assert "--resume" in capsys.readouterr().err


def test_a_clean_folder_exits_0_and_prints_summaries_without_out(folder, capsys):
    assert main(["analyze", str(folder), "-f", "colors"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("[local]") == 3 and "done 3, failed 0" in captured.err


def test_finished_inputs_ignores_errors_and_broken_lines(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"input": "a.jpg", "backend": "local"}\n'
        '{"input": "b.jpg", "error": {"type": "InvalidImageError", "message": "x"}}\n'
        '{"input": "c.j'
    )
    assert finished_inputs(path) == {"a.jpg"}
    assert finished_inputs(tmp_path / "none.jsonl") == set()


def test_cache_stats_and_clear(tmp_path, monkeypatch, capsys):
    from visionkit.cache import close_default_caches, default_cache

    monkeypatch.setenv("VISIONKIT_CACHE_DIR", str(tmp_path / "vk"))
    default_cache().put("k", AnalysisResult(backend="azure", tags=()))
    assert main(["cache", "stats"]) == 0
    shown = capsys.readouterr().out
    assert "entries" in shown and "azure" in shown and str(tmp_path / "vk") in shown
    assert main(["cache", "clear"]) == 0
    assert "deleted 1" in capsys.readouterr().out
    assert default_cache().stats().entries == 0
    close_default_caches()


def test_a_rate_for_a_backend_that_calls_nothing_is_a_usage_error(folder, capsys):
    assert main(["analyze", str(folder), "--rate", "10/s", "-f", "colors"]) == 2
    assert "makes none" in capsys.readouterr().err


def test_resume_without_out_is_a_usage_error(folder, capsys):
    assert main(["analyze", str(folder), "--resume"]) == 2
    assert "--out" in capsys.readouterr().err


def test_the_progress_rate_is_the_runs_average_not_the_last_burst():
    """A stacked local batch finishes many images at one instant; the bar must not read that
    burst as the speed (it showed 1653 img/s in a run whose summary said 4.9 images/s)."""
    now = [0.0]
    progress = Progress(get_time=lambda: now[0])
    task_id = progress.add_task("analysing", total=64)
    now[0] = 10.0
    progress.advance(task_id, 32)  # one batch of 32 after 10 s...
    now[0] = 10.001
    progress.advance(task_id, 1)  # ...and the next image a millisecond later
    (task,) = progress.tasks
    assert _RateColumn().render(task).plain == f"{33 / 10.001:.1f} img/s"


def test_piped_output_keeps_one_entry_per_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COLUMNS", raising=False)
    folder = tmp_path / ("a-folder-with-a-long-name-" * 3)
    folder.mkdir()
    source = Path(__file__).resolve().parents[2] / "examples" / "images" / "chelsea.png"
    shutil.copy(source, folder / "chelsea.png")
    assert main(["analyze", str(folder), "-f", "colors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{folder / 'chelsea.png'}: [local] mostly ")


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        (["-f", "colors,image_type"], "features"),
        (["-f", "colors", "-b", "fake"], "backend"),
        (["-f", "colors", "-o", "top_k=1"], "options.top_k"),
    ],
)
def test_resume_refuses_other_settings(folder, tmp_path, capsys, changed, named):
    out = tmp_path / "results.jsonl"
    base = ["analyze", str(folder), "-r", "--out", str(out)]
    main([*base, "-f", "colors"])
    recorded = json.loads((tmp_path / "results.jsonl.run.json").read_text())
    assert {k: recorded[k] for k in ("backend", "features", "options", "fallback", "raw")} == {
        "backend": "local",
        "features": ["colors"],
        "options": {},
        "fallback": [],
        "raw": False,
    }
    assert recorded["resolved_options"]["top_k"] == 3  # the default, resolved
    assert recorded["visionkit"] == __version__
    before = out.read_text()
    capsys.readouterr()
    assert main([*base, *changed, "--resume"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--resume would mix results made with other settings" in err
    assert f"{named}:" in err
    assert out.read_text() == before


def test_resume_refuses_an_output_without_its_settings(folder, tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    out.write_text('{"input": "a.jpg", "schema": "visionkit.result/1", "backend": "local"}\n')
    assert main(["analyze", str(folder), "--out", str(out), "--resume", "-f", "colors"]) == 2
    assert "no record of the settings" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VISIONKIT_LOCAL_TOP_K": "2"}, "resolved_options.top_k: 3 then, 2 now"),
        ({"VISIONKIT_FALLBACK": "fake"}, "fallback: [] then, ['fake'] now"),
    ],
)
def test_resume_refuses_settings_changed_outside_the_command(
    folder, tmp_path, capsys, monkeypatch, env, named
):
    """The same command line can mean other settings: a config file, the environment."""
    out = tmp_path / "results.jsonl"
    command = ["analyze", str(folder), "-r", "--out", str(out), "-f", "colors"]
    main(command)
    before = out.read_text()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main([*command, "--resume"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--resume would mix results made with other settings" in err
    assert named in err
    assert out.read_text() == before


def test_resume_refuses_a_retrained_model_at_the_same_path(folder, tmp_path, capsys):
    model = tmp_path / "model.tflite"
    shipped = Path(__file__).resolve().parents[2] / "visionkit" / "models" / "cifar10-default"
    shutil.copy(shipped.with_suffix(".tflite"), model)
    shutil.copy(shipped.with_suffix(".json"), model.with_suffix(".json"))
    out = tmp_path / "results.jsonl"
    command = [
        "analyze",
        str(folder),
        "-r",
        "--out",
        str(out),
        "-f",
        "tags",
        "-o",
        f"model={model}",
    ]
    main(command)
    model.write_bytes(model.read_bytes() + b"\0")  # retrained: same path, other file
    capsys.readouterr()
    assert main([*command, "--resume"]) == 2
    assert "resolved_options.model:" in " ".join(capsys.readouterr().err.split())

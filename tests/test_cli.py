"""The `visionkit` command, run through its installed entry point and in-process."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from visionkit.cli import main

REPO = Path(__file__).resolve().parent.parent
CHELSEA = REPO / "examples" / "images" / "chelsea.png"


def run_entry_point(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "visionkit"
    if not exe.exists():
        pytest.skip("the visionkit console script is not installed in this environment")
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("VISIONKIT_BACKEND", None)
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )


def test_entry_point_analyzes_the_sample_image_as_a_table():
    proc = run_entry_point("analyze", str(CHELSEA))
    assert proc.returncode == 0, proc.stderr
    assert "cat" in proc.stdout
    assert "451x300" in proc.stdout
    assert "colors" in proc.stdout


def test_entry_point_json_lines_and_partial_failure(tmp_path):
    missing = tmp_path / "missing.jpg"
    proc = run_entry_point(
        "analyze", str(CHELSEA), str(missing), "--json", "--features", "tags,metadata"
    )
    assert proc.returncode == 1
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 2
    ok, failed = lines
    assert ok["input"] == str(CHELSEA)
    assert ok["tags"][0]["name"] == "cat"
    assert ok["colors"] is None  # not requested
    assert ok["metadata"] == {"width": 451, "height": 300, "format": "PNG"}
    assert "raw" not in ok
    assert failed["error"]["type"] == "InvalidImageError"
    assert str(missing) in proc.stderr
    assert "1 of 2 image(s) failed" in proc.stderr


def test_unknown_feature_is_a_usage_error(capsys):
    assert main(["analyze", str(CHELSEA), "--features", "colours"]) == 2
    assert "Did you mean 'colors'" in capsys.readouterr().err


def test_unsupported_feature_names_the_backends_that_can(capsys):
    assert main(["analyze", str(CHELSEA), "--backend", "local", "--features", "captions"]) == 2
    err = capsys.readouterr().err
    assert "'local' backend does not support the 'caption' feature" in err
    assert "azure" in err
    # objects are an opt-in of the local backend: the message says how to turn them on
    assert main(["analyze", str(CHELSEA), "--backend", "local", "--features", "objects"]) == 2
    assert "regions=True" in capsys.readouterr().err


def test_unknown_backend_and_bad_option_exit_2(capsys):
    assert main(["analyze", str(CHELSEA), "--backend", "nope"]) == 2
    assert "Unknown backend 'nope'" in capsys.readouterr().err
    assert main(["analyze", str(CHELSEA), "-o", "top_kk=3"]) == 2
    assert "Did you mean 'top_k'" in capsys.readouterr().err


def test_option_flag_reaches_the_backend(capsys):
    assert (
        main(
            [
                "analyze",
                str(CHELSEA),
                "--json",
                "-o",
                "top_k=1",
                "-o",
                "derived_tags=false",
                "-f",
                "tags",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert len(data["tags"]) == 1


def test_backends_lists_capabilities_and_what_is_missing(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    for var in ("AZURE_VISION_KEY", "VISION_KEY", "AZURE_VISION_ENDPOINT", "VISION_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "key not set (AZURE_VISION_KEY or VISION_KEY)" in out
    assert "local (default)" in out
    assert "azure" in out
    assert "image_type" in out


def test_backends_says_which_extras_are_installed_and_what_local_computes(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setitem(sys.modules, "cv2", None)  # the faces extra, simulated missing
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    extras = out.split("optional extras", 1)[1].splitlines()
    (faces_row,) = [line for line in extras if line.startswith("│ faces")]
    assert "no (cv2): pip install 'visionkit[faces]'" in faces_row
    for name in ("ocr", "google", "aws"):
        (row,) = [line for line in extras if line.startswith(f"│ {name} ")]
        installed = "yes" if all(importlib.util.find_spec(m) for m in _MODULES[name]) else "no"
        assert f"│ {installed}" in row
    assert "local computes by default: colors, image_type, metadata, tags." in out
    assert "only when asked by name (features=[...]), for their cost: area_of_interest (" in out
    assert "area_of_interest (about 2 ms a photo, up to 10); faces (" in out
    assert "text (0.6 to 1.8 s a photo" in out


_MODULES = {"ocr": ("rapidocr", "onnxruntime"), "google": ("google.auth",), "aws": ("botocore",)}


def test_backends_imports_neither_opencv_nor_the_ocr_libraries():
    probe = (
        "import contextlib, io, json, sys\n"
        "from visionkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['backends'])\n"
        "print(json.dumps([m for m in ('cv2', 'rapidocr', 'onnxruntime') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_config_shows_sources_and_hides_keys(capsys, monkeypatch):
    monkeypatch.setenv("AZURE_VISION_KEY", "sk-cli-secret-123")
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://example.cognitiveservices.azure.com")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "sk-cli-secret-123" not in out
    assert "env AZURE_VISION_KEY" in out
    assert "backend: local" in out
    assert "fallback: (none)" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "analyze" in capsys.readouterr().out


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory, request):
    """Ten real CIFAR-10 images per class and split, in the image-folder layout."""
    import shutil

    from conftest import SHARED_ROOT

    source = Path(os.environ.get("VISIONKIT_CIFAR10_DIR", SHARED_ROOT / "data" / "cifar10"))
    if not source.is_dir():
        pytest.skip(f"CIFAR-10 not found at {source}; set VISIONKIT_CIFAR10_DIR")
    root = tmp_path_factory.mktemp("tiny-cifar")
    for split in ("train", "test"):
        for class_dir in sorted((source / split).iterdir()):
            target = root / split / class_dir.name
            target.mkdir(parents=True)
            for image in sorted(class_dir.glob("*.jpg"))[:10]:
                shutil.copy(image, target / image.name)
    return root


def test_train_evaluate_export_commands_end_to_end(tiny_cifar, tmp_path, capsys):
    model = tmp_path / "tiny.keras"
    assert main(["train", "--data", str(tiny_cifar), "--arch", "tutorial", "--epochs", "1",
                 "--out", str(model)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"wrote {model}" in out
    assert model.is_file()
    assert model.with_suffix(".card.json").is_file()

    assert main(["evaluate", str(model), "--data", str(tiny_cifar)]) == 0
    assert "accuracy" in capsys.readouterr().out

    assert main(["export", str(model), "--data", str(tiny_cifar)]) == 0
    out = capsys.readouterr().out
    assert "checked on 100 images" in out
    assert model.with_suffix(".tflite").is_file()


def test_evaluate_the_shipped_model_on_real_cifar_images(tiny_cifar, capsys):
    shipped = REPO / "visionkit" / "models" / "cifar10-default.tflite"
    assert main(["evaluate", str(shipped), "--data", str(tiny_cifar)]) == 0
    out = capsys.readouterr().out
    assert "airplane" in out and "truck" in out


def test_evaluate_takes_a_shipped_model_by_name(tiny_cifar, capsys):
    assert main(["evaluate", "fast", "--data", str(tiny_cifar), "--views", "single"]) == 0
    out = capsys.readouterr().out
    assert "cifar10-fast.tflite" in out and "single view" in out


@pytest.fixture
def nested_photos(tmp_path, monkeypatch):
    """A folder whose only images are one level down, as photo libraries usually are."""
    import shutil

    monkeypatch.setenv("COLUMNS", "200")
    for sub in ("2024", "2025"):
        (tmp_path / "photos" / sub).mkdir(parents=True)
        shutil.copy(CHELSEA, tmp_path / "photos" / sub / "chelsea.png")
    return tmp_path / "photos"


@pytest.mark.parametrize("command", ["analyze", "compare"])
def test_a_folder_with_images_only_in_sub_folders_says_so_and_suggests_r(
    nested_photos, capsys, command
):
    code = main([command, str(nested_photos), "-f", "colors"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert f"No images found in {nested_photos}; 2 image(s) are in sub-folders" in err
    assert "add -r (--recursive)" in err


def test_analyze_and_compare_agree_on_r(nested_photos, tmp_path, capsys):
    assert main(["analyze", str(nested_photos), "-r", "-f", "colors", "--json"]) == 0
    analysed = [json.loads(line)["input"] for line in capsys.readouterr().out.splitlines()]
    assert (
        main(["compare", str(nested_photos), "-r", "-f", "colors", "--backends", "local", "--json"])
        == 0
    )
    compared = [i["image"] for i in json.loads(capsys.readouterr().out)["images"]]
    assert analysed == compared
    assert len(analysed) == 2


def test_docs_cli_names_every_command_and_option():
    """docs/cli.md lists every sub-command and every flag the parser accepts."""
    import argparse

    from visionkit.cli import build_parser

    doc = (REPO / "docs" / "cli.md").read_text()
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = []
    for name, command in sub.choices.items():
        if f"visionkit {name}" not in doc:
            missing.append(name)
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and flag not in doc:
                    missing.append(f"{name} {flag}")
    assert missing == []


def test_piped_messages_stay_on_one_line(tmp_path, monkeypatch, capsys):
    """Piped, rich wraps at 80 columns; a message cut mid-sentence defeats grep and logs."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("VISIONKIT_BACKEND", raising=False)
    missing = str(tmp_path / ("a-long-folder-name-" * 3) / "nope.jpg")
    assert main(["analyze", missing, "-f", "colors"]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"{missing}: No such file: ")
    assert first.endswith("relative paths start from the current directory).")
    assert main(["analyze", missing, "-b", "no-such-backend-" * 4]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("configuration error: Unknown backend") and "entry-point" in line

"""The promises in the developers' guide that a machine can check: ruff- and mypy-clean,
TensorFlow kept out of ``import visionkit``, and the public API exported in one place."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import visionkit

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_is_clean():
    proc = _run(_tool("ruff"), "check", "visionkit", "tests", "benchmarks", "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean():
    proc = _run(_tool("ruff"), "format", "--check", "visionkit", "tests", "benchmarks", "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean():
    # benchmarks and examples too: they are the code users copy and rerun.
    proc = _run(_tool("mypy"), "visionkit", "benchmarks", "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_visionkit_does_not_import_tensorflow():
    code = (
        "import sys, visionkit; "
        "heavy = {'tensorflow', 'keras', 'respx'}; "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_every_name_in_all_is_importable_and_documented():
    for name in visionkit.__all__:
        obj = getattr(visionkit, name)
        if callable(obj) and not name.startswith("__"):
            assert obj.__doc__, f"visionkit.{name} has no docstring"

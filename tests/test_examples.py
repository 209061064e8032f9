"""The example scripts are documentation that runs: keep them working offline, and honest.

Each runs in a subprocess as a reader would run it: no Azure key, a fresh
working directory, and a result cache that is switched on and points at a
temporary folder standing in for ``~/.cache/visionkit``. The base install
(no respx) is stood in for by a ``sys.meta_path`` finder that makes ``import
respx`` fail as it does without the ``testing`` extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

WITHOUT_RESPX = """
import runpy, sys

class _NoRespx:
    def find_spec(self, name, path=None, target=None):
        if name == "respx" or name.startswith("respx."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoRespx())
script = sys.argv.pop(1)
sys.argv[0] = script
runpy.run_path(script, run_name="__main__")
"""


def run_example(
    name: str, tmp_path: Path, *args: str, base_install: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_VISION", "VISION_"))}
    for var in ("VISIONKIT_BACKEND", "VISIONKIT_CONFIG", "VISIONKIT_FALLBACK", "VISIONKIT_RECORD"):
        env.pop(var, None)
    env.pop("VISIONKIT_CACHE", None)  # on, as it is for a user...
    env["VISIONKIT_CACHE_DIR"] = str(tmp_path / "user-cache")  # ...in a folder we can inspect
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    (tmp_path / "cwd").mkdir(exist_ok=True)
    script = str(EXAMPLES / name)
    command = (
        [sys.executable, "-c", WITHOUT_RESPX, script] if base_install else [sys.executable, script]
    )
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path / "cwd",
        timeout=300,
        check=False,
    )


def _cache_is_empty(tmp_path: Path) -> bool:
    folder = tmp_path / "user-cache"
    if not folder.exists():
        return True
    from visionkit.cache.store import ResultCache

    store = ResultCache(folder / "results.sqlite3")
    try:
        return store.stats().entries == 0
    finally:
        store.close()


def test_analyze_one_image(tmp_path: Path) -> None:
    proc = run_example("analyze_one_image.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "top tag: " in proc.stdout
    assert "[local 451x300]" in proc.stdout


def test_switch_backends_labels_the_replayed_azure_answer(tmp_path: Path) -> None:
    proc = run_example("switch_backends_by_config.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("default (local):") and "[local 455x599]" in lines[0]
    assert lines[2].startswith("configure(backend=azure): [azure 455x599, replayed from bundled:")
    assert "[local" in lines[3]
    assert _cache_is_empty(tmp_path)  # the replayed answer never reached the user's cache


def test_compare_replays_without_agreement_and_labels_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    proc = run_example("compare_local_vs_azure.py", tmp_path, "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Demo mode (no AZURE_VISION_KEY)")
    assert "4 image(s), backends local, azure" in proc.stdout
    assert "agreement:" not in proc.stdout
    azure_lines = [line for line in proc.stdout.splitlines() if "[azure" in line]
    assert len(azure_lines) == 4
    assert all("replayed from bundled:azure/analyze-all-features" in line for line in azure_lines)
    assert f"report: {report}" in proc.stdout
    html = report.read_text(encoding="utf-8")
    for name in ("chelsea.png", "coffee.png", "dog.jpg", "rocket.jpg"):
        assert name in html
    assert 'data-section="replayed"' in html
    assert "Replayed answers, not live ones" in html
    assert _cache_is_empty(tmp_path)


def test_compare_writes_its_report_to_a_temporary_folder_by_default(tmp_path: Path) -> None:
    proc = run_example("compare_local_vs_azure.py", tmp_path, str(EXAMPLES / "images" / "dog.jpg"))
    assert proc.returncode == 0, proc.stderr
    written = Path(proc.stdout.splitlines()[-1].removeprefix("report: "))
    assert written.is_file()
    assert written.is_relative_to((tmp_path / "tmp").resolve())
    assert list((tmp_path / "cwd").iterdir()) == []


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_on_the_base_install_or_says_what_to_install(
    script: str, tmp_path: Path
) -> None:
    proc = run_example(script, tmp_path, base_install=True)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode != 0:
        assert proc.stderr.strip().splitlines() == [
            "No Azure key set, and the offline demo needs: pip install 'visionkit[testing]'"
        ], proc.stderr
    assert "respx" not in proc.stdout
    assert list((tmp_path / "tmp").iterdir()) == []  # an early exit leaves no temporary folder


def test_switch_backends_on_the_base_install_names_the_extra(tmp_path: Path) -> None:
    proc = run_example("switch_backends_by_config.py", tmp_path, base_install=True)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'visionkit[testing]'" in proc.stdout
    assert "[local 455x599]" in proc.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_has_a_usage_docstring(script: str) -> None:
    text = (EXAMPLES / script).read_text()
    assert text.startswith('"""'), f"{script} should open with a docstring saying how to run it"

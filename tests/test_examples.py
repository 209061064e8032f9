"""The example scripts are documentation that runs: keep them working (offline)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_VISION", "VISION_"))}
    env.pop("VISIONKIT_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_analyze_one_image():
    out = run_example("analyze_one_image.py")
    assert "top tag: " in out
    assert "[local 451x300]" in out


def test_switch_backends_by_config_runs_offline_with_the_bundled_recording():
    out = run_example("switch_backends_by_config.py")
    lines = out.splitlines()
    assert lines[0].startswith("default (local):") and "[local 455x599]" in lines[0]
    assert "[azure 455x599]" in lines[2]
    assert "[local" in lines[3]


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_has_a_usage_docstring(script):
    text = (EXAMPLES / script).read_text()
    assert text.startswith('"""'), f"{script} should open with a docstring saying how to run it"

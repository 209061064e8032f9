"""examples/compare_local_vs_azure.py runs offline with the bundled Azure answer."""

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "compare_local_vs_azure.py"


def test_the_example_compares_offline_and_writes_a_report(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_VISION", "VISION_"))}
    for name in ("VISIONKIT_BACKEND", "VISIONKIT_CONFIG", "VISIONKIT_FALLBACK", "VISIONKIT_RECORD"):
        env.pop(name, None)
    report = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--report", str(report)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("4 image(s), backends local, azure")
    assert f"report: {report}" in proc.stdout
    html = report.read_text(encoding="utf-8")
    for name in ("chelsea.png", "coffee.png", "dog.jpg", "rocket.jpg"):
        assert name in html
    assert "Satya Nadella sitting on a bench" in html  # the replayed, published Azure answer

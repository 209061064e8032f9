"""LiteRT's "Created TensorFlow Lite XNNPACK delegate" INFO line never reaches the user.

It is written by LiteRT's C++ logger straight to file descriptor 2, so only a
fresh process shows what a user sees; the filter itself is checked in-process
with pytest's file-descriptor capture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from visionkit.backends.local.classifier import DELEGATE_NOTICE, _without_delegate_notice

CHELSEA = Path(__file__).resolve().parents[3] / "examples" / "images" / "chelsea.png"


def test_the_cli_prints_no_litert_info_line():
    code = "from visionkit.cli import main; raise SystemExit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "analyze", str(CHELSEA), "-f", "tags"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "cat" in proc.stdout
    assert "XNNPACK" not in proc.stderr
    assert "INFO:" not in proc.stderr


def test_only_the_notice_is_held_back(capfd):
    with _without_delegate_notice():
        os.write(2, b"ERROR: a real problem\n" + DELEGATE_NOTICE + b"\nanother line\n")
        print("python-level stderr", file=sys.stderr)
    err = capfd.readouterr().err
    assert "ERROR: a real problem\n" in err
    assert "another line\n" in err
    assert "python-level stderr\n" in err
    assert DELEGATE_NOTICE.decode() not in err

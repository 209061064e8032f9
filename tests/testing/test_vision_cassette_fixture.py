"""The pytest plugin, run the way users run it: pytest in a fresh project, in a subprocess.

A subprocess keeps the inner session's plugins, ini options and markers apart
from this one's. Entry-point autoloading is off there and the plugin is named
with ``-p``, so the test does not depend on how visionkit was installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testing.cassette_factories import exchange

from visionkit.testing import bundled_cassette, load_cassette, write_cassette

REPO = Path(__file__).resolve().parents[2]

INNER_TESTS = """
import os

import httpx
import pytest

from visionkit.testing import bundled_cassette

def test_default(vision_cassette):
    assert httpx.get("https://h.example/a").json() == {"who": "default"}
    vision_cassette.assert_all_played()

@pytest.mark.vision_cassette("named")
def test_marker_name(vision_cassette):
    assert httpx.get("https://h.example/a").json() == {"who": "named"}

@pytest.mark.parametrize("case", ["x/y"])
def test_param(vision_cassette, case):
    assert httpx.get("https://h.example/a").json() == {"who": "param"}

@pytest.mark.vision_cassette(path=bundled_cassette("azure/read-text"))
def test_bundled(vision_cassette):
    assert httpx.post("https://h.example/vision/v3.2/read/analyze").status_code == 202

@pytest.mark.vision_cassette("named", strict=True)
def test_strict_mismatch(vision_cassette):
    httpx.request("GET", "https://h.example/a", content=b"unexpected body")

def test_missing(vision_cassette):
    pass

@pytest.mark.skipif("UPSTREAM" not in os.environ, reason="recording run only")
def test_records(vision_cassette):
    assert httpx.get(os.environ["UPSTREAM"] + "/thumbnail").status_code == 200

@pytest.mark.skipif("UPSTREAM" not in os.environ, reason="recording run only")
@pytest.mark.vision_cassette("kept")
def test_fails_while_recording(vision_cassette):
    httpx.get(os.environ["UPSTREAM"] + "/thumbnail")
    raise AssertionError("the test failed")
"""


def _run_pytest(project: Path, *args: str, **env: str) -> str:
    (project / "tests").mkdir(parents=True, exist_ok=True)
    (project / "tests" / "test_inner.py").write_text(INNER_TESTS)
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    for name in ("VISIONKIT_RECORD", "AZURE_VISION_KEY", "VISION_KEY", "VISIONKIT_AZURE_KEY"):
        environment.pop(name, None)
    environment.update(env)
    command = [sys.executable, "-m", "pytest", "-p", "visionkit.testing.pytest_plugin"]
    command += ["-p", "no:cacheprovider", "-rA", "-W", "error", *args, "tests"]
    proc = subprocess.run(
        command,
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.stdout + proc.stderr


def test_the_fixture_finds_cassettes_by_test_name_and_marker(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    root = tmp_path / "tests" / "cassettes" / "test_inner"
    write_cassette(root / "test_default", [exchange("GET", "/a", {"who": "default"})])
    write_cassette(root / "named", [exchange("GET", "/a", {"who": "named"}, request_body=b"")])
    write_cassette(root / "test_param_x_y", [exchange("GET", "/a", {"who": "param"})])

    output = _run_pytest(tmp_path)

    for name in ("test_default", "test_marker_name", "test_param[x/y]", "test_bundled"):
        assert f"PASSED tests/test_inner.py::{name}" in output, output
    assert "FAILED tests/test_inner.py::test_strict_mismatch" in output, output
    assert "body: recorded sha256 e3b0c44298fc... (0 bytes)" in output
    assert "ERROR tests/test_inner.py::test_missing - visionkit.testing.errors." in output
    assert "CassetteNotFoundError: No cassette at" in output
    assert "SKIPPED" in output  # the recording tests, in a replay run


def test_the_ini_option_moves_the_root_and_recording_happens_at_teardown(
    tmp_path: Path, upstream: str
) -> None:
    """Also: a failed test keeps its old cassette, and bundled cassettes are only replayed."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nvision_cassette_dir = recordings\n")
    root = tmp_path / "recordings" / "test_inner"
    kept = [exchange("GET", "/old", {"kept": True})]
    write_cassette(root / "kept", kept)

    # Only tests whose requests go to the local upstream: the others would try the network.
    output = _run_pytest(
        tmp_path,
        "-k",
        "records or recording or bundled",
        VISIONKIT_RECORD="1",
        UPSTREAM=upstream,
    )

    assert "PASSED tests/test_inner.py::test_records" in output, output
    recorded = load_cassette(root / "test_records")
    assert [str(interaction.request) for _, interaction in recorded] == ["GET /thumbnail"]
    assert "FAILED tests/test_inner.py::test_fails_while_recording" in output, output
    assert [interaction for _, interaction in load_cassette(root / "kept")] == kept
    assert "PASSED tests/test_inner.py::test_bundled" in output, output
    assert len(load_cassette(bundled_cassette("azure/read-text"))) == 3

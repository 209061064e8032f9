"""The pytest plugin on the base install: it loads without respx, and the fixture names the extra.

pytest loads the ``pytest11`` entry point in every project of anyone who has
visionkit installed, so a plugin that needs the ``testing`` extra to import
would break the pytest runs of people who never asked for it. The inner run
stands in for the base install: a ``sys.meta_path`` finder makes ``import
respx`` fail as it does when the extra is missing, and the plugin is loaded
with ``-p`` (autoloading off) so the result does not depend on how visionkit
was installed here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WITHOUT_RESPX = """
import sys

class _NoRespx:
    def find_spec(self, name, path=None, target=None):
        if name == "respx" or name.startswith("respx."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoRespx())
import pytest
raise SystemExit(pytest.main(sys.argv[1:]))
"""

INNER_TESTS = """
import sys

def test_plain():
    assert "respx" not in sys.modules
    assert "visionkit.testing.playback" not in sys.modules

def test_with_the_fixture(vision_cassette):
    pass
"""


def test_the_plugin_loads_without_respx_and_the_fixture_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-c", WITHOUT_RESPX, "-p", "visionkit.testing.pytest_plugin"]
    command += ["-p", "no:cacheprovider", "-rA", "-W", "error", "test_inner.py"]
    proc = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = proc.stdout + proc.stderr

    assert "PASSED test_inner.py::test_plain" in output, output
    assert "ERROR test_inner.py::test_with_the_fixture" in output, output
    assert "MissingDependencyError" in output, output
    assert "pip install 'visionkit[testing]'" in output, output
    assert "Error while loading plugin" not in output
    assert proc.returncode == 1  # one error, not an internal error or a usage error (3, 4)

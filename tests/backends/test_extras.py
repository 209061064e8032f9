"""Which optional extras are installed: found by the import system's finders, never imported.

The missing cases are simulated the way Python itself reports a module that is
not there: ``sys.modules[name] = None`` makes both ``import name`` and
``importlib.util.find_spec(name)`` fail, so the detector and the feature agree.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from visionkit.backends.extras import EXTRAS, Extra, module_available


def _extra(name: str) -> Extra:
    (found,) = [e for e in EXTRAS if e.name == name]
    return found


def test_every_extra_is_one_of_the_packages_extras():
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for extra in EXTRAS:
        assert extra.name in declared
        assert extra.pip == f"pip install 'visionkit[{extra.name}]'"


def test_modules_found_and_not_found():
    assert module_available("json")
    assert not module_available("visionkit_no_such_module")
    assert not module_available("visionkit_no_such_parent.child")  # no parent: missing


@pytest.mark.parametrize(
    ("extra", "module"),
    [("faces", "cv2"), ("ocr", "rapidocr"), ("ocr", "onnxruntime"), ("aws", "botocore")],
)
def test_a_missing_module_makes_its_extra_missing(monkeypatch, extra, module):
    monkeypatch.setitem(sys.modules, module, None)
    assert module in _extra(extra).missing()
    assert not _extra(extra).installed


def test_finding_the_extras_imports_none_of_them():
    probe = (
        "import json, sys\n"
        "from visionkit.backends.extras import EXTRAS\n"
        "state = {e.name: e.installed for e in EXTRAS}\n"
        "heavy = ('cv2', 'rapidocr', 'onnxruntime', 'botocore', 'google.auth')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

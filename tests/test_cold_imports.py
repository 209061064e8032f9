"""``import visionkit`` stays cold: no HTTP, terminal, cloud SDK or ML runtime until needed.

The package exports its names lazily (PEP 562): each public name is imported on
first access, so a fresh ``import visionkit`` loads none of the libraries
below, while every name in ``__all__`` still works and shows in ``dir()``.
Timings are measured by ``benchmarks/cold_start.py``, not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import visionkit

#: Top-level modules that ``import visionkit`` must not load.
HEAVY = ("httpx", "rich", "azure", "msrest", "cv2", "onnxruntime", "tensorflow", "keras")


def modules_after(statement: str) -> list[str]:
    """Every module a fresh interpreter holds after running ``statement``."""
    probe = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_import_visionkit_loads_no_heavy_library() -> None:
    modules = modules_after("import visionkit")
    assert "visionkit" in modules
    assert heavy_in(modules) == []


@pytest.mark.parametrize("statement", ["import visionkit.cli", "import visionkit.errors"])
def test_the_cli_module_loads_no_heavy_library(statement: str) -> None:
    # What `visionkit --help` imports before it prints.
    assert heavy_in(modules_after(statement)) == []


def test_public_names_load_on_first_access_in_a_fresh_process() -> None:
    probe = (
        "import visionkit, sys\n"
        "assert 'visionkit.api' not in sys.modules\n"
        "from visionkit import AnalysisResult, analyze\n"
        "assert analyze is visionkit.analyze and callable(analyze)\n"
        "assert AnalysisResult is visionkit.AnalysisResult\n"
        "assert 'visionkit.api' in sys.modules"
    )
    assert heavy_in(modules_after(probe)) == []


def test_every_name_in_all_resolves_and_is_listed_by_dir() -> None:
    listed = dir(visionkit)
    for name in visionkit.__all__:
        assert name in listed, name
        assert getattr(visionkit, name) is not None, name
    assert visionkit.analyze.__module__ == "visionkit.api"
    assert visionkit.AnalysisResult.__name__ == "AnalysisResult"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        visionkit.not_a_name  # noqa: B018

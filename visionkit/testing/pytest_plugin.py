"""The ``vision_cassette`` pytest fixture: one cassette per test, found by the test's name.

Registered through the ``pytest11`` entry point, so pytest loads it wherever
visionkit is installed, including the projects of users who never installed
the ``testing`` extra. Loading it must therefore cost nothing and need nothing
beyond pytest: respx and :mod:`visionkit.testing.playback` are imported only
when a test asks for the fixture, and a missing respx then fails that test
with a :class:`~visionkit.errors.MissingDependencyError` naming
``pip install 'visionkit[testing]'`` instead of breaking every pytest run.

By default the cassette of ``tests/backends/test_azure.py::test_tags`` is
``<rootdir>/tests/cassettes/test_azure/test_tags``. Change the root with the
``vision_cassette_dir`` ini option; name another cassette, or pass
:func:`~visionkit.testing.replay` options, with the marker::

    @pytest.mark.vision_cassette("tags-only", strict=True)
    def test_tags(vision_cassette): ...

    @pytest.mark.vision_cassette(path=bundled_cassette("azure/read-text"))
    def test_ocr(vision_cassette): ...

Record with ``VISIONKIT_RECORD=1 pytest ...`` (``auto`` records only missing cassettes).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from visionkit.testing.playback import Cassette

INI_ROOT = "vision_cassette_dir"
DEFAULT_ROOT = "tests/cassettes"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_ROOT,
        help="Directory (relative to rootdir) holding the vision_cassette fixture's cassettes.",
        default=DEFAULT_ROOT,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vision_cassette(name=None, *, path=None, mode=None, strict=False): choose the "
        "cassette of the vision_cassette fixture and how it is played.",
    )


def cassette_path(request: pytest.FixtureRequest) -> Path:
    """Where the ``vision_cassette`` fixture of the requesting test keeps its cassette."""
    marker = request.node.get_closest_marker("vision_cassette")
    if marker is not None and marker.kwargs.get("path") is not None:
        return Path(marker.kwargs["path"])
    name = marker.args[0] if marker is not None and marker.args else request.node.name
    root = request.config.rootpath / str(request.config.getini(INI_ROOT))
    module = request.node.path.stem
    return root / _safe(module) / _safe(name)


def _safe(name: str) -> str:
    """A test id such as ``test_x[jpeg-1.5]`` as one portable directory name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "_"


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, for :func:`vision_cassette`'s teardown."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def vision_cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """The test's cassette, active for the whole test: replayed, or recorded at teardown.

    A recording is saved only if the test passed: a fixture never sees the
    test's exception, so the outcome comes from the report hook above.
    """
    # Imported here, not at the top: the plugin loads in every pytest run of every
    # project that has visionkit installed, and respx comes only with the extra.
    # Without it this import raises MissingDependencyError, which names the extra.
    from visionkit.testing.playback import replay

    marker = request.node.get_closest_marker("vision_cassette")
    options = {k: v for k, v in (marker.kwargs if marker else {}).items() if k != "path"}
    cassette = replay(cassette_path(request), **options)
    cassette.start()
    try:
        yield cassette
    finally:
        cassette.close(succeeded=not request.node.stash.get(_CALL_FAILED, False))

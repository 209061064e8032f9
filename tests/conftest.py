"""Shared fixtures: where the real sample images live.

Tests run on real photographs rather than synthetic squares, because decoders,
EXIF handling and colour rules fail on real pixels in ways flat test patterns
never show. Sources, in order of availability:

* scikit-image's bundled images (installed with the test extra);
* the team's CIFAR-10 JPEG copy and the Azure fixture images, found through an
  environment variable or next to the repository, and skipped (with the reason)
  where they are absent, so a fresh clone still runs the rest of the suite.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The result cache is on by default for cloud backends. Tests must never read a
# result cached by an earlier run (or by the developer's own use) instead of the
# recorded HTTP they mean to exercise, nor write into ~/.cache; cache tests
# pass their own store explicitly.
os.environ.setdefault("VISIONKIT_CACHE", "off")
# Everything visionkit caches (results, decoded training datasets) follows
# VISIONKIT_CACHE_DIR, then XDG_CACHE_HOME: both point into one temporary folder
# for the whole session, whatever the developer's shell says, so no test reads
# or writes ~/.cache/visionkit (or the developer's own cache folder).
_SESSION_CACHE = tempfile.mkdtemp(prefix="visionkit-test-cache-")
os.environ["VISIONKIT_CACHE_DIR"] = _SESSION_CACHE
os.environ["XDG_CACHE_HOME"] = _SESSION_CACHE
atexit.register(shutil.rmtree, _SESSION_CACHE, ignore_errors=True)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ROOT = REPO_ROOT.parent / "shared"


def _shared_dir(env_var: str, default: Path, what: str) -> Path:
    configured = os.environ.get(env_var)
    path = Path(configured).expanduser() if configured else default
    if not path.is_dir():
        pytest.skip(f"{what} not found at {path}; set {env_var} to its directory")
    return path


@pytest.fixture(scope="session")
def skimage_data_dir() -> Path:
    """The folder of scikit-image's bundled sample files (chelsea.png, rocket.jpg, ...)."""
    data = pytest.importorskip("skimage.data")
    return Path(data.__path__[0])


@pytest.fixture(scope="session")
def chelsea_png(skimage_data_dir: Path) -> Path:
    """A 451x300 RGB PNG photo of a cat."""
    return skimage_data_dir / "chelsea.png"


@pytest.fixture(scope="session")
def rocket_jpg(skimage_data_dir: Path) -> Path:
    """A 640x427 RGB JPEG photo of a rocket launch."""
    return skimage_data_dir / "rocket.jpg"


@pytest.fixture(scope="session")
def cifar10_dir() -> Path:
    """CIFAR-10 as 32x32 JPEGs in ``<split>/<class>/NNNN.jpg`` (env ``VISIONKIT_CIFAR10_DIR``)."""
    return _shared_dir("VISIONKIT_CIFAR10_DIR", SHARED_ROOT / "data" / "cifar10", "CIFAR-10 JPEGs")


@pytest.fixture(scope="session")
def azure_fixtures_dir() -> Path:
    """Real images Azure analysed and its published answers (env ``VISIONKIT_AZURE_FIXTURES``).

    Layout: ``images/<source>/<file>`` and ``pairs/<source>/<response>.json``;
    each folder's README says where every file comes from.
    """
    return _shared_dir(
        "VISIONKIT_AZURE_FIXTURES", SHARED_ROOT / "fixtures" / "azure", "Azure fixture images"
    )

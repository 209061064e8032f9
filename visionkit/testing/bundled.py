"""Cassettes shipped with visionkit, for examples, demos and users' own tests.

They are built from Azure's published REST API examples (see each file's
``_comment``) by ``tests/testing/build_bundled_cassettes.py``, so they show
the service's documented answers without a key, a network or a bill.
"""

from __future__ import annotations

from pathlib import Path

from visionkit.testing.cassette import interaction_files
from visionkit.testing.errors import CassetteNotFoundError

BUNDLED_ROOT = Path(__file__).resolve().with_name("cassettes")


def bundled_cassettes() -> list[str]:
    """Names of the shipped cassettes, such as ``"azure/read-text"``."""
    return sorted(
        path.relative_to(BUNDLED_ROOT).as_posix()
        for path in BUNDLED_ROOT.rglob("*")
        if path.is_dir() and interaction_files(path)
    )


def bundled_cassette(name: str) -> Path:
    """The directory of the shipped cassette ``name``, for :func:`~visionkit.testing.replay`."""
    path = BUNDLED_ROOT / name
    if not interaction_files(path):
        raise CassetteNotFoundError(
            f"No bundled cassette named {name!r}; available: {', '.join(bundled_cassettes())}.",
            path=path,
        )
    return path


__all__ = ["BUNDLED_ROOT", "bundled_cassette", "bundled_cassettes"]

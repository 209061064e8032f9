"""The suite never touches the user's caches: every cache folder resolves into a temp dir."""

from __future__ import annotations

import tempfile
from pathlib import Path

from visionkit.cache.defaults import default_cache_dir
from visionkit.training.data import cache_dir


def test_every_cache_folder_is_temporary():
    temp = Path(tempfile.gettempdir()).resolve()
    home_cache = (Path.home() / ".cache").resolve()
    for folder in (default_cache_dir(), cache_dir()):
        resolved = folder.resolve()
        assert resolved.is_relative_to(temp), resolved
        assert not resolved.is_relative_to(home_cache), resolved

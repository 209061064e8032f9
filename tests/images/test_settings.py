"""The [images] settings through every configuration layer, and their validation."""

from __future__ import annotations

import pytest

from visionkit import configure, reset_configuration
from visionkit.errors import ConfigError
from visionkit.images import DEFAULT_LIMITS
from visionkit.images.settings import configured_limits


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in (
        "VISIONKIT_CONFIG",
        "VISIONKIT_IMAGES_ALLOW_PRIVATE",
        "VISIONKIT_IMAGES_MAX_BYTES",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_configuration()
    yield
    reset_configuration()


def test_defaults_when_nothing_is_configured():
    assert configured_limits() == DEFAULT_LIMITS


def test_configure_over_environment_over_file(tmp_path, monkeypatch):
    (tmp_path / "visionkit.toml").write_text(
        '[images]\nallowed_hosts = ["images.internal"]\nmax_bytes = 1000\nmax_redirects = 1\n'
    )
    monkeypatch.setenv("VISIONKIT_IMAGES_MAX_BYTES", "2000")
    monkeypatch.setenv("VISIONKIT_IMAGES_ALLOW_PRIVATE", "yes")
    configure(images={"max_bytes": 3000})
    limits = configured_limits()
    assert limits.allowed_hosts == ("images.internal",)  # file
    assert limits.allow_private is True  # environment
    assert limits.max_bytes == 3000  # configure() wins
    assert limits.max_redirects == 1


def test_unknown_and_invalid_settings_name_their_source(tmp_path):
    (tmp_path / "visionkit.toml").write_text("[images]\nallow_privat = true\n")
    with pytest.raises(
        ConfigError, match=r"Unknown image setting 'allow_privat' in visionkit\.toml"
    ):
        configured_limits()
    (tmp_path / "visionkit.toml").write_text("")
    configure(images={"max_redirects": -1})
    with pytest.raises(ConfigError, match="must not be negative"):
        configured_limits()


def test_resolver_is_not_a_configuration_setting():
    configure(images={"resolver": "8.8.8.8"})
    with pytest.raises(ConfigError, match="Unknown image setting 'resolver'"):
        configured_limits()

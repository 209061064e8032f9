"""Configuration precedence: arguments > configure() > environment > file > defaults."""

from dataclasses import dataclass
from typing import ClassVar

import pytest

import visionkit
from visionkit import ConfigError, Feature, Secret
from visionkit.backends.base import Analyzer
from visionkit.config import (
    describe_settings,
    find_config_file,
    resolve_backend_name,
    resolve_backend_options,
)
from visionkit.options import option
from visionkit.results import AnalysisResult


@dataclass(frozen=True)
class EchoOptions:
    endpoint: str | None = option(env=("ECHO_ENDPOINT",))
    key: Secret | None = option(env=("ECHO_KEY",), secret=True)
    top_k: int = option(3)
    strict: bool = option(False)


class EchoAnalyzer(Analyzer):
    """A tiny backend for configuration tests: reports its options, analyses nothing."""

    name: ClassVar[str] = "echo"
    capabilities: ClassVar[frozenset[Feature]] = frozenset({Feature.METADATA})
    Options = EchoOptions

    def _analyze(self, image, features):
        return AnalysisResult(backend=self.name, raw={"top_k": self.options.top_k})


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    for var in (
        "VISIONKIT_BACKEND",
        "VISIONKIT_CONFIG",
        "ECHO_ENDPOINT",
        "ECHO_KEY",
        "VISIONKIT_ECHO_TOP_K",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    visionkit.register_backend("echo", EchoAnalyzer)
    visionkit.reset_configuration()
    yield tmp_path
    visionkit.reset_configuration()


def test_default_backend_is_local():
    assert resolve_backend_name() == visionkit.config.Setting("local", "default")


def test_each_layer_overrides_the_one_below(isolated, monkeypatch):
    (isolated / "visionkit.toml").write_text(
        'backend = "echo"\n[echo]\ntop_k = 1\nendpoint = "https://file"\n'
    )
    assert resolve_backend_name().source == "visionkit.toml"
    assert resolve_backend_options("echo")["top_k"].value == 1

    monkeypatch.setenv("VISIONKIT_ECHO_TOP_K", "2")
    monkeypatch.setenv("VISIONKIT_BACKEND", "local")
    assert resolve_backend_options("echo")["top_k"] == visionkit.config.Setting(
        "2", "env VISIONKIT_ECHO_TOP_K"
    )
    assert resolve_backend_name().value == "local"

    visionkit.configure(backend="echo", echo={"top_k": 3})
    assert resolve_backend_options("echo")["top_k"].source == "configure()"
    assert resolve_backend_name().source == "configure()"

    settings = resolve_backend_options("echo", {"top_k": 4})
    assert settings["top_k"].value == 4 and settings["top_k"].source == "argument"
    assert settings["endpoint"].source == "visionkit.toml [echo]"
    assert settings["strict"].source == "default"


def test_vendor_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("ECHO_ENDPOINT", "https://env")
    assert resolve_backend_options("echo")["endpoint"].source == "env ECHO_ENDPOINT"


def test_pyproject_tool_table_is_found_from_a_subdirectory(isolated, monkeypatch):
    (isolated / "pyproject.toml").write_text(
        '[project]\nname="x"\n[tool.visionkit]\nbackend = "echo"\n'
    )
    sub = isolated / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    setting = resolve_backend_name()
    assert setting.value == "echo"
    assert setting.source == "pyproject.toml [tool.visionkit]"


def test_visionkit_config_names_the_file(isolated, monkeypatch):
    path = isolated / "elsewhere.toml"
    path.write_text('backend = "echo"\n')
    monkeypatch.setenv("VISIONKIT_CONFIG", str(path))
    found = find_config_file()
    assert found is not None and found.path == path
    monkeypatch.setenv("VISIONKIT_CONFIG", str(isolated / "missing.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        find_config_file()


def test_typo_in_file_option_is_an_error_naming_the_file(isolated):
    (isolated / "visionkit.toml").write_text("[echo]\ntop_kk = 1\n")
    with pytest.raises(
        ConfigError, match=r"Unknown option 'top_kk'.*visionkit.toml.*Did you mean 'top_k'"
    ):
        visionkit.get_analyzer("echo")


def test_unknown_top_level_key_and_bad_toml_are_errors(isolated):
    (isolated / "visionkit.toml").write_text('backnd = "echo"\n')
    with pytest.raises(ConfigError, match="Did you mean 'backend'"):
        resolve_backend_name()
    (isolated / "visionkit.toml").write_text("backend = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_backend_name()


def test_unknown_backend_is_an_error_not_a_silent_default():
    with pytest.raises(ConfigError, match=r"Unknown backend 'azur'\. Did you mean 'azure'"):
        visionkit.get_analyzer("azur")


def test_environment_strings_are_coerced_and_validated(monkeypatch):
    monkeypatch.setenv("VISIONKIT_ECHO_TOP_K", "7")
    assert visionkit.get_analyzer("echo").options.top_k == 7
    monkeypatch.setenv("VISIONKIT_ECHO_TOP_K", "seven")
    with pytest.raises(ConfigError, match=r"echo\.top_k must be a number"):
        visionkit.get_analyzer("echo")


def test_secrets_never_show(monkeypatch):
    monkeypatch.setenv("ECHO_KEY", "sk-VERY-SECRET")
    analyzer = visionkit.get_analyzer("echo")
    assert analyzer.options.key.reveal() == "sk-VERY-SECRET"
    for text in (
        repr(analyzer),
        repr(analyzer.options),
        str(analyzer.options.key),
        f"{analyzer.options.key}",
    ):
        assert "sk-VERY-SECRET" not in text
    rows = describe_settings("echo", resolve_backend_options("echo"))
    assert ("key", "********** (set)", "env ECHO_KEY") in rows
    assert all("sk-VERY-SECRET" not in " ".join(row) for row in rows)


def test_configure_rejects_non_mapping_backend_options():
    with pytest.raises(ConfigError, match="takes a dict"):
        visionkit.configure(echo="top_k=3")  # type: ignore[arg-type]


def test_analyzers_are_reused_until_configuration_changes():
    first = visionkit.get_analyzer("echo")
    assert visionkit.get_analyzer("echo") is first
    visionkit.configure(echo={"top_k": 9})
    second = visionkit.get_analyzer("echo")
    assert second is not first and second.options.top_k == 9
    assert visionkit.analyze(b"ignored", backend="echo", top_k=5).raw == {"top_k": 5}


def test_option_environment_tries_the_declared_names_then_the_generic_one():
    import dataclasses

    from visionkit.backends.azure import AzureAnalyzer
    from visionkit.config import option_environment

    key = next(f for f in dataclasses.fields(AzureAnalyzer.Options) if f.name == "key")

    assert option_environment("azure", key) == (
        "AZURE_VISION_KEY",
        "VISION_KEY",
        "VISIONKIT_AZURE_KEY",
    )


def test_the_test_helper_clears_every_variable_visionkit_reads(monkeypatch):
    from factories import clear_visionkit_environment

    for name in ("AZURE_VISION_KEY", "VISIONKIT_LOCAL_TOP_K", "VISIONKIT_FALLBACK"):
        monkeypatch.setenv(name, "leaked")

    clear_visionkit_environment(monkeypatch)

    import os

    assert not {"AZURE_VISION_KEY", "VISIONKIT_LOCAL_TOP_K", "VISIONKIT_FALLBACK"} & set(os.environ)
    assert resolve_backend_options("azure")["key"].source == "default"
    assert resolve_backend_options("local")["top_k"].source == "default"


def test_a_config_file_rewritten_at_once_with_the_same_size_is_read_again(isolated):
    """Parsed files are reused while their bytes are unchanged, never after a rewrite,
    however fast (a modification time could miss it), and callers cannot change them."""
    path = isolated / "visionkit.toml"
    path.write_text('backend = "echo"\n[echo]\ntop_k = 1\n')
    first = find_config_file()
    assert first is not None and first.data["echo"]["top_k"] == 1
    first.data["echo"]["top_k"] = 99  # a caller scribbling on what it was given
    assert find_config_file().data["echo"]["top_k"] == 1

    path.write_text('backend = "echo"\n[echo]\ntop_k = 2\n')  # same size, same instant
    assert find_config_file().data["echo"]["top_k"] == 2
    (isolated / "visionkit.toml").write_bytes(b"backend = '\xff'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        find_config_file()

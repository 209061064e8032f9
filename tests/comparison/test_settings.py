"""Compare settings and crosswalk entries from configure() and the config file's [compare] table."""

from __future__ import annotations

import pytest

import visionkit
from visionkit.comparison.settings import CompareSettings, configured_settings
from visionkit.errors import ConfigError

CONFIG = """
backend = "local"

[compare]
top_k = 5

[compare.crosswalk]
cat = ["maine coon"]

[compare.crosswalk.sailboat]
synonyms = ["yacht"]
parent = "watercraft"
"""


def test_defaults_without_configuration():
    settings = configured_settings()
    assert settings == CompareSettings()
    assert settings.crosswalk.concept("yacht") is None


def test_the_config_file_sets_thresholds_and_extends_the_crosswalk(tmp_path):
    (tmp_path / "visionkit.toml").write_text(CONFIG)
    settings = configured_settings()
    assert settings.top_k == 5
    assert settings.crosswalk.concept("maine coon") == "cat"
    assert settings.crosswalk.ancestors("sailboat") == ("watercraft", "vehicle")


def test_configure_overrides_the_file_and_merges_crosswalk_entries(tmp_path):
    (tmp_path / "visionkit.toml").write_text(CONFIG)
    visionkit.configure(compare={"top_k": 2, "crosswalk": {"dog": ["good boy"]}})
    settings = configured_settings()
    assert settings.top_k == 2
    assert settings.crosswalk.concept("good boy") == "dog"
    assert settings.crosswalk.concept("yacht") == "sailboat"  # the file's entries stay


def test_compare_uses_the_configured_settings(tmp_path, photos):
    visionkit.configure(compare={"min_tag_confidence": 0.2})
    comparison = visionkit.compare(photos[:1], ("local",), ["colors"])
    assert comparison.settings.min_tag_confidence == 0.2


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"topk": 5}, r"Unknown key\(s\) \['topk'\] in configure\(compare=...\)"),
        ({"top_k": 0}, "compare.top_k must be a whole number >= 1"),
        ({"iou_threshold": 1.5}, r"compare.iou_threshold must be a number in \[0, 1\]"),
        ({"accent_delta_e": -1}, "compare.accent_delta_e must be a distance >= 0"),
        ({"crosswalk": ["cat"]}, "crosswalk must be a table of concepts"),
        ({"crosswalk": {"tabby": {"parent": "kitty"}}}, "parent 'kitty', which is not a concept"),
    ],
)
def test_mistakes_are_configuration_errors_naming_their_source(table, message):
    visionkit.configure(compare=table)
    with pytest.raises(ConfigError, match=message):
        configured_settings()


def test_an_unknown_table_is_still_an_error_and_compare_is_suggested(tmp_path):
    (tmp_path / "visionkit.toml").write_text("[comapre]\ntop_k = 5\n")
    with pytest.raises(ConfigError, match="Did you mean 'compare'"):
        configured_settings()


def test_configure_refuses_a_compare_value_that_is_not_a_table():
    with pytest.raises(ConfigError, match="takes a dict of compare settings"):
        visionkit.configure(compare=["top_k"])  # type: ignore[arg-type]

import pytest

from visionkit import ConfigError, Feature
from visionkit.features import parse_feature, parse_features


def test_names_members_and_case_are_accepted():
    assert parse_features(["tags", Feature.COLORS, "IMAGE_TYPE", "image-type"]) == {
        Feature.TAGS,
        Feature.COLORS,
        Feature.IMAGE_TYPE,
    }


def test_comma_separated_string_as_on_the_command_line():
    assert parse_features("tags, colors") == {Feature.TAGS, Feature.COLORS}


def test_none_means_everything_and_plural_caption_is_accepted():
    assert parse_features(None) is None
    assert parse_feature("captions") is Feature.CAPTION


def test_typo_suggests_the_right_name():
    with pytest.raises(ConfigError, match="Did you mean 'colors'"):
        parse_feature("colours")


def test_empty_and_wrong_types_are_errors():
    with pytest.raises(ConfigError, match="empty"):
        parse_features([])
    with pytest.raises(ConfigError, match=r"must be a visionkit\.Feature"):
        parse_feature(3)  # type: ignore[arg-type]

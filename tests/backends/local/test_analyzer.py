"""The local backend end to end on real photos: CNN tags, pixel rules, feature selection."""

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visionkit import Feature, ModelError, UnsupportedFeatureError
from visionkit.backends.local import LocalAnalyzer
from visionkit.backends.local.taxonomy import derived_confidences

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "images"


@pytest.fixture(scope="module")
def analyzer():
    with LocalAnalyzer() as a:
        yield a


def test_cat_photo_gets_cat_as_top_tag_with_derived_tags(analyzer):
    result = analyzer.analyze(EXAMPLES / "chelsea.png")
    assert result.backend == "local"
    assert result.top_tag is not None
    assert result.top_tag.name == "cat"
    by_name = {t.name: t.confidence for t in result.tags}
    # Derived tags sit beside their class, never above it.
    assert by_name["mammal"] == by_name["animal"] == by_name["cat"]
    assert result.tags[0].name == "cat"
    assert {t.name for t in result.tags[1:3]} == {"mammal", "animal"}
    assert result.metadata is not None and (result.metadata.width, result.metadata.height) == (
        451,
        300,
    )
    assert result.model_version
    probs = result.raw["probabilities"]
    assert max(probs, key=probs.get) == "cat"
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.colors is not None and result.image_type is not None
    assert result.elapsed_s is not None and result.elapsed_s > 0


def test_only_requested_features_are_computed(analyzer):
    result = analyzer.analyze(EXAMPLES / "coffee.png", features=["colors"])
    assert result.colors is not None
    assert result.tags is None
    assert result.metadata is None
    assert result.image_type is None


def test_unsupported_feature_names_backends_that_can(analyzer):
    with pytest.raises(UnsupportedFeatureError) as info:
        analyzer.analyze(EXAMPLES / "chelsea.png", features=[Feature.OBJECTS])
    assert info.value.feature == "objects"
    assert "azure" in info.value.supported_by


def test_top_k_min_confidence_and_derived_tags_options():
    with LocalAnalyzer(top_k=1, derived_tags=False) as a:
        tags = a.analyze(EXAMPLES / "chelsea.png", features=["tags"]).tags
    assert tags is not None and len(tags) == 1
    with LocalAnalyzer(min_confidence=1.0) as a:
        assert a.analyze(EXAMPLES / "chelsea.png", features=["tags"]).tags == ()


def test_numpy_and_pil_inputs_agree_with_the_file(analyzer):
    path = EXAMPLES / "chelsea.png"
    from_file = analyzer.analyze(path, features=["tags"])
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert analyzer.analyze(pixels, features=["tags"]).tags == from_file.tags
    assert analyzer.analyze(Image.open(path), features=["tags"]).tags == from_file.tags


def test_async_twin_gives_the_same_answer(analyzer):
    path = EXAMPLES / "rocket.jpg"
    sync = analyzer.analyze(path)
    async_result = asyncio.run(analyzer.analyze_async(path))
    assert async_result == sync


def test_missing_model_file_is_a_clear_error(tmp_path):
    with (
        LocalAnalyzer(model=tmp_path / "nope.tflite") as a,
        pytest.raises(ModelError, match=r"nope\.tflite"),
    ):
        a.analyze(EXAMPLES / "chelsea.png", features=["tags"])


def test_colours_work_without_loading_the_model(tmp_path):
    with LocalAnalyzer(model=tmp_path / "nope.tflite") as a:
        assert (
            a.analyze(EXAMPLES / "chelsea.png", features=["colors", "metadata"]).colors is not None
        )


def test_derived_confidence_is_that_of_the_best_implying_class():
    names = ("cat", "dog", "truck")
    derived = derived_confidences(names, [0.5, 0.3, 0.2])
    assert derived["mammal"] == pytest.approx(0.5)
    assert derived["vehicle"] == pytest.approx(0.2)
    assert "airplane" not in derived
    # A class the model really has is never shadowed by a derived name.
    assert "animal" not in derived_confidences(("cat", "animal"), [0.6, 0.4])


# -- open set: "none of my classes" -------------------------------------------------------

SKIMAGE = Path(__import__("skimage").data.__file__).parent


@pytest.mark.parametrize(
    "photo",
    [EXAMPLES / "coffee.png", EXAMPLES / "rocket.jpg", SKIMAGE / "astronaut.png"],
    ids=lambda p: p.name,
)
def test_photos_of_none_of_the_classes_get_no_class_tag(analyzer, photo):
    result = analyzer.analyze(photo)
    assert result.tags == ()
    assert result.abstention is not None
    assert "none of the model's 10 classes" in result.abstention
    assert "none of the model's 10 classes" in result.summary()
    score = result.raw["open_set"]
    assert score["score"] < score["threshold"] == analyzer.classifier.open_set_threshold


def test_a_class_photo_is_not_abstained_on(analyzer):
    result = analyzer.analyze(EXAMPLES / "chelsea.png")
    assert result.abstention is None
    assert result.raw["open_set"]["score"] >= result.raw["open_set"]["threshold"]


def test_open_set_threshold_option_overrides_the_model_and_zero_switches_it_off():
    with LocalAnalyzer(open_set_threshold=0) as a:
        off = a.analyze(EXAMPLES / "coffee.png", features=["tags"])
    assert off.abstention is None and off.tags
    with LocalAnalyzer(open_set_threshold=1.0) as a:
        strict = a.analyze(EXAMPLES / "chelsea.png", features=["tags"])
    assert strict.tags == () and strict.abstention is not None


def test_open_set_threshold_out_of_range_is_a_config_error():
    from visionkit import ConfigError

    with pytest.raises(ConfigError, match="open_set_threshold"):
        LocalAnalyzer(open_set_threshold=1.5)


def test_shipped_model_carries_its_threshold():
    from visionkit.backends.local.classifier import ImageClassifier

    threshold = ImageClassifier.load().open_set_threshold
    assert threshold is not None and 0.0 < threshold < 1.0


def test_a_large_jpeg_is_analysed_at_reduced_scale_with_its_true_size(analyzer, tmp_path):
    photo = Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize((3608, 2400))
    photo.save(tmp_path / "big.jpg", quality=90)
    photo.resize((451, 300)).save(tmp_path / "small.jpg", quality=90)

    big = analyzer.analyze(tmp_path / "big.jpg")
    small = analyzer.analyze(tmp_path / "small.jpg")

    assert (big.metadata.width, big.metadata.height) == (3608, 2400)
    assert big.top_tag.name == small.top_tag.name == "cat"
    assert big.colors.dominant_colors == small.colors.dominant_colors
    assert big.image_type == small.image_type


def test_views_option_picks_the_policy_and_rejects_unknown_ones():
    from visionkit import ConfigError

    with LocalAnalyzer(views="flip+shift") as six:
        assert six.classifier.views.count == 6
        six_probs = six.analyze(EXAMPLES / "chelsea.png", ["tags"]).raw["probabilities"]
    with LocalAnalyzer(views="flip") as two:
        assert two.classifier.views.count == 2
        two_probs = two.analyze(EXAMPLES / "chelsea.png", ["tags"]).raw["probabilities"]
    assert max(six_probs, key=six_probs.get) == max(two_probs, key=two_probs.get) == "cat"
    assert six_probs != two_probs
    with LocalAnalyzer(views="single") as one:
        assert one.classifier.views.count == 1
        one_probs = one.analyze(EXAMPLES / "chelsea.png", ["tags"]).raw["probabilities"]
    assert max(one_probs, key=one_probs.get) == "cat"
    with pytest.raises(ConfigError, match=r"local\.views must be one of single, flip, flip\+shift"):
        LocalAnalyzer(views="mirror")


def test_a_shipped_model_is_chosen_by_name(tmp_path):
    """`model = "fast"` in a config file or `VISIONKIT_MODEL=fast` arrive as a Path."""
    with LocalAnalyzer(model=Path("fast"), views="single") as fast:
        result = fast.analyze(EXAMPLES / "chelsea.png", ["tags"])
        assert fast.classifier.path.name == "cifar10-fast.tflite"
    assert result.top_tag is not None and result.top_tag.name == "cat"
    assert result.model_version is not None and result.model_version.startswith("cifar10-fast@")
    with pytest.raises(ModelError, match="shipped model"):
        LocalAnalyzer(model=tmp_path / "fast").analyze(EXAMPLES / "chelsea.png", ["tags"])

"""Terminal rendering of results (the CLI's table)."""

from factories import full_result
from rich.console import Console

from visionkit.render import result_table
from visionkit.results import AdultScores, AnalysisResult


def render(result: AnalysisResult) -> str:
    console = Console(width=200, record=True)
    console.print(result_table(result, title="photo.jpg"))
    return console.export_text()


def test_every_requested_feature_has_a_row():
    text = render(full_result())
    labels = "backend image caption tags objects colors adult faces text brands categories"
    for label in [*labels.split(), "image type", "celebrities", "landmarks"]:
        assert label in text
    assert "tree > plant 90% at (0, 0, 50, 50)" in text
    assert "Satya Nadella sitting on a bench (48%)" in text
    assert "area of interest" in text and "(160, 0, 950, 951)" in text


def test_features_not_requested_have_no_row_and_empty_ones_say_none():
    text = render(AnalysisResult(backend="local", tags=()))
    assert "tags" in text and "(none)" in text
    assert "objects" not in text
    assert "fallback" not in text


def test_fallback_reason_is_shown():
    result = AnalysisResult(backend="local", tags=(), fallback_reason="azure: rate limited")
    assert "azure: rate limited" in render(result)


def test_a_replayed_result_says_it_is_not_live():
    text = render(AnalysisResult(backend="azure", tags=(), replayed_from="bundled:azure/x"))
    assert "replayed" in text
    assert "from bundled:azure/x: a cassette's answer, not a live one" in text
    # The bundled cassettes are hand-made, so "recorded" would be untrue of them.
    assert "recorded" not in text
    assert "replayed" not in render(AnalysisResult(backend="azure", tags=()))


def test_image_type_is_said_in_words():
    from visionkit.results import ImageType

    plain = render(AnalysisResult(backend="azure", image_type=ImageType(0, 0)))
    assert "not clip art, not a line drawing" in plain
    drawn = render(AnalysisResult(backend="azure", image_type=ImageType(3, 1)))
    assert "clearly clip art (3/3), a line drawing" in drawn


def test_moderation_scores_not_reported_say_below_what():
    # Hand-made, as AWS maps its v6 moderation example: only the adult subtree reached 0.5.
    adult = AdultScores(0.99, None, None, True, False, False, reporting_threshold=0.5)
    text = render(AnalysisResult(backend="aws", adult=adult))
    assert "adult 99%, racy -, gore - (- = below 50%, not reported) [flagged]" in text

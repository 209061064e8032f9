"""Ready-made values for tests: real-looking results built from published responses."""

from visionkit.results import (
    AdultScores,
    AnalysisResult,
    BoundingBox,
    Brand,
    Caption,
    Category,
    Celebrity,
    ColorScheme,
    DetectedObject,
    Face,
    ImageMetadata,
    ImageType,
    Landmark,
    ObjectCategory,
    Tag,
    TextLine,
    Word,
)


def full_result() -> AnalysisResult:
    """A result with every field set, values taken from Azure's published v3.2 example."""
    return AnalysisResult(
        backend="azure",
        model_version="2021-04-01",
        metadata=ImageMetadata(1500, 1000, "Jpeg"),
        tags=(
            Tag("person", 0.98979085683822632),
            Tag("pangolin", 0.7250059783791661, hint="mammal"),
        ),
        objects=(
            DetectedObject("tree", 0.9, BoundingBox(0, 0, 50, 50), ObjectCategory("plant", 0.95)),
        ),
        captions=(Caption("Satya Nadella sitting on a bench", 0.48293603002174407),),
        colors=ColorScheme("brown", "brown", ("brown", "black"), "#873B59", False),
        adult=AdultScores(
            0.0934349000453949, 0.068613491952419281, 0.012872257380997575, False, False, False
        ),
        image_type=ImageType(0, 0),
        faces=(Face(BoundingBox(593, 160, 250, 250), age=44, gender="Male"),),
        text=(
            TextLine(
                "Our Tablet",
                ((10.0, 20.0), (110.0, 20.0), (110.0, 40.0), (10.0, 40.0)),
                0.99,
                (Word("Our", ((10.0, 20.0), (50.0, 20.0), (50.0, 40.0), (10.0, 40.0)), 0.98),),
            ),
        ),
        brands=(Brand("Pepsi", 0.857, BoundingBox(489, 79, 161, 177)),),
        categories=(Category("people_", 0.83984375),),
        celebrities=(Celebrity("Satya Nadella", 0.999028444, BoundingBox(597, 162, 248, 248)),),
        landmarks=(Landmark("Forbidden City", 0.98290169239044189),),
        area_of_interest=BoundingBox(160, 0, 950, 951),  # SuccessfulGetAreaOfInterestWithUrl
        request_id="0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d",
        elapsed_s=0.25,
        raw={"requestId": "0dbec5ad-a3d3-4f7e-96b4-dfd57efe967d", "nested": [1, {"a": None}]},
    )


def clear_visionkit_environment(monkeypatch) -> None:
    """Remove every variable visionkit reads, so a developer's key or config cannot leak in.

    The names come from the code (the global settings, record mode, and each
    built-in backend's options through ``option_environment``), so a new
    option is cleared without anyone editing a list here.
    """
    import dataclasses

    from visionkit.backends.registry import get_backend_class
    from visionkit.config import ENV_BACKEND, ENV_CONFIG, ENV_FALLBACK, option_environment
    from visionkit.testing.playback import RECORD_ENV

    names = {ENV_BACKEND, ENV_CONFIG, ENV_FALLBACK, RECORD_ENV}
    for backend in ("local", "azure"):
        for f in dataclasses.fields(get_backend_class(backend).Options):
            names.update(option_environment(backend, f))
    for name in sorted(names):
        monkeypatch.delenv(name, raising=False)

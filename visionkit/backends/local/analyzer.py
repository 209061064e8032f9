"""The offline backend: a small CNN for tags, pixel statistics for the rest.

Nothing here touches the network or needs a key, which is why ``local`` is
the default backend. Tags come from the CNN this project trains on CIFAR-10
(:mod:`visionkit.backends.local.classifier`, run through LiteRT so TensorFlow
is never imported for inference). Colours and image type are documented rules
over the pixels (:mod:`.colors`, :mod:`.image_type`), not trained models.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PIL import Image

from visionkit.backends.base import Analyzer
from visionkit.backends.local import regions
from visionkit.backends.local.classifier import fit_to_square
from visionkit.backends.local.colors import analyze_colors
from visionkit.backends.local.image_type import classify_image_type
from visionkit.backends.local.taxonomy import DERIVED_TAGS, derived_confidences
from visionkit.backends.local.working import WORK_SIDE, WorkingCopy
from visionkit.cropping import Thumbnail, check_size
from visionkit.errors import ConfigError, VisionKitError
from visionkit.features import Feature
from visionkit.images import ImageInput, LoadedImage, load_image
from visionkit.images.settings import configured_limits
from visionkit.options import option
from visionkit.results import AnalysisResult, DetectedObject, Tag

if TYPE_CHECKING:
    from visionkit.backends.local.classifier import ImageClassifier


_REDUCIBLE = frozenset(
    {Feature.TAGS, Feature.COLORS, Feature.IMAGE_TYPE, Feature.METADATA, Feature.AREA_OF_INTEREST}
)
"""Features that never need more than a small copy of the image."""

DECODE_MARGIN = 2
"""Decoded JPEGs keep at least this many times the CNN's input size on their short
side, so the final antialiased resize still has pixels to filter (the decoder's own
1/8 scaling is a plain block average)."""

REGION_THRESHOLD = 0.997
"""Default for ``local.region_threshold``, chosen on the development photos
(``docs/benchmarks/real-photos.md``): the lowest at which at most 5% of photos
showing none of the classes get a box."""


@dataclass(frozen=True)
class LocalOptions:
    """Settings of the ``local`` backend.

    Set them as arguments, ``configure(local={...})``, ``VISIONKIT_LOCAL_<NAME>``
    environment variables, or a ``[local]`` table in the config file.
    """

    model: Path | None = option(
        env=("VISIONKIT_MODEL",),
        help=(
            "A .tflite or .keras model made by `visionkit train`/`export`, or a shipped "
            "model by name: 'default' (the CIFAR-10 model, int8 on CPUs with VNNI, else "
            "float32), 'default-float32' or 'default-int8' (pinned), or 'fast' (a narrower "
            "net, 3.6x cheaper, about a point less accurate); default: 'default'."
        ),
    )
    views: str | None = option(
        None,
        help=(
            "Test-time views the CNN averages: 'single' (one pass), 'flip' (the image and "
            "its mirror, two passes) or 'flip+shift' (six passes); default: the model's own "
            "(flip when shipped)."
        ),
    )
    top_k: int = option(3, help="How many of the model's classes to return as tags.")
    min_confidence: float = option(0.05, help="Drop class and derived tags below this probability.")
    derived_tags: bool = option(
        True, help="Add broader tags implied by the classes (cat -> mammal, animal)."
    )
    open_set_threshold: float | None = option(
        None,
        help=(
            "Say 'none of the model's classes' (no class tags) when the top calibrated "
            "probability is below this; default: the threshold saved with the model; 0: off."
        ),
    )

    regions: bool = option(
        False,
        help=(
            "Search windows of the photo for the model's classes and report them as objects "
            "with boxes (the 'objects' feature); costs about one model call per window."
        ),
    )
    region_threshold: float = option(
        REGION_THRESHOLD,
        help="A window is a find when its top calibrated probability is at least this.",
    )

    thumbnail_faces: bool = option(
        True,
        help=(
            "Weight faces into smart thumbnails when the 'faces' extra is installed "
            "(up to 0.15 s a photo on 2 shared cores); false: the saliency map alone (a few ms)."
        ),
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.region_threshold <= 1.0:
            raise ConfigError(
                "local.region_threshold must be above 0 and at most 1, "
                f"got {self.region_threshold}."
            )
        if self.views is not None:
            from visionkit.backends.local.views import POLICIES

            if self.views not in POLICIES:
                raise ConfigError(
                    f"local.views must be one of {', '.join(POLICIES)}, got {self.views!r}."
                )
        if self.top_k < 1:
            raise ConfigError(f"local.top_k must be at least 1, got {self.top_k}.")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(
                f"local.min_confidence must be between 0 and 1, got {self.min_confidence}."
            )
        threshold = self.open_set_threshold
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ConfigError(
                f"local.open_set_threshold must be between 0 and 1 (0 switches it off), "
                f"got {threshold}."
            )


class LocalAnalyzer(Analyzer):
    """Analyses images on this machine: free, offline, private."""

    name: ClassVar[str] = "local"
    ON_REQUEST: ClassVar[frozenset[Feature]] = frozenset(
        {Feature.TEXT, Feature.FACES, Feature.AREA_OF_INTEREST}
    )
    """Offered only when asked for by name: OCR loads a second set of models (``ocr`` extra),
    faces OpenCV's cascades (``faces`` extra), and each costs far more than the rest
    (faces: 20-45 ms per photo on 2 shared cores, docs/benchmarks/local-faces.md); the
    area of interest costs a few milliseconds, over the ~1 ms that would earn it a
    place in "everything" (docs/benchmarks/thumbnails.md)."""
    capabilities: ClassVar[frozenset[Feature]] = ON_REQUEST | frozenset(
        {Feature.TAGS, Feature.OBJECTS, Feature.COLORS, Feature.IMAGE_TYPE, Feature.METADATA}
    )
    Options = LocalOptions
    options: LocalOptions
    batch_size: ClassVar[int] = 64

    def __init__(self, options: LocalOptions | None = None, /, **overrides: object) -> None:
        super().__init__(options, **overrides)
        self._classifier: ImageClassifier | None = None
        self._classifier_lock = threading.Lock()

    @property
    def classifier(self) -> ImageClassifier:
        """The CNN, loaded on first use so colour-only analyses never pay for it."""
        with self._classifier_lock:
            if self._classifier is None:
                from visionkit.backends.local.classifier import ImageClassifier

                self._classifier = ImageClassifier.load(
                    self.options.model, views=self.options.views
                )
            return self._classifier

    @classmethod
    def capabilities_for(cls, options: LocalOptions) -> frozenset[Feature]:
        """Objects only with ``regions=True``: the region search is opt-in."""
        return cls.capabilities if options.regions else cls.capabilities - {Feature.OBJECTS}

    def how_to_enable(self, feature: Feature) -> str:
        if feature is Feature.OBJECTS and not self.options.regions:
            return (
                "Turn on the region search with regions=True (or local.regions = true in "
                "the configuration); it costs about one model call per window."
            )
        return ""

    @property
    def default_features(self) -> frozenset[Feature]:
        """``features=None`` leaves out :attr:`ON_REQUEST` (text, faces): OCR costs ~1 s
        per photo, faces 20-45 ms."""
        return self.supported_features - self.ON_REQUEST

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        loaded = load_image(image, reduce=self._decode_size(features))
        return self._analyze_loaded(loaded, features)

    def _decode_size(self, features: frozenset[Feature]) -> tuple[int, int] | None:
        """The least resolution the requested features need, or ``None`` for full size.

        Colours and image type look at a copy at most :data:`WORK_SIDE` pixels
        long and the CNN at one :data:`DECODE_MARGIN` times its input size, so a
        JPEG needs decoding only to that (1/2 to 1/8 scale in the decoder: a 12 MP
        photo costs a fraction of a full decode); metadata keeps the full size.
        Faces scan a grey copy :data:`~.faces.DETECT_SIDE` long, so they need
        :data:`DECODE_MARGIN` times that on the long side (their boxes are scaled
        back to the full size). Any other feature (objects, text, and what is added
        later) gets full resolution.
        """
        if not features <= _REDUCIBLE | {Feature.FACES}:
            return None
        pixel_rules = {Feature.COLORS, Feature.IMAGE_TYPE, Feature.AREA_OF_INTEREST}
        long = WORK_SIDE if features & pixel_rules else 0
        if Feature.FACES in features:
            from visionkit.backends.local.faces import DETECT_SIDE

            long = max(long, DECODE_MARGIN * DETECT_SIDE)
        short = DECODE_MARGIN * self.classifier.image_size if Feature.TAGS in features else 1
        return (long, short)

    def _analyze_batch(
        self, images: Sequence[ImageInput], features: frozenset[Feature]
    ) -> list[AnalysisResult | VisionKitError]:
        """One pass per image, then the CNN once on the whole stack.

        Each image is decoded, measured for the pixel features and shrunk to
        the model's input size before the next is read, so only that small copy
        outlives its pass: a batch of 64 camera photos never holds 64 decoded
        full-size images at once. The model gains from one stacked call instead
        of one per image. Parallelism is the batch engine's job (it keeps two
        batches in flight, one decoding while one predicts); a pool of our own
        here gained about 6% beside it (54 against 51 images/s for tags and
        colours on 450 real photos, 2 cores, 2026-12-03), not worth a second
        engine.
        """
        size: int | None = None
        if Feature.TAGS in features:
            try:
                size = self.classifier.image_size
            except VisionKitError as exc:
                return [exc] * len(images)  # no model: every image fails the same way
        pixel_features = features - {Feature.TAGS}
        reduce = self._decode_size(features)
        try:
            # Once per batch, not per image: finding the config file costs ~0.25 ms
            # of stat calls, as much as decoding a CIFAR-sized JPEG.
            limits = configured_limits()
        except VisionKitError as exc:
            return [exc] * len(images)

        def prepare(image: ImageInput) -> tuple[AnalysisResult, Image.Image] | VisionKitError:
            try:
                loaded = load_image(image, limits=limits, reduce=reduce)
                result = self._analyze_loaded(loaded, pixel_features)
            except VisionKitError as exc:
                return exc
            return result, (fit_to_square(loaded.pixels, size) if size else loaded.pixels)

        prepared = [prepare(image) for image in images]
        if size is None:
            return [p if isinstance(p, VisionKitError) else p[0] for p in prepared]
        ready = [p for p in prepared if not isinstance(p, VisionKitError)]
        rows = iter(self.classifier.predict([small for _, small in ready]) if ready else ())
        return [
            p if isinstance(p, VisionKitError) else self._with_tags(p[0], next(rows))
            for p in prepared
        ]

    def _analyze_loaded(self, loaded: LoadedImage, features: frozenset[Feature]) -> AnalysisResult:
        work = (
            WorkingCopy.of(loaded.pixels)
            if features & {Feature.COLORS, Feature.IMAGE_TYPE}
            else None
        )
        result = AnalysisResult(
            backend=self.name,
            metadata=loaded.metadata() if Feature.METADATA in features else None,
            colors=analyze_colors(work) if work and Feature.COLORS in features else None,
            image_type=(
                classify_image_type(work) if work and Feature.IMAGE_TYPE in features else None
            ),
            raw={"source": loaded.source},
        )
        if Feature.FACES in features:  # before tags: _with_tags adds person/face from them
            from visionkit.backends.local import faces

            frame = loaded.original_size or loaded.pixels.size  # boxes in full-size pixels
            result = faces.with_faces(result, loaded.pixels, frame)
        if Feature.TAGS in features:
            result = self._with_tags(result, self.classifier.predict([loaded.pixels])[0])
        if Feature.AREA_OF_INTEREST in features:  # after faces: found faces are weighted in
            from visionkit.backends.local.thumbnail import interest_box

            found = [face.box for face in result.faces or ()]
            box = interest_box(loaded.pixels, loaded.metadata(), found)
            result = replace(result, area_of_interest=box)
        if Feature.OBJECTS in features:
            result = replace(result, objects=self._objects(loaded.pixels))
        if Feature.TEXT in features:  # loaded.pixels: full size (not in _REDUCIBLE), EXIF-oriented
            from visionkit.backends.local import ocr

            result = ocr.with_text(result, loaded.pixels)
        return result

    def _objects(self, pixels: Image.Image) -> tuple[DetectedObject, ...]:
        """The model's classes found in windows of the photo (:mod:`.regions`), best first."""
        classifier = self.classifier
        found = regions.windows(pixels.width, pixels.height)
        probabilities = classifier.predict_arrays(
            regions.crops(pixels, found, classifier.image_size)
        )
        parents = dict(DERIVED_TAGS) if self.options.derived_tags else None
        return regions.finds(
            probabilities, found, classifier.class_names, self.options.region_threshold, parents
        )

    def _with_tags(self, result: AnalysisResult, predicted: Iterable[float]) -> AnalysisResult:
        """``result`` plus the tags (and their raw probabilities) of one row of model output."""
        classifier = self.classifier
        # float32 softmax can land a hair outside [0, 1]; results promise the closed interval.
        probabilities = [min(max(float(p), 0.0), 1.0) for p in predicted]
        raw = dict(result.raw or {})
        raw["probabilities"] = dict(
            zip(classifier.class_names, (round(p, 6) for p in probabilities), strict=True)
        )
        threshold = self.open_set_threshold
        score = max(probabilities)
        raw["open_set"] = {"score": round(score, 6), "threshold": threshold}
        abstention = None
        tags = self._tags(classifier.class_names, probabilities)
        if threshold is not None and score < threshold:
            n = len(classifier.class_names)
            abstention = (
                f"none of the model's {n} classes "
                f"(top score {score:.2f} < threshold {threshold:.2f})"
            )
            tags = ()
        if result.faces:
            from visionkit.backends.local import faces

            tags = faces.with_person_tags(tags, result.faces, self.options.min_confidence)
        return replace(
            result, tags=tags, abstention=abstention, model_version=classifier.version, raw=raw
        )

    @property
    def open_set_threshold(self) -> float | None:
        """The threshold in force: the option, else the model's saved one; ``None`` = off.

        The score is the top calibrated probability, which every model outputs. Of
        seven scores measured on real photos only k-nearest-neighbour similarity on
        the penultimate features did better, and it needs those features exported
        (``docs/benchmarks/real-photos.md``).
        """
        chosen = self.options.open_set_threshold
        if chosen is None:
            chosen = self.classifier.open_set_threshold
        return chosen if chosen else None

    def _tags(self, class_names: tuple[str, ...], probabilities: list[float]) -> tuple[Tag, ...]:
        """Top-k classes, then derived tags, each above ``min_confidence``, most confident first."""
        floor = self.options.min_confidence
        ranked = sorted(zip(class_names, probabilities, strict=True), key=lambda kv: -kv[1])
        tags = [Tag(n, p) for n, p in ranked[: self.options.top_k] if p >= floor]
        if self.options.derived_tags:
            for name, p in derived_confidences(class_names, probabilities).items():
                if p >= floor:
                    tags.append(Tag(name, p))
        return tuple(sorted(tags, key=lambda t: -t.confidence))

    def make_thumbnail(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail:
        """The most salient window of the requested shape, resized (:mod:`.thumbnail`), with
        faces weighted in per ``thumbnail_faces``; ``smart=False``: the centre. Used by
        :func:`visionkit.thumbnail`."""
        from visionkit.backends.local.thumbnail import decode_size, smart_thumbnail

        check_size(width, height)
        loaded = load_image(image, reduce=decode_size(width, height))
        faces = self.options.thumbnail_faces
        return smart_thumbnail(loaded, width, height, smart=smart, faces=faces)

    async def make_thumbnail_async(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail:
        import asyncio  # loaded already whenever a coroutine runs

        return await asyncio.to_thread(self.make_thumbnail, image, width, height, smart=smart)

    def close(self) -> None:
        with self._classifier_lock:
            self._classifier = None


__all__ = ["LocalAnalyzer", "LocalOptions"]

"""The offline backend: a small CNN for tags, pixel statistics for the rest.

Nothing here touches the network or needs a key, which is why ``local`` is
the default backend. Tags come from the CNN this project trains on CIFAR-10
(:mod:`visionkit.backends.local.classifier`, run through LiteRT so TensorFlow
is never imported for inference). Colours and image type are documented rules
over the pixels (:mod:`.colors`, :mod:`.image_type`), not trained models.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from visionkit.backends.base import Analyzer
from visionkit.backends.local.colors import analyze_colors
from visionkit.backends.local.image_type import classify_image_type
from visionkit.backends.local.taxonomy import derived_confidences
from visionkit.errors import ConfigError, VisionKitError
from visionkit.features import Feature
from visionkit.images import ImageInput, LoadedImage, load_image
from visionkit.options import option
from visionkit.results import AnalysisResult, Tag

if TYPE_CHECKING:
    from visionkit.backends.local.classifier import ImageClassifier


@dataclass(frozen=True)
class LocalOptions:
    """Settings of the ``local`` backend.

    Set them as arguments, ``configure(local={...})``, ``VISIONKIT_LOCAL_<NAME>``
    environment variables, or a ``[local]`` table in the config file.
    """

    model: Path | None = option(
        env=("VISIONKIT_MODEL",),
        help=(
            "A .tflite or .keras model made by `visionkit train`/`export`; "
            "default: the shipped CIFAR-10 model."
        ),
    )
    top_k: int = option(3, help="How many of the model's classes to return as tags.")
    min_confidence: float = option(0.05, help="Drop class and derived tags below this probability.")
    derived_tags: bool = option(
        True, help="Add broader tags implied by the classes (cat -> mammal, animal)."
    )

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ConfigError(f"local.top_k must be at least 1, got {self.top_k}.")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(
                f"local.min_confidence must be between 0 and 1, got {self.min_confidence}."
            )


class LocalAnalyzer(Analyzer):
    """Analyses images on this machine: free, offline, private."""

    name: ClassVar[str] = "local"
    capabilities: ClassVar[frozenset[Feature]] = frozenset(
        {Feature.TAGS, Feature.COLORS, Feature.IMAGE_TYPE, Feature.METADATA}
    )
    Options = LocalOptions
    options: LocalOptions
    batch_size: ClassVar[int] = 64

    def __init__(self, options: LocalOptions | None = None, /, **overrides: object) -> None:
        super().__init__(options, **overrides)
        self._classifier: ImageClassifier | None = None
        self._classifier_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def classifier(self) -> ImageClassifier:
        """The CNN, loaded on first use so colour-only analyses never pay for it."""
        with self._classifier_lock:
            if self._classifier is None:
                from visionkit.backends.local.classifier import ImageClassifier

                self._classifier = ImageClassifier.load(self.options.model)
            return self._classifier

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        loaded = load_image(image)
        return self._analyze_loaded(loaded, features)

    def _analyze_batch(
        self, images: Sequence[ImageInput], features: frozenset[Feature]
    ) -> list[AnalysisResult | VisionKitError]:
        """Decode and measure pixels on every core, then run the CNN once on the whole stack.

        Decoding (Pillow) and the pixel rules (NumPy) release the GIL, so a
        thread pool keeps both cores busy; the model gains from one stacked
        call instead of one call per image.
        """
        pool = self._thread_pool()
        loaded = list(pool.map(_load_or_error, images))
        decoded = [item for item in loaded if isinstance(item, LoadedImage)]
        rows: dict[int, Iterable[float]] = {}
        failure: VisionKitError | None = None
        if Feature.TAGS in features and decoded:
            try:
                from visionkit.backends.local.classifier import fit_to_square

                classifier = self.classifier
                size = classifier.image_size
                # Shrinking a photo to the model's size is the costly part: do it in the pool too.
                small = list(pool.map(lambda item: fit_to_square(item.pixels, size), decoded))
                stacked = classifier.predict(small)
                rows = {id(item): row for item, row in zip(decoded, stacked, strict=True)}
            except VisionKitError as exc:
                failure = exc  # no model: every image of the batch fails the same way

        def finish(item: LoadedImage | VisionKitError) -> AnalysisResult | VisionKitError:
            if isinstance(item, VisionKitError):
                return item
            if failure is not None:
                return failure
            try:
                return self._analyze_loaded(item, features, rows.get(id(item)))
            except VisionKitError as exc:
                return exc

        return list(pool.map(finish, loaded))

    def _thread_pool(self) -> ThreadPoolExecutor:
        with self._classifier_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=os.cpu_count() or 2, thread_name_prefix="visionkit-local"
                )
            return self._pool

    def _analyze_loaded(
        self,
        loaded: LoadedImage,
        features: frozenset[Feature],
        predicted: Iterable[float] | None = None,
    ) -> AnalysisResult:
        raw: dict[str, object] = {"source": loaded.source}
        tags = None
        model_version = None
        if Feature.TAGS in features:
            classifier = self.classifier
            if predicted is None:
                predicted = classifier.predict([loaded.pixels])[0]
            # float32 softmax can land a hair outside [0, 1]; results promise the closed interval.
            probabilities = [min(max(float(p), 0.0), 1.0) for p in predicted]
            tags = self._tags(classifier.class_names, probabilities)
            model_version = classifier.version
            raw["probabilities"] = dict(
                zip(
                    classifier.class_names, (round(float(p), 6) for p in probabilities), strict=True
                )
            )
        return AnalysisResult(
            backend=self.name,
            model_version=model_version,
            metadata=loaded.metadata() if Feature.METADATA in features else None,
            tags=tags,
            colors=analyze_colors(loaded.pixels) if Feature.COLORS in features else None,
            image_type=(
                classify_image_type(loaded.pixels) if Feature.IMAGE_TYPE in features else None
            ),
            raw=raw,
        )

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

    def close(self) -> None:
        with self._classifier_lock:
            self._classifier = None
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


def _load_or_error(image: ImageInput) -> LoadedImage | VisionKitError:
    try:
        return load_image(image)
    except VisionKitError as exc:
        return exc


__all__ = ["LocalAnalyzer", "LocalOptions"]

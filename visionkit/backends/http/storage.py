"""Storage URIs a cloud service reads itself (``gs://``, ``s3://``): what "everything" means then.

The service fetches the object, so visionkit never sees its bytes and cannot
measure it, and neither Google nor Rekognition states the size of what it
read. Features whose answer needs that size (pixel boxes, metadata) cannot be
given: :class:`StorageUriDefaults` makes ``features=None`` leave them out for
such a URI, while naming them explicitly stays the backend's error to raise.
"""

from __future__ import annotations

from typing import ClassVar

from visionkit.backends.base import Analyzer, FeaturesArg
from visionkit.features import Feature
from visionkit.images import ImageInput
from visionkit.results import AnalysisResult


class StorageUriDefaults(Analyzer):
    """A mixin for a remote analyzer that passes :attr:`storage_scheme` URIs to its service."""

    storage_scheme: ClassVar[str]
    """``"gs://"`` or ``"s3://"``, in lower case as the vendors' tools write it."""
    needs_size: ClassVar[frozenset[Feature]]
    """The features such a URI cannot be answered for."""

    def analyze(self, image: ImageInput, features: FeaturesArg = None) -> AnalysisResult:
        """As for every backend; for a storage URI, "everything" leaves out
        :attr:`needs_size`, which the service's answer cannot give."""
        return super().analyze(image, self._default_features(image, features))

    async def analyze_async(
        self, image: ImageInput, features: FeaturesArg = None
    ) -> AnalysisResult:
        return await super().analyze_async(image, self._default_features(image, features))

    @classmethod
    def is_storage_uri(cls, image: object) -> bool:
        return isinstance(image, str) and image.startswith(cls.storage_scheme)

    def _default_features(self, image: ImageInput, features: FeaturesArg) -> FeaturesArg:
        if features is None and self.is_storage_uri(image):
            return self.default_features - self.needs_size
        return features


__all__ = ["StorageUriDefaults"]

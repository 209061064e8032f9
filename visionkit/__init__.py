"""visionkit: one call, one typed result, whether the work runs locally or in the cloud.

>>> from visionkit import analyze
>>> result = analyze("photo.jpg")                   # local CNN, offline, free
>>> result = analyze("photo.jpg", backend="azure")  # Azure Computer Vision
>>> result.tags, result.colors, result.summary()

``import visionkit`` is cheap: it imports none of its own modules until a name
is first used (``visionkit.analyze`` imports :mod:`visionkit.api`, and so on),
TensorFlow is never imported for analysis, and backends are imported when first
used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visionkit.lazy import lazy_exports
from visionkit.version import __version__

if TYPE_CHECKING:
    from visionkit.analyzers import close_analyzers, get_analyzer
    from visionkit.api import analyze, analyze_async, thumbnail, thumbnail_async
    from visionkit.backends.base import Analyzer
    from visionkit.backends.registry import backend_names, register_backend
    from visionkit.batch import BatchItem, analyze_many, analyze_many_async
    from visionkit.comparison import Comparison, compare
    from visionkit.config import configure, reset_configuration
    from visionkit.cropping import Thumbnail, ThumbnailSizeError
    from visionkit.errors import (
        AuthenticationError,
        BackendError,
        BackendTimeoutError,
        BackendUnavailableError,
        ConfigError,
        InvalidImageError,
        ModelError,
        RateLimitError,
        UnsupportedFeatureError,
        VisionKitError,
    )
    from visionkit.features import Feature
    from visionkit.images import ImageInput
    from visionkit.options import Secret
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

#: Each public name and the module that defines it, imported on first access (PEP 562).
_EXPORTS: dict[str, str] = {
    "AdultScores": "visionkit.results",
    "AnalysisResult": "visionkit.results",
    "Analyzer": "visionkit.backends.base",
    "AuthenticationError": "visionkit.errors",
    "BackendError": "visionkit.errors",
    "BackendTimeoutError": "visionkit.errors",
    "BackendUnavailableError": "visionkit.errors",
    "BatchItem": "visionkit.batch",
    "BoundingBox": "visionkit.results",
    "Brand": "visionkit.results",
    "Caption": "visionkit.results",
    "Category": "visionkit.results",
    "Celebrity": "visionkit.results",
    "ColorScheme": "visionkit.results",
    "Comparison": "visionkit.comparison",
    "ConfigError": "visionkit.errors",
    "DetectedObject": "visionkit.results",
    "Face": "visionkit.results",
    "Feature": "visionkit.features",
    "ImageInput": "visionkit.images",
    "ImageMetadata": "visionkit.results",
    "ImageType": "visionkit.results",
    "InvalidImageError": "visionkit.errors",
    "Landmark": "visionkit.results",
    "ModelError": "visionkit.errors",
    "ObjectCategory": "visionkit.results",
    "RateLimitError": "visionkit.errors",
    "Secret": "visionkit.options",
    "Tag": "visionkit.results",
    "TextLine": "visionkit.results",
    "Thumbnail": "visionkit.cropping",
    "ThumbnailSizeError": "visionkit.cropping",
    "UnsupportedFeatureError": "visionkit.errors",
    "VisionKitError": "visionkit.errors",
    "Word": "visionkit.results",
    "analyze": "visionkit.api",
    "analyze_async": "visionkit.api",
    "analyze_many": "visionkit.batch",
    "analyze_many_async": "visionkit.batch",
    "backend_names": "visionkit.backends.registry",
    "close_analyzers": "visionkit.analyzers",
    "compare": "visionkit.comparison",
    "configure": "visionkit.config",
    "get_analyzer": "visionkit.analyzers",
    "register_backend": "visionkit.backends.registry",
    "reset_configuration": "visionkit.config",
    "thumbnail": "visionkit.api",
    "thumbnail_async": "visionkit.api",
}

__all__ = [
    "AdultScores",
    "AnalysisResult",
    "Analyzer",
    "AuthenticationError",
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "BatchItem",
    "BoundingBox",
    "Brand",
    "Caption",
    "Category",
    "Celebrity",
    "ColorScheme",
    "Comparison",
    "ConfigError",
    "DetectedObject",
    "Face",
    "Feature",
    "ImageInput",
    "ImageMetadata",
    "ImageType",
    "InvalidImageError",
    "Landmark",
    "ModelError",
    "ObjectCategory",
    "RateLimitError",
    "Secret",
    "Tag",
    "TextLine",
    "Thumbnail",
    "ThumbnailSizeError",
    "UnsupportedFeatureError",
    "VisionKitError",
    "Word",
    "__version__",
    "analyze",
    "analyze_async",
    "analyze_many",
    "analyze_many_async",
    "backend_names",
    "close_analyzers",
    "compare",
    "configure",
    "get_analyzer",
    "register_backend",
    "reset_configuration",
    "thumbnail",
    "thumbnail_async",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

"""visionkit: one call, one typed result, whether the work runs locally or in the cloud.

>>> from visionkit import analyze
>>> result = analyze("photo.jpg")                   # local CNN, offline, free
>>> result = analyze("photo.jpg", backend="azure")  # Azure Computer Vision
>>> result.tags, result.colors, result.summary()

``import visionkit`` is cheap: TensorFlow is never imported for analysis, and
backends are imported when first used.
"""

from visionkit.analyzers import close_analyzers, get_analyzer
from visionkit.api import analyze, analyze_async
from visionkit.backends.base import Analyzer
from visionkit.backends.registry import backend_names, register_backend
from visionkit.batch import BatchItem, analyze_many, analyze_many_async
from visionkit.comparison import Comparison, compare
from visionkit.config import configure, reset_configuration
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
from visionkit.version import __version__

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
]

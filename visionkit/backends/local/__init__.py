"""The ``local`` backend: offline tags from a CNN, colours and image type from pixel rules."""

from visionkit.backends.local.analyzer import LocalAnalyzer, LocalOptions

__all__ = ["LocalAnalyzer", "LocalOptions"]

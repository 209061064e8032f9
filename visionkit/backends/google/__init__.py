"""The ``google`` backend: Google Cloud Vision (REST v1, ``images:annotate``).

Layout, one job per module: :mod:`.options` (settings), :mod:`.requests`
(what to send), :mod:`.upload` (the bytes to send and the size Google sees),
:mod:`.mapping` (an ``AnnotateImageResponse`` to
:class:`~visionkit.results.AnalysisResult`, with :mod:`.reading`,
:mod:`.colors` and :mod:`.ocr`), :mod:`.errors` (Google's errors to
visionkit's), :mod:`.auth` (API key, or tokens from ``google-auth``), and
:mod:`.analyzer`, which wires them to the shared HTTP layer. See
``docs/backends/google.md``.
"""

from visionkit.backends.google.analyzer import GoogleAnalyzer
from visionkit.backends.google.options import GoogleOptions

__all__ = ["GoogleAnalyzer", "GoogleOptions"]

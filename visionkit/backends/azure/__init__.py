"""The ``azure`` backend: Azure Computer Vision (Image Analysis 3.2).

Layout, one job per module: :mod:`.options` (settings), :mod:`.requests`
(what to send), :mod:`.preflight` (make the image fit), :mod:`.mapping`
(Azure's JSON to :class:`~visionkit.results.AnalysisResult`), :mod:`.errors`
(Azure's errors to visionkit's), and :mod:`.analyzer`, which wires them to
the shared HTTP layer. See ``docs/backends/azure.md``.
"""

from visionkit.backends.azure.analyzer import AzureAnalyzer
from visionkit.backends.azure.mapping import from_sdk
from visionkit.backends.azure.options import AzureOptions

__all__ = ["AzureAnalyzer", "AzureOptions", "from_sdk"]

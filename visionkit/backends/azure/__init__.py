"""The ``azure`` backend: Azure Computer Vision (Image Analysis 3.2, or 4.0).

Layout, one job per module: :mod:`.options` (settings), :mod:`.requests`
(what to send to 3.2), :mod:`.mapping` (3.2's JSON, through the SDK's
models, to :class:`~visionkit.results.AnalysisResult`), :mod:`.imageanalysis4`
(both directions for 4.0), :mod:`.errors` (Azure's errors to visionkit's),
:mod:`.preflight` (make the image fit, map boxes back), and :mod:`.analyzer`,
which wires them to the shared HTTP layer. See ``docs/backends/azure.md``.
"""

from visionkit.backends.azure.analyzer import AzureAnalyzer
from visionkit.backends.azure.mapping import from_sdk
from visionkit.backends.azure.options import AzureOptions

__all__ = ["AzureAnalyzer", "AzureOptions", "from_sdk"]

"""The ``aws`` backend: AWS Rekognition (DetectLabels, DetectFaces, DetectText,
DetectModerationLabels, RecognizeCelebrities) over httpx, signed with botocore.

Layout, one job per module: :mod:`.options` (settings), :mod:`.requests`
(which operations, what to send), :mod:`.upload` (make the image fit),
:mod:`.signing` (botocore's credential chain and SigV4, imported on first
use), :mod:`.mapping` (answers to :class:`~visionkit.results.AnalysisResult`),
:mod:`.errors` (AWS's errors to visionkit's), and :mod:`.analyzer`, which
wires them to the shared HTTP layer. See ``docs/backends/aws.md``.
"""

from visionkit.backends.aws.analyzer import AwsAnalyzer
from visionkit.backends.aws.options import AwsOptions

__all__ = ["AwsAnalyzer", "AwsOptions"]

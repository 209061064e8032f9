"""Compare backends on the same images: ``visionkit.compare(images) -> Comparison``.

::

    comparison = visionkit.compare("photos/", backends=("local", "azure"))
    print(comparison)                       # summary table
    comparison.to_html("report.html")       # self-contained report
    comparison.to_csv("results.csv")        # one row per image and backend

Modules, one job each: :mod:`.crosswalk` (labels to shared concepts),
:mod:`.settings` (thresholds), :mod:`.metrics` (pure agreement functions over
two results), :mod:`.comparison` (the value and its summaries), :mod:`.runner`
(running the backends), :mod:`.export` (JSON and CSV) and :mod:`.report_html`.
See ``docs/compare.md``.
"""

from visionkit.comparison.comparison import (
    Comparison,
    Failure,
    ImageComparison,
    LatencySummary,
    MetricSummary,
    PairComparison,
    build_comparison,
)
from visionkit.comparison.crosswalk import Concept, Crosswalk, Relation
from visionkit.comparison.metrics import METRICS, Agreement, MetricResult, compare_pair
from visionkit.comparison.runner import compare
from visionkit.comparison.settings import CompareSettings

__all__ = [
    "METRICS",
    "Agreement",
    "CompareSettings",
    "Comparison",
    "Concept",
    "Crosswalk",
    "Failure",
    "ImageComparison",
    "LatencySummary",
    "MetricResult",
    "MetricSummary",
    "PairComparison",
    "Relation",
    "build_comparison",
    "compare",
    "compare_pair",
]

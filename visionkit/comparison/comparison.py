"""What a comparison holds: every result, every failure, every verdict, and their summary.

:class:`Comparison` is a value built by :func:`build_comparison` from results
that already exist, so everything here (metrics, summaries, the table, the
exports) is tested without running a backend. :func:`visionkit.compare` is the
part that runs backends; it ends by calling :func:`build_comparison`.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visionkit.comparison.crosswalk import Crosswalk
from visionkit.comparison.metrics import (
    METRIC_DESCRIPTIONS,
    METRICS,
    Agreement,
    MetricResult,
    compare_pair,
)
from visionkit.comparison.schema import COMPARISON_SCHEMA
from visionkit.comparison.settings import CompareSettings
from visionkit.results import AnalysisResult


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one backend gave no result for one image (the exception's class and message)."""

    backend: str
    error_type: str
    message: str

    @classmethod
    def from_exception(cls, backend: str, exc: BaseException) -> Failure:
        return cls(backend, type(exc).__name__, str(exc))


@dataclass(frozen=True, slots=True)
class PairComparison:
    """Every metric for one image and one pair of backends."""

    first: str
    second: str
    metrics: tuple[MetricResult, ...]

    def metric(self, name: str) -> MetricResult:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"No metric {name!r}; metrics: {', '.join(METRICS)}")

    @property
    def label(self) -> str:
        return f"{self.first} vs {self.second}"


@dataclass(frozen=True)
class ImageComparison:
    """One image: each backend's result or failure, and the verdicts for each pair.

    ``source`` is the input as given (a path, bytes, an image), kept for the
    HTML report's thumbnail and left out of equality and exports.
    """

    image: str
    results: Mapping[str, AnalysisResult]
    failures: Mapping[str, Failure]
    pairs: tuple[PairComparison, ...]
    source: Any = field(default=None, compare=False, repr=False)

    def pair(self, first: str, second: str) -> PairComparison:
        for p in self.pairs:
            if (p.first, p.second) in ((first, second), (second, first)):
                return p
        raise KeyError(f"No comparison of {first!r} with {second!r} for {self.image}")


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """One metric over every image for one pair of backends.

    ``agreement_rate`` is ``agreed / comparable`` (``None`` when nothing was
    comparable): images a side could not judge are counted apart, never as
    disagreements. ``mean_value`` averages the metric's value over the
    comparable images.
    """

    pair: str
    metric: str
    agreed: int
    disagreed: int
    not_comparable: int
    agreement_rate: float | None
    mean_value: float | None

    @property
    def comparable(self) -> int:
        return self.agreed + self.disagreed


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Wall time per image of one backend, over its successful analyses."""

    backend: str
    count: int
    mean_s: float | None
    median_s: float | None
    max_s: float | None
    failures: int


@dataclass(frozen=True)
class Comparison:
    """Results of several backends on the same images, and how far they agree.

    ``str(comparison)`` is a summary table; :meth:`to_dict` / :meth:`to_json`,
    :meth:`to_csv` and :meth:`to_html` export it.
    """

    backends: tuple[str, ...]
    images: tuple[ImageComparison, ...]
    settings: CompareSettings = field(default_factory=CompareSettings)
    features: tuple[str, ...] | None = None

    # -- summaries ----------------------------------------------------------------------

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(itertools.combinations(self.backends, 2))

    def summary(self) -> tuple[MetricSummary, ...]:
        """Every metric for every pair of backends, over every image."""
        out = []
        for first, second in self.pairs:
            label = f"{first} vs {second}"
            for name in METRICS:
                verdicts: list[MetricResult] = []
                missing = 0
                for image in self.images:
                    try:
                        verdicts.append(image.pair(first, second).metric(name))
                    except KeyError:
                        missing += 1  # a side failed on this image: nothing to compare
                out.append(_summarise(label, name, verdicts, missing))
        return tuple(out)

    def latency(self) -> tuple[LatencySummary, ...]:
        """Per backend: mean, median and slowest wall time of an analysis, and failures."""
        out = []
        for backend in self.backends:
            times = [
                r.elapsed_s
                for image in self.images
                if (r := image.results.get(backend)) is not None and r.elapsed_s is not None
            ]
            failures = sum(backend in image.failures for image in self.images)
            out.append(
                LatencySummary(
                    backend,
                    len(times),
                    statistics.fmean(times) if times else None,
                    statistics.median(times) if times else None,
                    max(times) if times else None,
                    failures,
                )
            )
        return tuple(out)

    @property
    def failures(self) -> tuple[tuple[str, Failure], ...]:
        """``(image, failure)`` for every backend that failed on an image."""
        return tuple((i.image, f) for i in self.images for f in i.failures.values())

    # -- rendering and export -----------------------------------------------------------

    def summary_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """``(pair, metric, agreement, agree/disagree/n.c., mean value, meaning)`` as text."""
        rows = []
        for s in self.summary():
            rate = "-" if s.agreement_rate is None else f"{s.agreement_rate:.0%}"
            counts = f"{s.agreed}/{s.disagreed}/{s.not_comparable}"
            mean = "-" if s.mean_value is None else f"{s.mean_value:.2f}"
            rows.append((s.pair, s.metric, rate, counts, mean, METRIC_DESCRIPTIONS[s.metric]))
        return rows

    def __str__(self) -> str:
        from visionkit.comparison.table import text_table

        head = (
            f"{len(self.images)} image(s), backends {', '.join(self.backends)}; "
            f"{len(self.failures)} failure(s)"
        )
        summary = text_table(
            ("pair", "metric", "agreement", "agree/disagree/n.c.", "mean", "value means"),
            self.summary_rows(),
        )
        latency = text_table(
            ("backend", "analysed", "failed", "mean", "median", "max"),
            [
                (
                    s.backend,
                    str(s.count),
                    str(s.failures),
                    *(_ms(v) for v in (s.mean_s, s.median_s, s.max_s)),
                )
                for s in self.latency()
            ],
        )
        return f"{head}\n\n{summary}\n\n{latency}"

    def to_dict(self, *, include_raw: bool = False) -> dict[str, Any]:
        """A JSON-compatible dict: settings, summary, latency, and every image in full."""
        from visionkit.comparison.export import comparison_to_dict

        return comparison_to_dict(self, include_raw=include_raw)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Rebuild from :meth:`to_dict` output (or its JSON, parsed).

        Results, failures, settings and crosswalk are read back; the verdicts are
        recomputed from them, so a saved comparison can be re-judged with other
        thresholds by editing ``settings``. Thumbnails need the images, which JSON
        does not hold: the rebuilt report shows boxes without pictures.
        """
        if data.get("schema") != COMPARISON_SCHEMA:
            raise ValueError(
                f"Unsupported comparison schema {data.get('schema')!r}; "
                f"this visionkit reads {COMPARISON_SCHEMA!r}"
            )
        crosswalk = Crosswalk([]).extended(data.get("crosswalk") or Crosswalk.default().to_dict())
        settings = CompareSettings(**data.get("settings", {}), crosswalk=crosswalk)
        images = [
            (
                image["image"],
                {name: AnalysisResult.from_dict(r) for name, r in image["results"].items()},
                {
                    name: Failure(name, f["type"], f["message"])
                    for name, f in image["failures"].items()
                },
            )
            for image in data["images"]
        ]
        return build_comparison(images, data["backends"], settings, features=data.get("features"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Comparison:
        import json

        return cls.from_dict(json.loads(text))

    def to_json(self, *, indent: int | None = 2, include_raw: bool = False) -> str:
        import json

        return json.dumps(self.to_dict(include_raw=include_raw), indent=indent, ensure_ascii=False)

    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per image and backend; written to ``path`` when given, returned always."""
        from visionkit.comparison.export import comparison_to_csv

        text = comparison_to_csv(self)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8", newline="")
        return text

    def to_html(self, path: str | Path | None = None, *, thumbnail_size: int = 360) -> str:
        """A self-contained HTML report (no script, no network); written to ``path`` if given."""
        from visionkit.comparison.report_html import render_html

        text = render_html(self, thumbnail_size=thumbnail_size)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _summarise(
    pair: str, name: str, verdicts: Sequence[MetricResult], missing: int
) -> MetricSummary:
    agreed = sum(v.agreement is Agreement.AGREE for v in verdicts)
    disagreed = sum(v.agreement is Agreement.DISAGREE for v in verdicts)
    values = [
        v.value
        for v in verdicts
        if v.agreement is not Agreement.NOT_COMPARABLE and v.value is not None
    ]
    comparable = agreed + disagreed
    return MetricSummary(
        pair=pair,
        metric=name,
        agreed=agreed,
        disagreed=disagreed,
        not_comparable=len(verdicts) - comparable + missing,
        agreement_rate=agreed / comparable if comparable else None,
        mean_value=statistics.fmean(values) if values else None,
    )


def compare_image(
    image: str,
    results: Mapping[str, AnalysisResult],
    failures: Mapping[str, Failure],
    backends: Sequence[str],
    settings: CompareSettings,
    source: Any = None,
) -> ImageComparison:
    """Verdicts for one image: every pair of backends that both produced a result."""
    pairs = tuple(
        PairComparison(a, b, compare_pair(results[a], results[b], settings))
        for a, b in itertools.combinations(backends, 2)
        if a in results and b in results
    )
    return ImageComparison(image, dict(results), dict(failures), pairs, source)


def build_comparison(
    images: Iterable[tuple[str, Mapping[str, AnalysisResult], Mapping[str, Failure]]],
    backends: Sequence[str],
    settings: CompareSettings | None = None,
    *,
    features: Sequence[str] | None = None,
    sources: Mapping[str, Any] | None = None,
) -> Comparison:
    """A :class:`Comparison` from existing results: ``(image, {backend: result}, {backend:
    failure})`` per image. The pure entry point, e.g. for results saved as JSON.

    ``sources`` maps an image's name to the input to show in the HTML report
    (default: none, the report then shows no thumbnail).
    """
    settings = settings or CompareSettings()
    sources = sources or {}
    return Comparison(
        backends=tuple(backends),
        images=tuple(
            compare_image(name, results, failures, backends, settings, sources.get(name))
            for name, results, failures in images
        ),
        settings=settings,
        features=tuple(features) if features is not None else None,
    )


__all__ = [
    "Comparison",
    "Failure",
    "ImageComparison",
    "LatencySummary",
    "MetricSummary",
    "PairComparison",
    "build_comparison",
    "compare_image",
]

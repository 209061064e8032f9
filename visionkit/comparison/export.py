"""A :class:`~visionkit.comparison.comparison.Comparison` as JSON-compatible data and as CSV.

The JSON keeps everything (each result in the result schema, each verdict with
its detail, the settings and crosswalk) so that ``Comparison.from_dict`` can
rebuild the comparison later, for another report or other thresholds. The CSV is
for spreadsheets: one row per image and backend, the backend's main answers,
and, for every other backend, each metric's verdict and value. A replayed
answer says so in its row (``replayed_from``), and text that a spreadsheet
would run as a formula is written so that it is only shown (:func:`_cell`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from visionkit.comparison.metrics import METRICS
from visionkit.comparison.schema import COMPARISON_SCHEMA
from visionkit.results import AnalysisResult

if TYPE_CHECKING:
    from visionkit.comparison.comparison import Comparison, ImageComparison


def comparison_to_dict(comparison: Comparison, *, include_raw: bool = False) -> dict[str, Any]:
    """Everything in the comparison, in plain JSON types; ``raw`` responses only on request."""
    return {
        "schema": COMPARISON_SCHEMA,
        "backends": list(comparison.backends),
        "features": list(comparison.features) if comparison.features is not None else None,
        "settings": comparison.settings.public_dict(),
        "crosswalk": comparison.settings.crosswalk.to_dict(),
        "summary": [asdict(s) for s in comparison.summary()],
        "latency": [asdict(s) for s in comparison.latency()],
        "images": [_image_dict(i, include_raw) for i in comparison.images],
    }


def _image_dict(image: ImageComparison, include_raw: bool) -> dict[str, Any]:
    return {
        "image": image.image,
        "results": {
            name: result.to_dict(include_raw=include_raw) for name, result in image.results.items()
        },
        "failures": {
            name: {"type": f.error_type, "message": f.message} for name, f in image.failures.items()
        },
        "pairs": [
            {
                "first": p.first,
                "second": p.second,
                "metrics": [
                    {
                        "name": m.name,
                        "agreement": m.agreement.value,
                        "value": m.value,
                        "detail": m.detail,
                    }
                    for m in p.metrics
                ],
            }
            for p in image.pairs
        ],
    }


BASE_COLUMNS = (
    "image",
    "backend",
    "status",
    "error_type",
    "error_message",
    "elapsed_ms",
    "model_version",
    "fallback_reason",
    "replayed_from",
    "width",
    "height",
    "top_tag",
    "top_tag_confidence",
    "tags",
    "caption",
    "objects",
    "color_foreground",
    "color_background",
    "accent_color",
    "adult_score",
    "racy_score",
    "gore_score",
    "faces",
    "text",
)


def csv_columns(comparison: Comparison) -> list[str]:
    """The header: :data:`BASE_COLUMNS`, then ``<metric> vs <other>`` and its ``value``."""
    columns = list(BASE_COLUMNS)
    for other in comparison.backends:
        for name in METRICS:
            columns += [f"{name} vs {other}", f"{name} vs {other} value"]
    return columns


def comparison_to_csv(comparison: Comparison) -> str:
    """One row per image and backend; a backend's columns against itself stay empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(comparison), lineterminator="\n")
    writer.writeheader()
    for image in comparison.images:
        for backend in comparison.backends:
            row: dict[str, Any] = {"image": image.image, "backend": backend}
            result = image.results.get(backend)
            failure = image.failures.get(backend)
            if result is not None:
                row.update(status="ok", **_result_columns(result))
            elif failure is not None:
                row.update(
                    status="error", error_type=failure.error_type, error_message=failure.message
                )
            else:
                row["status"] = "missing"
            for pair in image.pairs:
                if backend not in (pair.first, pair.second):
                    continue
                other = pair.second if backend == pair.first else pair.first
                for m in pair.metrics:
                    row[f"{m.name} vs {other}"] = m.agreement.value
                    row[f"{m.name} vs {other} value"] = "" if m.value is None else f"{m.value:.4f}"
            writer.writerow({column: _cell(value) for column, value in row.items()})
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel, LibreOffice or Sheets read a CSV cell as a formula (OWASP's list)."""


def _cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it, never as a formula it runs.

    File names, error messages, captions and tags come from users and from
    services; a photo called ``=HYPERLINK("http://...")`` must not become a
    live link (or worse) in whoever opens the CSV. Such a cell gets a leading
    ``'``, which spreadsheets hide; numbers (``-0.0500``) are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _score(value: float | None) -> str:
    """A moderation score's cell: empty when the backend did not report it."""
    return "" if value is None else f"{value:.4f}"


def _result_columns(result: AnalysisResult) -> dict[str, Any]:
    top = result.top_tag
    tags = sorted(result.tags or (), key=lambda t: -t.confidence)
    colors, adult = result.colors, result.adult
    return {
        "elapsed_ms": "" if result.elapsed_s is None else f"{result.elapsed_s * 1000:.1f}",
        "model_version": result.model_version or "",
        "fallback_reason": result.fallback_reason or "",
        "replayed_from": result.replayed_from or "",
        "width": result.metadata.width if result.metadata else "",
        "height": result.metadata.height if result.metadata else "",
        "top_tag": top.name if top else "",
        "top_tag_confidence": f"{top.confidence:.4f}" if top else "",
        "tags": "; ".join(f"{t.name}={t.confidence:.3f}" for t in tags),
        "caption": result.caption.text if result.caption else "",
        "objects": "; ".join(f"{o.name}@{','.join(map(str, o.box.xywh))}" for o in result.objects)
        if result.objects
        else "",
        "color_foreground": (colors.dominant_foreground or "") if colors else "",
        "color_background": (colors.dominant_background or "") if colors else "",
        "accent_color": (colors.accent_color or "") if colors else "",
        "adult_score": _score(adult.adult if adult else None),
        "racy_score": _score(adult.racy if adult else None),
        "gore_score": _score(adult.gore if adult else None),
        "faces": "; ".join(f"face@{','.join(map(str, f.box.xywh))}" for f in result.faces)
        if result.faces
        else "",
        "text": " | ".join(line.text for line in result.text) if result.text else "",
    }


__all__ = [
    "BASE_COLUMNS",
    "COMPARISON_SCHEMA",
    "FORMULA_STARTS",
    "comparison_to_csv",
    "comparison_to_dict",
]
